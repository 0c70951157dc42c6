"""HP602: the tag of a pinned image now points to another digest (online)."""

from __future__ import annotations

from hardpin.model import FixAvailability, GitUpdateKey, ImageUpdateKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext


class HP602(Rule):
    """The tag of a pinned image now points to another digest.

    ## What it does
    With `hardpin check --online`, re-resolves the tag of every
    `name:tag@sha256:…` reference and reports those whose tag has moved
    since the digest was written (info). A pin to a single-platform image
    is compared with the same platform's image under the tag now. In
    workflows and actions, a `uses:` pinned to a commit with a version
    comment (`@<sha> # v4.1.1`, `# ratchet:owner/repo@v4`) is compared with
    the commit that tag names now (`git ls-remote`), and so is a pre-commit
    `rev: <sha>  # frozen: v1.2.3`.

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

    kinds = frozenset(
        {"dockerfile", "workflow", "action", "compose", "kubernetes", "gitlab-ci", "pre-commit"}
    )

    def check(self, ctx: RuleContext) -> None:
        if ctx.kind != "dockerfile":
            self._yaml(ctx)
            return
        from hardpin.analysis.dockerfile import lookup_name, pinned_sites

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

    def _yaml(self, ctx: RuleContext) -> None:
        from hardpin.analysis import yamldoc as y
        from hardpin.analysis.workflow import image_sites, pinned_commits
        from hardpin.refs import InvalidReference, parse_image
        from hardpin.urls import display_url

        text = ctx.source.text
        for site in image_sites(ctx):
            span = y.value_span(text, site.node)
            try:
                ref = parse_image(site.value)
            except InvalidReference:
                continue
            if span is None or not ref.tag or not ref.digest_ok or site.value != site.value.strip():
                continue
            assert ref.digest is not None
            end = span[0] + site.offset + len(site.value)
            name = f"{ref.registry}/{ref.repository}:{ref.tag}"
            ctx.report(
                self,
                *y.span(text, site.node),
                f"{ref.familiar.split('@')[0]} has moved since it was pinned to {ref.digest}",
                subject=site.value,
                pending=Pending(ImageUpdateKey(name, ref.digest), end - len(ref.digest), end),
            )
        for url, tag, sha, start, end in pinned_commits(ctx):
            ctx.report(
                self,
                start,
                end,
                f"{display_url(url)}@{tag} has moved since it was pinned to {sha}",
                subject=f"{display_url(url)}@{tag}",
                pending=Pending(GitUpdateKey(url, tag, sha), start, end),
            )
