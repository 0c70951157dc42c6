"""HP304: URL or VCS requirement without an immutable reference."""

from __future__ import annotations

import re

from hardpin.analysis.pip import git_ref, url_problem, vcs_problem
from hardpin.analysis.requirements import requirements_doc, show
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.parsers.requirements import Requirement


class HP304(Rule):
    """URL or VCS requirement without an immutable reference.

    ## What it does
    Reports requirements that install from a URL instead of an index, in
    every kind of requirements file (inputs included), when what they
    install can change:

    - a VCS URL (`git+https://…`, also `-e git+…` and `name @ git+…`)
      without a full 40-character commit hash after `@`: no ref at all, a
      branch, a tag, or an abbreviated hash. Mercurial, Subversion and
      Bazaar URLs are reported too (only a git commit hash is accepted, as
      by HP203 and OpenSSF Scorecard);
    - an archive URL (`https://…/pkg-1.0.tar.gz`, `name @ https://…`)
      with neither a `#sha256=` (`sha384`, `sha512`) fragment nor a
      `--hash` option; a weak `#md5=` or `#sha1=` fragment is reported as
      weak. GitHub and GitLab archives of a full commit hash are accepted.

    A ref written as an environment variable (`@${COMMIT}`) cannot be
    judged and is not reported. Local paths (`.`, `./pkg`,
    `dist/pkg-1.0-py3-none-any.whl`, `file://` URLs) are not URLs: they
    install what is in the checkout or build context and are not reported.

    ## Why it matters
    A branch or tag is a pointer the repository owner — or whoever takes
    over the account — can move; an archive URL can serve different bytes
    tomorrow. A commit hash or a content hash names exactly one thing, and
    pip fails instead of installing something else.

    ## Example
    ```text
    mylib @ git+https://github.com/org/mylib@main
    https://example.com/dist/tool-1.2.tar.gz
    ```

    ## Use instead
    ```text
    mylib @ git+https://github.com/org/mylib@0d8ef7c3f4b2d9a6e1c5b7a8f9e0d1c2b3a4f5e6
    https://example.com/dist/tool-1.2.tar.gz#sha256=<sha256 of the archive>
    ```

    ## Fix safety
    No automatic fix: the commit a branch points to today, or the digest of
    what a URL serves today, is exactly what should be reviewed before it
    is pinned.
    """

    code = "HP304"
    name = "mutable-url-requirement"
    severity = Severity.ERROR
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None:
            return
        for r in doc.requirements:
            if r.url is None or r.kind not in ("vcs", "url"):
                continue
            url = _written_url(r)
            if r.kind == "vcs":
                ref = git_ref(url)
                if ref is not None and "${" in ref:
                    continue
                problem = vcs_problem(url)
            else:
                if r.hashes:
                    continue
                problem = url_problem(url)
                if problem is not None:
                    problem += " (or add --hash=sha256:<digest>)"
            if problem is None:
                continue
            ctx.report(self, r.start, r.end, problem, subject=show(r.text))


def _written_url(r: Requirement) -> str:
    """The URL as written: with `${VAR}`s the parser validated a substituted copy."""
    assert r.url is not None
    if not r.has_variables or "${" in r.url:
        return r.url
    text = r.text
    direct = re.match(r"^\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@", text)
    if r.name is not None and direct:
        text = text.split("@", 1)[1]
    return re.split(r"\s+;", text.strip(), maxsplit=1)[0].strip()
