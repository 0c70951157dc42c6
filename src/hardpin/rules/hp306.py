"""HP306: hash-checked requirements file that leaves build tools unpinned."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.analysis.requirements import (
    UNSAFE_PACKAGES,
    closure,
    constraint_hashed,
    hash_state,
    is_hashed,
    requirements_doc,
)
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import canonical_name

# pip-compile's headers of the block of packages it leaves out (old and new wording)
_HEADER = lazy_re(
    r"^\s*#\s*(?:The following packages are (?:commented out because they are|considered to be "
    r"unsafe)|WARNING: The following packages were not pinned)",
    re.IGNORECASE,
)
# an entry of the block: `# setuptools`, `# setuptools==69.0.0`, `# pip==24.0  # via pip-tools`
_ENTRY = lazy_re(
    r"^\s*#\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[[^\]]*\])?\s*"
    r"(?:===?\s*[^\s#;]+)?\s*(?:;[^#]*)?(?:#.*)?$"
)
_VIA_LINE = lazy_re(r"(?:^|\s)#\s*via\b(.*)$")
_VIA_ITEM = lazy_re(r"^\s*#\s{2,}(\S.*)$")


class HP306(Rule):
    r"""Hash-checked requirements file that leaves build tools unpinned.

    ## What it does
    In a requirements file where pip runs in hash-checking mode (a
    requirement has `--hash`, or `--require-hashes` is set; see HP303),
    reports packages that something in the file needs but that the file
    leaves out:

    - the entries of pip-compile's closing block, written when it runs
      without `--allow-unsafe`:
      `# The following packages are considered to be unsafe in a requirements file:`
      (or `# WARNING: The following packages were not pinned, …`) followed
      by `# setuptools`, `# pip`, … lines;
    - `pip`, `setuptools` and `distribute` (pip-compile's unsafe packages)
      named in a `# via` annotation.

    A package that the file (or a file it includes with `-r`, or a
    constraints file it includes with `-c`) pins with a hash is not
    reported. The finding is at the comment line.

    ## Why it matters
    In hash-checking mode pip needs a pinned, hashed entry for everything it
    installs, dependencies included. A package left out makes the install
    fail as soon as the environment does not already hold a version that
    satisfies every requirement on it — typically after a dependency starts
    requiring a newer setuptools, or in a fresh virtual environment. The
    usual emergency fix, dropping `--require-hashes`, drops the protection
    for everything else.

    ## Example
    ```text
    sphinx==7.3.7 \
        --hash=sha256:…
    # The following packages are considered to be unsafe in a requirements file:
    # setuptools
    ```

    ## Use instead
    ```text
    sphinx==7.3.7 \
        --hash=sha256:…
    # The following packages are considered to be unsafe in a requirements file:
    setuptools==70.0.0 \
        --hash=sha256:…
    ```
    generated with `pip-compile --generate-hashes --allow-unsafe` (the
    default from pip-tools 8 on), or `uv pip compile --generate-hashes`.

    ## Fix safety
    Fixable by relocking (`pip-compile --generate-hashes --allow-unsafe`);
    no automatic fix here.
    """

    code = "HP306"
    name = "unpinned-build-tool"
    severity = Severity.WARNING
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None or "#" not in ctx.source.text:
            return
        state = hash_state(ctx)
        if not state.on:
            return
        present = {
            canonical_name(r.name)
            for f in closure(ctx).installed()
            for r in f.parsed.requirements
            if r.name and is_hashed(r) and not r.editable
        } | constraint_hashed(ctx)
        reported: set[str] = set()
        # pip-compile's block says it best; `# via` names only what the block does not list
        signals = sorted(_signals(ctx), key=lambda s: (s[4] != "block", s[0], s[1]))
        for _line, start, end, name, how in signals:
            canon = canonical_name(name)
            if canon in present or canon in reported:
                continue
            reported.add(canon)
            if how == "block":
                what = f"`{name}` is needed by a requirement here, but pip-compile left it out"
            else:
                what = (
                    f"`{name}` is in this file's dependency tree (a `# via` annotation names it), "
                    f"but not pinned"
                )
            ctx.report(
                self,
                start,
                end,
                f"{what}: in hash-checking mode ({state.reason}) pip refuses to install it unless "
                f"a version already installed satisfies every requirement on it; pin it with a "
                f"hash (pip-compile --generate-hashes --allow-unsafe)",
                subject=name,
            )


def _signals(ctx: RuleContext) -> list[tuple[int, int, int, str, str]]:
    """(line, start, end, name, "block" | "via") of packages the file needs but leaves out."""
    src = ctx.source
    out: list[tuple[int, int, int, str, str]] = []
    in_block = False  # after pip-compile's header, up to the next blank line
    in_via = False  # after a bare `# via`, whose items follow as `#   name` lines
    for line in range(1, src.line_count + 1):
        text = src.line_text(line)
        stripped = text.strip()
        if not stripped:
            in_block = in_via = False
            continue
        if "#" not in text:
            in_via = False
            continue
        base = src.line_start(line)
        if _HEADER.match(text):
            in_block, in_via = True, False
            continue
        if in_via:
            m = _VIA_ITEM.match(text)
            if m:
                _add_via(out, line, base + m.start(1), m.group(1))
                continue
            in_via = False
        if in_block and stripped.startswith("#"):
            m = _ENTRY.match(text)
            if m and m.group(1).lower() != "via":
                out.append((line, base + m.start(1), base + m.end(1), m.group(1), "block"))
                continue
        m = _VIA_LINE.search(text)
        if m:
            rest = m.group(1)
            if rest.strip():
                _add_via(out, line, base + m.start(1), rest)
            else:
                in_via = True
    return out


def _add_via(out: list[tuple[int, int, int, str, str]], line: int, start: int, items: str) -> None:
    """Names in `# via a, b` (or one split-style item) that are pip-compile's unsafe packages."""
    pos = 0
    for part in items.split(","):
        word = part.strip().split(" ", 1)[0]
        offset = start + pos + (len(part) - len(part.lstrip()))
        pos += len(part) + 1
        if canonical_name(word) in UNSAFE_PACKAGES:
            out.append((line, offset, offset + len(word), word, "via"))
