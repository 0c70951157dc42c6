"""HP503: compose or Kubernetes image not pinned by digest."""

from __future__ import annotations

from hardpin.analysis.workflow import compose_images, kubernetes_images, report_images
from hardpin.model import FixAvailability, Severity
from hardpin.rules.base import Rule, RuleContext


class HP503(Rule):
    """Compose or Kubernetes image not pinned by digest.

    ## What it does
    Reports images that are not pinned to a content digest in compose files
    (`services.*.image`, except services that `build:` their image) and in
    Kubernetes manifests: the `image` of every container, init container
    and ephemeral container of a Pod, Deployment, StatefulSet, DaemonSet,
    ReplicaSet, Job, CronJob, pod template or any other object that embeds
    a pod spec. Every document of a multi-document file is read; anchors,
    aliases and `<<` merge keys are followed.

    ## Why it matters
    Each node or host pulls the tag when it starts the container: a moved
    tag runs different bytes on different machines, and a compromised
    registry account is enough to replace them.

    ## Example
    ```yaml
    services:
      db:
        image: postgres:16
    ```

    ## Use instead
    ```yaml
    services:
      db:
        image: postgres:16@sha256:<digest>
    ```

    ## Fix safety
    Fixable with network: `hardpin check --fix` resolves the tag through the
    registry and writes `name:tag@sha256:<digest>` with the digest of the
    multi-platform index. Only the value changes; comments, quoting and
    layout stay as they are.
    """

    code = "HP503"
    name = "unpinned-deploy-image"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"compose", "kubernetes"})

    def check(self, ctx: RuleContext) -> None:
        sites = compose_images(ctx) if ctx.kind == "compose" else kubernetes_images(ctx)
        report_images(ctx, self, sites)
