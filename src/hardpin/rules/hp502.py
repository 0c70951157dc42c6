"""HP502: container image in a workflow or action not pinned by digest."""

from __future__ import annotations

from hardpin.analysis.workflow import gitlab_images, report_images, workflow_images
from hardpin.model import FixAvailability, Severity
from hardpin.rules.base import Rule, RuleContext


class HP502(Rule):
    """Container image in a workflow or action not pinned by digest.

    ## What it does
    Reports container images of CI files that are not pinned to a content
    digest: a GitHub job's `container:` (a string or `image:` of a map),
    its `services.*.image`, an action's `runs.image: docker://…`, and a
    step's `uses: docker://…` when HP501 (which reports those) is not
    enabled; in `.gitlab-ci.yml`, `image:` and `services:` (strings or
    `name:` of a map) at the top level, under `default:` and in every job.
    A reference that is a single variable (`${{ matrix.image }}`) is pinned
    where the variable is set and is not reported.

    ## Why it matters
    The job runs inside that image with the job's secrets and token; a tag
    can be moved to other bytes at any time, a digest cannot.

    ## Example
    ```yaml
    jobs:
      test:
        container: node:20
        services:
          db:
            image: postgres:16
    ```

    ## Use instead
    ```yaml
    jobs:
      test:
        container: node:20@sha256:<digest>
        services:
          db:
            image: postgres:16@sha256:<digest>
    ```

    ## Fix safety
    Fixable with network: `hardpin check --fix` resolves the tag through the
    registry and adds the digest of the multi-platform index after the tag,
    so every platform keeps pulling the image it pulls today.
    """

    code = "HP502"
    name = "unpinned-ci-image"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"workflow", "action", "gitlab-ci"})

    def check(self, ctx: RuleContext) -> None:
        if ctx.kind == "gitlab-ci":
            sites = gitlab_images(ctx)
        else:
            docker_uses = not ctx.settings.is_enabled("HP501", ctx.source.path)
            sites = workflow_images(ctx, docker_uses=docker_uses)
        report_images(ctx, self, sites)
