"""HP207: ADD of a remote URL or Git repository without a checksum or commit."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import display_url

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.parsers.dockerfile import Instruction

_HTTP = lazy_re(r"^https?://", re.IGNORECASE)
_CHECKSUM = lazy_re(r"^(?:sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128})$")
_COMMIT = lazy_re(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")
_QUERY_REF = ("ref", "tag", "branch", "checksum", "commit")


def is_git_url(url: str) -> bool:
    """A source BuildKit clones with git rather than downloads over HTTP.

    `git@host:path`, `git://…`, `ssh://…`, and `http(s)://…` whose path ends in
    `.git` (before any `#ref` or `?query`).
    """
    low = url.lower()
    if low.startswith(("git@", "git://", "ssh://", "git+ssh://", "git+https://", "git+http://")):
        return True
    if _HTTP.match(url):
        path = re.split(r"[#?]", url, maxsplit=1)[0]
        return path.rstrip("/").endswith(".git")
    return False


def git_ref(url: str) -> tuple[str | None, bool]:
    """The ref a Git source names, and whether a full commit hash pins it.

    BuildKit reads `#<ref>[:<subdir>]` fragments and `?ref=` / `tag=` /
    `branch=` / `checksum=` / `commit=` queries; `checksum=` or `commit=` with
    a full hash pins the source even next to a tag or branch.
    """
    base, _, fragment = url.partition("#")
    query = base.split("?", 1)[1] if "?" in base else ""
    params: dict[str, str] = {}
    for part in query.split("&") if query else []:
        k, _, v = part.partition("=")
        if k.lower() in _QUERY_REF and v:
            params[k.lower()] = v
    frag_ref = fragment.split(":", 1)[0] if fragment else ""
    commit = params.get("checksum") or params.get("commit")
    pinned = any(_COMMIT.match(r.lower()) for r in (frag_ref, commit or "") if r)
    ref = frag_ref or params.get("ref") or params.get("tag") or params.get("branch") or commit
    return ref, pinned


# variable names that name a file or directory of the build context rather than a URL
_PATH_NAME = lazy_re(r"(?:FILE|FILES|PATH|DIR|JAR|WAR|SRC|SOURCE|FOLDER)$", re.IGNORECASE)
_LEADING_VAR = lazy_re(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def _variable_source(source: str, missing: list[str]) -> bool:
    """An ADD source whose start comes from a variable without a value (so it may be a URL).

    A source with literal text before its first variable (`dist/${V}.tar`) is a path in the
    build context, and so is one whose variable is named as a file or directory (`JAR_FILE`,
    `SRC_DIR`): only the remaining sources can be URLs."""
    m = _LEADING_VAR.match(source)
    if m is None or m.group(1) not in missing:
        return False
    return _PATH_NAME.search(m.group(1)) is None


def _json_sources(ins: Instruction) -> list[tuple[str, int, int]]:
    """Exec-form sources with the source span of their JSON strings."""
    import json

    out: list[tuple[str, int, int]] = []
    argv = ins.json_args or []
    pos = 0
    for a in argv[:-1]:
        lit = json.dumps(a)
        i = ins.args.find(lit, pos)
        if i == -1:
            s = e = ins.offsets[0]
        else:
            s, e = ins.span(i + 1, i + len(lit) - 1)
            pos = i + len(lit)
        out.append((a, s, e))
    return out


class HP207(Rule):
    """ADD of a remote URL without `--checksum`, or of a Git repository without a commit.

    ## What it does
    Reports `ADD` sources that come from the network and are not fixed to
    their content:

    * an `http://` or `https://` URL without `--checksum=sha256:<64 hex>`
      (`sha384:` and `sha512:` digests are accepted too);
    * a Git repository (`git@host:owner/repo.git`, `git://…`, `ssh://…`, or an
      `https://…/repo.git` URL) whose ref is missing, a branch or a tag rather
      than a full commit hash — as a `#<commit>` fragment, a `?checksum=` /
      `?commit=` query, or `ADD --checksum=<commit>`.

    A source written as a build argument or `ENV` value (`ADD ${TOOL_URL}
    /tmp/`) is checked as the URL it resolves to. One that cannot be
    resolved (an `ARG` without a default) and starts with the variable may
    be a URL given at build time, and is reported unless it has a
    `--checksum`; sources with literal text before the variable
    (`dist/${NAME}.tar.gz`) and variables named as paths (`JAR_FILE`,
    `*_PATH`, `*_DIR`, `*_SRC`, …) are taken as files of the build context.

    `ONBUILD ADD` is checked too. Build arguments and `ENV` values are
    substituted in Git URLs (`#${COMMIT}` with `ARG COMMIT=<40 hex>` is
    pinned); a ref or checksum that depends on a build argument without a
    default (`--checksum=${SHA}`, `#${REF}`) is given at build time and
    cannot be checked here, so it is not reported. A `--checksum` that is
    not a valid digest is reported.

    ## Why it matters
    `ADD <url>` fetches whatever the server returns at build time: the same
    Dockerfile builds different images when the file changes, and a
    compromised server or mirror puts its own content into the image. A
    branch or tag of a repository can move the same way. `--checksum` and a
    commit hash make BuildKit refuse anything else.

    ## Example
    ```dockerfile
    ADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/moby/buildkit.git#v0.14.1 /src
    ```

    ## Use instead
    ```dockerfile
    ADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c \
        https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini
    ADD https://github.com/moby/buildkit.git#2ee0f5d1d5d6e6c1f2ef1d0e5c1c7b5e2d0c5b3a /src
    ```

    ## Fix safety
    No automatic fix yet: the checksum must be computed from a trusted copy
    of the file, and the commit resolved from the repository.
    """

    code = "HP207"
    name = "add-without-checksum"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile"})

    def check(self, ctx: RuleContext) -> None:
        from hardpin.parsers.dockerfile import Dockerfile, expand, global_env, stage_env

        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        for st in df.stages:
            for ins in st.instructions[1:]:
                target = ins.inner or ins
                if target.keyword != "ADD":
                    continue
                flags, rest = target.flags()
                checksum = next((f for f in flags if f.name == "checksum"), None)
                if target.json_args is not None:
                    sources = _json_sources(target)
                else:
                    sources = [(w.value, w.start, w.end) for w in rest[:-1]]
                env: dict[str, str | None] | None = None
                for url, start, end in sources:
                    if "$" in url and not _HTTP.match(url) and not is_git_url(url):
                        # the source (or its scheme) comes from an ARG or ENV value
                        if env is None:
                            env = {**global_env(df), **stage_env(df, st, ins)}
                        expanded, missing = expand(url, env)
                        if not missing:
                            url = expanded
                        elif _variable_source(url, missing):
                            self.check_unknown(ctx, start, end, url, checksum)
                            continue
                        else:
                            continue
                    if is_git_url(url):
                        value = checksum.value if checksum is not None else None
                        if "$" in url or (value and "$" in value):
                            if env is None:
                                env = {**global_env(df), **stage_env(df, st, ins)}
                            url, missing = expand(url, env)
                            if missing:
                                continue  # the ref comes from a build argument: cannot be known here
                            if value:
                                value, missing = expand(value, env)
                                if missing:
                                    continue
                        self.check_git(ctx, start, end, url, value)
                    elif _HTTP.match(url):
                        self.check_http(ctx, start, end, url, checksum)

    def check_http(
        self, ctx: RuleContext, start: int, end: int, url: str, checksum: object
    ) -> None:
        shown = display_url(url, max_len=120)
        value = getattr(checksum, "value", None) if checksum is not None else None
        if checksum is None or not value:
            ctx.report(
                self,
                start,
                end,
                f"ADD downloads {shown} without --checksum: the build takes whatever the server returns",
                subject=f"ADD {shown}",
            )
            return
        if "$" in value:
            return  # from a build argument: cannot be checked here
        if not _CHECKSUM.match(value):
            ctx.report(
                self,
                start,
                end,
                f"ADD {shown} has --checksum={value[:80]}, which is not a sha256:/sha384:/sha512: digest "
                "of the right length",
                subject=f"ADD {shown}",
            )

    def check_unknown(
        self, ctx: RuleContext, start: int, end: int, source: str, checksum: object
    ) -> None:
        if checksum is not None and getattr(checksum, "value", None):
            return  # BuildKit checks whatever it fetches against the checksum
        ctx.report(
            self,
            start,
            end,
            f"ADD source {source[:80]} comes from a build argument or ENV value without a "
            "default, so it may be a URL fetched without --checksum",
            subject=f"ADD {source[:80]}",
        )

    def check_git(
        self, ctx: RuleContext, start: int, end: int, url: str, checksum: str | None
    ) -> None:
        shown = display_url(url.split("#", 1)[0], max_len=120)
        ref, pinned = git_ref(url)
        if pinned:
            return
        if checksum is not None and _COMMIT.match(checksum.lower()):
            return
        if ref is None:
            what = "without a ref: it builds from whatever the default branch holds"
        else:
            what = f"at `{ref}`, a branch or tag that can move, instead of a full commit hash"
        ctx.report(
            self,
            start,
            end,
            f"ADD clones {shown} {what}",
            subject=f"ADD {shown}#{ref or ''}",
        )
