"""HP501: action not pinned to a full commit SHA."""

from __future__ import annotations

from hardpin.analysis import yamldoc as y
from hardpin.analysis.workflow import (
    DIGEST_RE,
    is_sha,
    parse_action,
    uses_sites,
    version_comment,
)
from hardpin.model import FixAvailability, GitRefKey, ImageKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext

DEFAULT_GITHUB_URL = "https://github.com"


def github_url(ctx: RuleContext) -> str:
    url = ctx.settings.get("github-url")
    return (url if isinstance(url, str) and url else DEFAULT_GITHUB_URL).rstrip("/")


class HP501(Rule):
    """Action not pinned to a full commit SHA.

    ## What it does
    Reports every `uses:` of a GitHub Actions workflow step, of a job that
    calls a reusable workflow and of a composite action's step whose ref is
    not a full 40-hex commit SHA (a tag, a branch, a short SHA). Local
    actions (`./path`) are exempt. A `docker://` action is pinned only with
    `@sha256:` and 64 hex digits. The reusable workflows of
    `slsa-framework/slsa-github-generator` are reported without a fix: they
    must be called by their release tag.

    ## Why it matters
    A tag or branch of an action is moved by whoever controls the
    repository, and the next run executes the new code with the job's
    secrets and token (tj-actions/changed-files, March 2025: every tag was
    moved to a commit that dumped secrets). A commit SHA cannot be moved.

    ## Example
    ```yaml
    steps:
      - uses: actions/checkout@v4
    ```

    ## Use instead
    ```yaml
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
    ```
    The comment keeps the version readable, and `hardpin update` moves the
    SHA to where that tag points later. `# ratchet:owner/repo@v4` comments
    are read too.

    ## Fix safety
    Fixable with network: `hardpin check --fix` resolves the tag with
    `git ls-remote` against the action's repository (`github-url`, default
    `https://github.com`, for GitHub Enterprise), peels annotated tags to
    their commit and writes `owner/repo@<sha> # <tag>`, where the comment
    is the most specific tag naming the same commit. The action runs the
    same code as today. A `docker://` image is pinned to the digest its tag
    names now.
    """

    code = "HP501"
    name = "unpinned-action"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        text = ctx.source.text
        for u in uses_sites(ctx):
            v = u.value
            span = y.value_span(text, u.node)
            start, end = y.span(text, u.node)
            if v.startswith("./") or v.startswith(".\\") or v == ".":
                continue  # local action or workflow
            if v.startswith("docker://"):
                if DIGEST_RE.search(v):
                    continue
                self._docker(ctx, v, span, start, end)
                continue
            what = "reusable workflow" if u.where == "job" else "action"
            act = parse_action(v)
            if act is None:
                ctx.report(
                    self,
                    start,
                    end,
                    f"{what} {v!r} names no ref (`owner/repo@<commit sha>`), so it is not pinned",
                    subject=v,
                    availability=FixAvailability.NONE,
                )
                continue
            if is_sha(act.ref):
                continue
            if (
                act.owner.lower() == "slsa-framework"
                and act.repo.lower() == "slsa-github-generator"
            ):
                # its reusable workflows check that they are called by a tag: a SHA breaks them
                ctx.report(
                    self,
                    start,
                    end,
                    f"{what} {v} is not pinned to a commit SHA; the SLSA generator must be "
                    "called by its release tag (it verifies its own ref), so keep the tag and "
                    "suppress this line (`# hardpin: ignore=HP501`)",
                    subject=v,
                    availability=FixAvailability.NONE,
                )
                continue
            pending = None
            if span is not None and "${{" not in v:
                pending = self._pending(ctx, act.owner, act.repo, act.ref, span, u.node)
            short = len(act.ref) >= 7 and all(c in "0123456789abcdef" for c in act.ref.lower())
            why = "a short SHA is not a pin" if short else f"{act.ref!r} can be moved"
            ctx.report(
                self,
                start,
                end,
                f"{what} {v} is not pinned to a full commit SHA ({why}); "
                f"pin it as {v.rpartition('@')[0]}@<40-hex sha> # {act.ref}",
                subject=v,
                pending=pending,
                availability=None if pending else FixAvailability.NONE,
            )

    def _pending(
        self,
        ctx: RuleContext,
        owner: str,
        repo: str,
        ref: str,
        span: tuple[int, int],
        node: object,
    ) -> Pending | None:
        """Replace the ref (and a version comment after the value) with
        `<sha> # <tag>`; where no comment can follow (flow style), the SHA alone."""
        text = ctx.source.text
        url = f"{github_url(ctx)}/{owner}/{repo}"
        ref_start = span[1] - len(ref)
        node_end = y.end(node)  # type: ignore[arg-type]
        quote = text[span[1] : node_end]  # a closing quote, if any
        if not y.line_is_done(text, node_end):
            return Pending(GitRefKey(url, ref), ref_start, span[1])
        com = y.trailing_comment(text, node_end)
        if com is None:
            return Pending(
                GitRefKey(url, ref, comment=True), ref_start, node_end, sep=f"{quote} # "
            )
        _c_start, c_end, body = com
        if body.startswith("ratchet:exclude"):
            return None  # ratchet's "leave this one as it is"
        if version_comment(body) is not None or body.startswith("ratchet:") or body == ref:
            return Pending(GitRefKey(url, ref, comment=True), ref_start, c_end, sep=f"{quote} # ")
        # another comment stays, after the version
        return Pending(GitRefKey(url, ref, comment=True), ref_start, node_end, sep=f"{quote} # ")

    def _docker(
        self, ctx: RuleContext, v: str, span: tuple[int, int] | None, start: int, end: int
    ) -> None:
        from hardpin.refs import InvalidReference, parse_image

        image = v[len("docker://") :]
        pending = None
        try:
            ref = parse_image(image)
        except InvalidReference:
            ref = None
        if ref is not None and span is not None and ref.digest is None and "${{" not in v:
            name = f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"
            pending = Pending(
                ImageKey(name), span[1], span[1], prefix="@" if ref.tag else ":latest@"
            )
        ctx.report(
            self,
            start,
            end,
            f"docker:// action {image} is not pinned by digest; "
            f"pin it as docker://{image.split('@')[0]}@sha256:<digest>",
            subject=v,
            pending=pending,
            availability=None if pending else FixAvailability.NONE,
        )
