"""HP104: image reference that depends on an ARG with no default."""

from __future__ import annotations

from hardpin.analysis.dockerfile import sites
from hardpin.model import Severity
from hardpin.parsers.dockerfile import PLATFORM_ARGS
from hardpin.rules.base import Rule, RuleContext


class HP104(Rule):
    """Image reference depends on an ARG with no default.

    ## What it does
    Reports an image reference (`FROM`, `COPY --from`, `RUN --mount from=`)
    built from a variable that has no value in the Dockerfile: an ARG
    declared without a default, or a name never declared. A reference that
    carries a valid digest is exempt, since the digest fixes the content
    wherever the name points.

    ## Why it matters
    The image is chosen at build time by whoever passes `--build-arg`. Nobody
    reading the repository, and no linter, can tell what is being pulled or
    whether it is pinned.

    ## Example
    ```dockerfile
    ARG BASE_IMAGE
    FROM ${BASE_IMAGE}
    ```

    ## Use instead
    ```dockerfile
    ARG BASE_IMAGE=python:3.12-slim@sha256:2a6386ad2db20e7f55073f69a98d6da2cf9f168e05e7487d2670baeb9b7601c5
    FROM ${BASE_IMAGE}
    ```

    ## Fix safety
    No automatic fix: give the ARG a pinned default.
    """

    code = "HP104"
    name = "unresolvable-image"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> None:
        for site in sites(ctx):
            if not site.missing:
                continue
            if "@sha256:" in site.expanded and len(site.expanded.rsplit("@sha256:", 1)[1]) == 64:
                continue
            names = ", ".join(dict.fromkeys(site.missing))
            what = "the platform ARG" if all(m in PLATFORM_ARGS for m in site.missing) else "ARG"
            ctx.report(
                self,
                site.start,
                site.end,
                f"image {site.raw} depends on {what} {names}, which has no default: "
                f"the image cannot be verified",
                subject=site.raw,
            )
