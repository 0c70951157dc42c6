"""HP601: pinned digest does not exist in the registry (online)."""

from __future__ import annotations

from hardpin.analysis.dockerfile import pinned_sites
from hardpin.model import ImageExistsKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext


class HP601(Rule):
    """Pinned image digest does not exist in the registry.

    ## What it does
    With `hardpin check --online`, asks the registry whether every digest a
    Dockerfile pins (`name@sha256:…`, `name:tag@sha256:…`, or through an ARG
    default) exists in that image's repository (`HEAD /v2/<name>/manifests/<digest>`).
    Reports the ones the registry does not know.

    ## Why it matters
    A digest that is not in the repository cannot be pulled: a typo, a digest
    copied from another repository, or an image the publisher deleted. The
    build fails the next time the layer cache is cold — usually at the worst
    moment.

    ## Example
    ```dockerfile
    FROM python:3.12-slim@sha256:0000000000000000000000000000000000000000000000000000000000000000
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim@sha256:<the digest the registry reports for the tag>
    ```
    `hardpin update` writes the tag's current digest.

    ## Fix safety
    No automatic fix: which image was meant is for a person to decide.
    Network: one `HEAD` request per distinct digest; positive answers are
    cached for an hour (a registry may delete content), `--refresh` asks
    again. When the registry cannot be asked (unreachable, no credentials),
    nothing is reported as missing: one `cannot check` line goes to stderr
    and the exit code is 1.
    """

    code = "HP601"
    name = "missing-digest"
    severity = Severity.ERROR
    online = True

    def check(self, ctx: RuleContext) -> None:
        for site, start, end in pinned_sites(ctx):
            ref = site.ref
            assert ref is not None and ref.digest is not None
            ctx.report(
                self,
                site.start,
                site.end,
                f"{ref.familiar} is pinned to a digest that does not exist in {ref.registry}/{ref.repository}",
                subject=site.raw,
                pending=Pending(
                    ImageExistsKey(f"{ref.registry}/{ref.repository}", ref.digest), start, end
                ),
            )
