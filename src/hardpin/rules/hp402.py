"""HP402: ADD where COPY suffices."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.model import Applicability, Edit, Fix, FixAvailability, Severity
from hardpin.parsers.dockerfile import Dockerfile, Instruction, expand, global_env, stage_env
from hardpin.rules.base import Rule, RuleContext

_URL = lazy_re(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://|git@)")
_ARCHIVE = lazy_re(r"\.(?:tar|tgz|tbz2?|txz|tzst|tlz|taz|gz|bz2|xz|zst|lz4|lzma|z)$", re.I)
_ADD_ONLY_FLAGS = frozenset({"checksum", "keep-git-dir", "unpack"})


def _copy_keyword(raw: str) -> str:
    if raw.isupper():
        return "COPY"
    if raw.islower():
        return "copy"
    return "Copy"


class HP402(Rule):
    """ADD used where COPY suffices.

    ## What it does
    Reports `ADD` whose sources are all local files or directories that are
    not archives (so `ADD` would not unpack them) and not URLs or git
    repositories. `ADD` with `--checksum`, `--keep-git-dir` or `--unpack`
    is left alone.

    ## Why it matters
    `ADD` has hidden behaviours — it downloads URLs and unpacks local
    archives. Using it for plain copies hides the places where those
    behaviours really happen, and a later change of a source name (to an
    archive or a URL) silently changes what the build does.

    ## Example
    ```dockerfile
    ADD requirements.txt /app/
    ```

    ## Use instead
    ```dockerfile
    COPY requirements.txt /app/
    ```

    ## Fix safety
    Safe: replacing `ADD` with `COPY` keeps the meaning when every source is
    a local non-archive path. When a source is a glob or an unresolved
    variable (which might name an archive), the fix is unsafe and applied
    only with `--unsafe-fixes`.
    """

    code = "HP402"
    name = "add-instead-of-copy"
    severity = Severity.WARNING
    fix = FixAvailability.SAFE

    def check(self, ctx: RuleContext) -> None:
        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        for st in df.stages:
            for ins in st.instructions[1:]:
                target: Instruction = ins.inner or ins
                if target.keyword != "ADD":
                    continue
                flags, words = target.flags()
                if any(f.name in _ADD_ONLY_FLAGS for f in flags):
                    continue
                if target.heredocs:
                    sources: list[str] = []
                elif target.json_args is not None:
                    sources = target.json_args[:-1]
                else:
                    sources = [w.value for w in words[:-1]]
                    if len(words) < 2:
                        continue
                env = {**global_env(df), **stage_env(df, st, ins)}
                unsure = False
                bad = False
                for src in sources:
                    val, missing = expand(src, env)
                    if missing:
                        unsure = True
                    if _URL.match(val) or _ARCHIVE.search(val):
                        bad = True
                        break
                    if any(c in val for c in "*?["):
                        unsure = True
                if bad:
                    continue
                kw = target.keyword_start
                fix = Fix(
                    (Edit(kw, kw + 3, _copy_keyword(target.raw_keyword)),),
                    Applicability.UNSAFE if unsure else Applicability.SAFE,
                    "replace ADD with COPY",
                )
                avail = FixAvailability.UNSAFE if unsure else FixAvailability.SAFE
                ctx.report(
                    self,
                    kw,
                    kw + 3,
                    "ADD copies only local files here: use COPY, which cannot download or unpack",
                    subject=target.args,
                    fix=fix,
                    availability=avail,
                )
