"""HP509: pre-commit hook repository not pinned to a commit SHA."""

from __future__ import annotations

from hardpin.analysis import yamldoc as y
from hardpin.analysis.workflow import is_sha, precommit_repos, version_comment
from hardpin.model import FixAvailability, GitRefKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext


class HP509(Rule):
    """pre-commit hook repository not pinned to a commit SHA.

    ## What it does
    Reports every repository of a `.pre-commit-config.yaml` whose `rev:` is
    a tag or a branch rather than a full 40-hex commit SHA. `local` and
    `meta` repositories are exempt.

    ## Why it matters
    pre-commit clones the repository at `rev` and runs its code on every
    developer's machine and in CI. A tag can be moved to another commit by
    whoever controls the repository; a commit SHA cannot.

    ## Example
    ```yaml
    repos:
      - repo: https://github.com/psf/black
        rev: 24.4.2
        hooks:
          - id: black
    ```

    ## Use instead
    ```yaml
    repos:
      - repo: https://github.com/psf/black
        rev: 3702ba224ecffbcec30af640c149f231d90aebdb  # frozen: 24.4.2
        hooks:
          - id: black
    ```
    This is what `pre-commit autoupdate --freeze` writes; `hardpin update`
    moves the SHA when the tag in the comment moves.

    ## Fix safety
    Fixable with network: `hardpin check --fix` resolves the rev with
    `git ls-remote` against the repository, peels an annotated tag to its
    commit and writes `rev: <sha>  # frozen: <tag>`. The hooks run the same
    code as today.
    """

    code = "HP509"
    name = "unpinned-pre-commit-rev"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"pre-commit"})

    def check(self, ctx: RuleContext) -> None:
        from hardpin.urls import redact

        text = ctx.source.text
        for repo_url, repo_node, rev_node in precommit_repos(ctx):
            url = redact(repo_url)  # for messages: a token in the URL is never shown
            rev = y.scalar(rev_node)
            if rev_node is None or rev is None:
                ctx.report(
                    self,
                    y.start(repo_node),
                    y.end(repo_node),
                    f"repository {url} has no `rev:`, so what it runs is not pinned",
                    subject=url,
                    availability=FixAvailability.NONE,
                )
                continue
            if is_sha(rev):
                continue
            span = y.value_span(text, rev_node)
            pending = None
            node_end = y.end(rev_node)
            if span is not None and rev and y.line_is_done(text, node_end):
                quote = text[span[1] : node_end]
                com = y.trailing_comment(text, node_end)
                stop = node_end
                if com is not None and (
                    version_comment(com[2]) is not None
                    or com[2].startswith("frozen:")
                    or com[2] == rev
                ):
                    stop = com[1]
                pending = Pending(
                    GitRefKey(repo_url, rev, comment=True),
                    span[0],
                    stop,
                    sep=f"{quote}  # frozen: ",
                )
            ctx.report(
                self,
                y.span(text, rev_node)[0],
                node_end,
                f"rev {rev} of {url} is not a full commit SHA (a tag or branch can be moved); "
                f"pin it as `rev: <40-hex sha>  # frozen: {rev}`",
                subject=f"{url}@{rev}",
                pending=pending,
                availability=None if pending else FixAvailability.NONE,
            )
