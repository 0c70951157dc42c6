"""HP602: the tag of a pinned image now points to another digest (online)."""

from __future__ import annotations

from hardpin.analysis.dockerfile import lookup_name, pinned_sites
from hardpin.model import FixAvailability, ImageUpdateKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext


class HP602(Rule):
    """The tag of a pinned image now points to another digest.

    ## What it does
    With `hardpin check --online`, re-resolves the tag of every
    `name:tag@sha256:…` reference and reports those whose tag has moved
    since the digest was written (info). A pin to a single-platform image
    is compared with the same platform's image under the tag now.

    ## Why it matters
    A pin freezes the image, and that is the point; but base images get
    security fixes by moving their tags. A moved tag means the pinned image
    is missing whatever the publisher has shipped since — often patched
    CVEs.

    ## Example
    ```dockerfile
    FROM python:3.12-slim@sha256:<the digest 3.12-slim had last month>
    ```

    ## Use instead
    Run `hardpin update`, review the diff, commit. In CI,
    `hardpin update --check` fails when a digest is stale.

    ## Fix safety
    `hardpin update` rewrites the digest (the tag stays); a new digest is a
    new image, so review and test the change like any upgrade.
    `hardpin check --fix` does not move digests.
    Network: one tag lookup per distinct reference (cached for an hour;
    `--refresh` asks again).
    """

    code = "HP602"
    name = "stale-digest"
    severity = Severity.INFO
    fix = FixAvailability.NETWORK
    online = True

    def check(self, ctx: RuleContext) -> None:
        for site, start, end in pinned_sites(ctx):
            ref = site.ref
            assert ref is not None and ref.digest is not None
            if not ref.tag:
                continue  # nothing to follow
            ctx.report(
                self,
                site.start,
                site.end,
                f"{ref.familiar.split('@')[0]} has moved since it was pinned to {ref.digest}",
                subject=site.raw,
                pending=Pending(ImageUpdateKey(lookup_name(ref), ref.digest), start, end),
            )
