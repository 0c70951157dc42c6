"""HP102: image on `latest` or with no tag."""

from __future__ import annotations

from hardpin.analysis.dockerfile import describe, sites
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP102(Rule):
    """Image on the `latest` tag, or with no tag at all.

    ## What it does
    Reports an image reference without a digest whose tag is `latest` or
    missing (which means `latest`), after ARG substitution.

    ## Why it matters
    `latest` moves with every release, including major versions: the next
    build can silently get a different operating system or language runtime.
    A version tag at least says which line of releases you expect.

    ## Example
    ```dockerfile
    FROM ubuntu
    FROM node:latest
    ```

    ## Use instead
    ```dockerfile
    FROM ubuntu:24.04@sha256:8a37d68f4f73ebf3d4efafbcf66379bf3728902a8038616808f04e34a9ab63ee
    ```

    ## Fix safety
    No automatic fix: choosing a version is a decision. Pinning the digest
    (HP101) makes even `latest` reproducible.
    """

    code = "HP102"
    name = "latest-tag"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> None:
        for site in sites(ctx):
            ref = site.ref
            if site.missing or ref is None or ref.digest is not None:
                continue
            if ref.tag is None:
                msg = f"image {describe(site)} has no tag, which means `latest`: name a version"
            elif ref.tag == "latest":
                msg = f"image {describe(site)} uses the moving tag `latest`: name a version"
            else:
                continue
            ctx.report(self, site.start, site.end, msg, subject=site.raw)
