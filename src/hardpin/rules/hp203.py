"""HP203: VCS or URL install without an immutable reference."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardpin._lazy import lazy_re
from hardpin.analysis.options import parse
from hardpin.analysis.packages import JS
from hardpin.analysis.pip import (
    archive_at_commit,
    git_ref,
    immutable_commit,
    pip_calls,
    show,
    url_problem,
    vcs_problem,
)
from hardpin.analysis.shell import UNKNOWN, exe_name, resolve, simple_commands
from hardpin.model import Severity
from hardpin.parsers.shell import ShWord
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import redact

_NPM_INSTALL = frozenset(
    {"install", "i", "in", "ins", "inst", "insta", "instal", "isnt", "isnta", "isntal", "isntall", "add",
     "install-test", "it", "update", "up", "upgrade"}
)  # fmt: skip
_HOSTED = lazy_re(r"^(?:github|gitlab|bitbucket|gist):", re.IGNORECASE)
_SHORTHAND = lazy_re(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:#.*)?$")
_GIT_HOSTS = lazy_re(r"^https?://(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org)/[^/]+/[^/#?]+/?(?:[#?].*)?$",
                        re.IGNORECASE)  # fmt: skip
_IMMUTABLE_TARBALL = lazy_re(r"^https?://registry\.(?:npmjs\.org|yarnpkg\.com)/", re.IGNORECASE)
_LOCAL_TARBALL = lazy_re(r"\.(?:tgz|tar|tar\.gz)$", re.IGNORECASE)


def npm_spec_problem(spec: str) -> str | None:
    """Why an npm/yarn/pnpm package spec names a mutable git ref or an unchecked URL, or None."""
    s = spec
    # `alias@<git or url spec>`
    at = s.find("@", 1 if s.startswith("@") else 0)
    if at > 0:
        rest = s[at + 1 :]
        if _HOSTED.match(rest) or rest.startswith(("git+", "git://", "http://", "https://")):
            s = rest
    if s.startswith(("./", "../", "/", "~", "file:", "link:", "workspace:", "portal:")) or s in (
        ".",
        "..",
    ):
        return None
    low = s.lower()
    git = False
    if low.startswith(("git+", "git://", "git@")) or _HOSTED.match(s):
        git = True
    elif low.startswith(("http://", "https://")):
        base = s.split("#", 1)[0]
        if base.lower().endswith(".git") or (
            _GIT_HOSTS.match(s) and "/tarball/" not in low and "/archive/" not in low
        ):
            git = True
        else:
            if _IMMUTABLE_TARBALL.match(base) or archive_at_commit(base):
                return None
            return (
                f"`{redact(base)}` is a tarball URL that npm installs without a checksum; add it to "
                f"package.json so the lockfile records its integrity, and use npm ci"
            )
    elif (
        _SHORTHAND.match(s)
        and not s.startswith("@")
        and not _LOCAL_TARBALL.search(s.split("#", 1)[0])
    ):
        git = True  # user/repo: a GitHub repository
    if not git:
        return None
    base, _, committish = s.partition("#")
    committish = committish.split("::", 1)[0]
    shown = redact(base)
    if not committish:
        return f"`{shown}` names no commit, so it installs whatever the default branch holds at build time"
    if committish.lower().startswith("semver:"):
        return f"`{shown}#{committish}` resolves a version range against the repository's tags, which can move"
    if immutable_commit(committish):
        return None
    return (
        f"`{shown}#{committish}` names a branch or tag that can be moved: use the full commit hash"
    )


def _js_specs(words: list[ShWord]) -> Iterator[tuple[str, ShWord]]:
    """(tool, spec word) for the packages an npm / yarn / pnpm install command names."""
    tool = exe_name(words[0].value)
    if tool not in ("npm", "yarn", "pnpm"):
        return
    operands = parse(words[1:], JS).operands
    if not operands:
        return
    sub = operands[0].value
    rest = operands[1:]
    if tool == "yarn" and sub == "global" and rest:
        sub, rest = rest[0].value, rest[1:]
    if tool == "npm" and sub not in _NPM_INSTALL:
        return
    if tool == "yarn" and sub not in ("add", "upgrade", "up"):
        return
    if tool == "pnpm" and sub not in ("add", "install", "i", "update", "up", "upgrade"):
        return
    for w in rest:
        yield tool, w


class HP203(Rule):
    """VCS or URL install without an immutable reference.

    ## What it does
    Reports packages installed straight from a repository or a URL without
    pinning their content:

    - pip (any spelling, as for HP201; also `-e`, `name @ url`,
      `pipx install`, `pipx --spec`, `uv pip install`): a git URL without
      `@<full commit hash>` — no revision, a branch or tag
      (`git+https://…/repo.git@main`, `@v1.0`), or an abbreviated commit;
      Mercurial, Subversion and Bazaar URLs (hardpin, like OpenSSF
      Scorecard, accepts only git commit hashes); an archive URL
      (`https://…/pkg-1.0.tar.gz`, `…/archive/refs/tags/v1.zip`) without a
      `#sha256=` (or `#sha384=`, `#sha512=`) fragment, which pip checks;
    - npm, yarn and pnpm installs of git specs (`github:user/repo#branch`,
      `user/repo`, `git+https://…/repo.git#v1`, `#semver:^1.0`) without a
      full commit hash after `#`, and of tarball URLs (npm cannot check a
      hash given on the command line).

    Source archives of a full commit hash on GitHub or GitLab
    (`…/archive/<40 hex>.tar.gz`) and versioned npm registry tarballs are
    immutable and not reported. A reference held in a variable whose value
    cannot be known is not reported.

    ## Why it matters
    A branch, tag or plain URL points to different content from one build
    to the next, and whoever can push to the repository or replace the
    file decides what gets installed — including code that runs at install
    time. A commit hash or a checksum fixes the content.

    ## Example
    ```dockerfile
    RUN pip install git+https://github.com/org/tool.git@main \
        https://example.com/dist/lib-1.2.tar.gz \
     && npm install -g github:org/cli#release
    ```

    ## Use instead
    ```dockerfile
    RUN pip install git+https://github.com/org/tool.git@3f1c2e5d4b6a79881c0d2e3f4a5b6c7d8e9f0a1b \
        "https://example.com/dist/lib-1.2.tar.gz#sha256=<digest>" \
     && npm install -g github:org/cli#3f1c2e5d4b6a79881c0d2e3f4a5b6c7d8e9f0a1b
    ```

    ## Fix safety
    No automatic fix: resolving a branch or tag to a commit, or computing a
    checksum, needs the network.
    """

    code = "HP203"
    name = "mutable-vcs-or-url-install"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for call in pip_calls(ctx):
            if call.help:
                continue
            for r in call.reqs:
                if r.kind not in ("vcs", "url") or r.url is None:
                    continue
                url = r.url
                if r.kind == "vcs":
                    ref = git_ref(url.replace(UNKNOWN, "\x01"))
                    if ref is not None and "\x01" in ref:
                        continue
                    why = vcs_problem(url.replace(UNKNOWN, "…"))
                else:
                    if (
                        UNKNOWN in url.partition("#")[2]
                        or UNKNOWN in url.split("#", 1)[0].rsplit("/", 1)[-1]
                    ):
                        continue
                    why = url_problem(url.replace(UNKNOWN, "…"))
                if why is None:
                    continue
                ctx.report(self, r.word.start, r.word.end, why, subject=call.subject(show(r.text)))
        for _unit, _cmd, words in simple_commands(ctx):
            if exe_name(words[0].value) not in ("npm", "yarn", "pnpm"):
                continue
            for tool, w in _js_specs(words):
                spec = resolve(w.value, {})
                if UNKNOWN in spec:
                    continue
                why = npm_spec_problem(spec)
                if why is not None:
                    ctx.report(self, w.start, w.end, why, subject=f"{tool} install {redact(spec)}")
