"""Parser for pip requirements files, with exact source positions.

It follows pip's own reading of a requirements file (`pip/_internal/req/req_file.py`):

* physical lines are split like `str.splitlines`; a line ending in `\\` is joined
  with the next one, unless it is a comment line (a comment line also ends a
  continuation); the backslash is dropped;
* a comment starts at a `#` at the beginning of the logical line or after
  whitespace and runs to its end (`https://host/x.whl#sha256=…` keeps its
  fragment);
* the requirement is the text before the first space-separated token that
  starts with `-`; the rest is split like a shell command line and read as
  options (`--hash=sha256:…`, `--hash sha256:…`, `-r file`, `-rfile`, unique
  prefixes of long options such as `--extra-index`);
* a line with options only sets global options (`--index-url`, `--no-index`,
  `--require-hashes`, …), includes another file (`-r`, `-c`: recorded with
  their position, never followed here) or names an editable requirement (`-e`).

Every requirement, option and `--hash` keeps its source span, so rules can
report exact positions and a fixer can insert or replace hashes without
re-serialising the file. Requirements are classified like pip does: index
names (PEP 508, `name[extra]>=1; marker`), direct references
(`name @ https://…`), URLs and VCS URLs (`git+https://…@ref#egg=name`) and
local paths (`./pkg`, `dist/x.whl`, `.`).

Malformed lines (unknown options, missing option values, unterminated
quotes, invalid requirements, unsupported hash algorithms) give a
`ParseError` with the line number; `parse(..., strict=False)` collects them
in `RequirementsFile.errors` and skips those lines instead. No other
exception escapes. `${VAR}` references (which pip expands from the
environment) are kept as written and flagged on the requirement.

`packaging` is imported only when a named requirement must be validated: a
plain `name==version` line (`simple_pin`) is read without it.
"""

from __future__ import annotations

import re
from array import array

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.model import HardpinError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

STRONG_HASHES = ("sha256", "sha384", "sha512")
HASH_HEX_LENGTH = {"sha256": 64, "sha384": 96, "sha512": 128}
ARCHIVE_EXTENSIONS = (
    ".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz", ".tlz",
    ".tar.lz", ".tar.lzma",
)  # fmt: skip
VCS_SCHEMES = ("git", "hg", "svn", "bzr")
URL_SCHEMES = frozenset({"http", "https", "file", "ftp"})

# pip: COMMENT_RE = (^|\s+)#.*$
_COMMENT_START = lazy_re(r"^\s*#")
_COMMENT = lazy_re(r"(^|\s+)#")
_ENV_VAR = lazy_re(r"\$\{[A-Z0-9_]+\}")
_DIRECT_REF = lazy_re(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*@")
_EGG = lazy_re(r"[#&]egg=([^&]+)")
_HEX = lazy_re(r"^[0-9a-fA-F]+$")

# Options a requirements file may hold: canonical long name -> takes a value
_LONG: dict[str, bool] = {
    "--index-url": True,
    "--extra-index-url": True,
    "--no-index": False,
    "--constraint": True,
    "--requirement": True,
    "--editable": True,
    "--find-links": True,
    "--no-binary": True,
    "--only-binary": True,
    "--prefer-binary": False,
    "--require-hashes": False,
    "--pre": False,
    "--trusted-host": True,
    "--use-feature": True,
    "--global-option": True,
    "--hash": True,
    "--config-settings": True,
    # removed in pip 23.1, still found in older files
    "--install-option": True,
}
_SHORT = {"i": "--index-url", "c": "--constraint", "r": "--requirement", "e": "--editable",
          "f": "--find-links", "C": "--config-settings"}  # fmt: skip
# Options that apply to the requirement on the same line (pip's SUPPORTED_OPTIONS_REQ).
REQUIREMENT_OPTIONS = frozenset(
    {"--hash", "--global-option", "--config-settings", "--install-option"}
)


class ParseError(HardpinError):
    """A malformed line; `str()` gives `line N: message`."""

    def __init__(self, message: str, line: int, offset: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.message = message
        self.line = line
        self.offset = offset


@record(frozen=True)
class HashOption:
    """One `--hash=algorithm:digest`."""

    algorithm: str
    digest: str
    start: int  # source span of the option (`--hash=…`, or `--hash` through its value)
    end: int
    value_start: int  # source offset of `algorithm:digest`

    @property
    def well_formed(self) -> bool:
        """A hex digest of the algorithm's length."""
        return len(self.digest) == HASH_HEX_LENGTH.get(self.algorithm, -1) and bool(
            _HEX.match(self.digest)
        )


@record(frozen=True)
class Option:
    name: str  # canonical long name, e.g. `--index-url`
    value: str | None  # None for flags
    start: int  # source span of the option and its value
    end: int
    value_start: int | None = None
    value_end: int | None = None
    line: int = 0


@record(frozen=True)
class Include:
    """`-r FILE` (kind "requirement") or `-c FILE` (kind "constraint")."""

    kind: str
    path: str
    start: int  # source span of the path
    end: int
    line: int
    option_start: int  # source offset of the `-r`/`-c` option


@record
class Requirement:
    text: str  # as written, options and comments removed (markers included)
    kind: str  # "name", "url", "vcs" or "path"
    start: int  # source span of `text`
    end: int
    line: int  # physical line of the requirement's first character
    end_line: int  # last physical line of its logical line
    line_start: int  # source offset where the logical line starts
    content_end: int  # source offset just past the last option/requirement character
    editable: bool = False
    name: str | None = None  # project name: PEP 508 name, `name @`, or `#egg=`
    extras: tuple[str, ...] = ()
    specifier: str = ""  # e.g. ">=1.0,<2"; "" for none and for URLs and paths
    marker: str = ""
    url: str | None = None  # URL of url/vcs requirements and of `name @ url`
    hashes: list[HashOption] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)  # other options on the line
    has_variables: bool = False  # contains `${VAR}`, which pip expands from the environment

    @property
    def exact_version(self) -> str | None:
        """The version of an `==` (without `*`) or `===` pin, else None."""
        return exact_version(self.specifier) if self.kind == "name" else None

    @property
    def pinned(self) -> bool:
        return self.exact_version is not None

    @property
    def hashed(self) -> bool:
        """Has a `--hash`, or a URL with a strong `#sha256=`-style fragment (pip accepts both)."""
        if self.hashes:
            return True
        return self.url is not None and url_hash(self.url) is not None


@record
class RequirementsFile:
    requirements: list[Requirement]
    options: list[Option]  # global option lines (`--index-url`, `--require-hashes`, …)
    includes: list[Include]
    errors: list[ParseError]  # only with strict=False
    warnings: list[tuple[int, str]]  # (line, message): things pip ignores

    @property
    def require_hashes(self) -> bool:
        return any(o.name == "--require-hashes" for o in self.options)

    def option_values(self, name: str) -> list[str]:
        return [o.value for o in self.options if o.name == name and o.value is not None]


# ---------------------------------------------------------------------------
# helpers shared with the rules


def exact_version(specifier: str) -> str | None:
    """The pinned version when a specifier set holds `==X` (no wildcard) or `===X`."""
    for part in specifier.split(","):
        p = part.strip()
        if p.startswith("==="):
            v = p[3:].strip()
            return v or None
        if p.startswith("==") and "*" not in p:
            v = p[2:].strip()
            return v or None
    return None


def url_hash(url: str) -> tuple[str, str] | None:
    """(algorithm, digest) of a strong `#sha256=…` (sha384, sha512) URL fragment."""
    _, sep, frag = url.partition("#")
    if not sep:
        return None
    for part in frag.split("&"):
        k, _, v = part.partition("=")
        k = k.strip().lower()
        if k in HASH_HEX_LENGTH and len(v) == HASH_HEX_LENGTH[k] and _HEX.match(v):
            return k, v
    return None


def url_scheme(text: str) -> str | None:
    """The lower-cased scheme of a URL pip accepts (`https`, `git+ssh`, `file`, …), else None."""
    head, sep, _ = text.partition(":")
    if not sep or not head:
        return None
    s = head.lower()
    if s in URL_SCHEMES:
        return s
    base, _, _sub = s.partition("+")
    if base in VCS_SCHEMES and re.match(r"^[a-z][a-z0-9+.-]*$", s):
        return s
    return None


def is_vcs_scheme(scheme: str) -> bool:
    return scheme.partition("+")[0] in VCS_SCHEMES and scheme not in URL_SCHEMES


def looks_like_path(text: str) -> bool:
    """pip's test: a path separator, a leading dot, or an archive file name."""
    t = text.strip()
    if "/" in t or "\\" in t or t.startswith("."):
        return True
    low = t.lower().split("[", 1)[0]
    return low.endswith(ARCHIVE_EXTENSIONS)


def egg_name(url: str) -> str | None:
    m = _EGG.search(url)
    return m.group(1).strip() if m else None


# ---------------------------------------------------------------------------
# logical lines


@record
class _Logical:
    text: str
    # source offset of each character of text, plus one past the end (8-byte integers:
    # a list would cost 36 bytes a character)
    offs: array[int]
    line: int  # physical line of the first character
    end_line: int
    line_starts: list[tuple[int, int]]  # (source offset, line number) of each physical line


def _physical_lines(text: str) -> Iterator[tuple[str, int]]:
    """(content without its line break, source offset), like str.splitlines."""
    pos = 0
    for raw in text.splitlines(keepends=True):
        parts = raw.splitlines()
        yield (parts[0] if parts else ""), pos
        pos += len(raw)


# a segment of a logical line: (text, source offset of each character, line number, line offset)
_Seg = tuple[str, "Sequence[int]", int, int]


def _emit(segs: list[_Seg]) -> _Logical:
    text = "".join(s[0] for s in segs)
    offs: array[int] = array("q")
    for s in segs:
        offs.extend(s[1])
    last = segs[-1]
    offs.append(last[1][-1] + 1 if last[1] else last[3])
    return _Logical(text, offs, segs[0][2], last[2], [(s[3], s[2]) for s in segs])


def _logical_lines(text: str) -> Iterator[_Logical]:
    """The logical lines one by one (only one line's offset map is alive at a time)."""
    pending: list[_Seg] = []
    for idx, (content, off) in enumerate(_physical_lines(text)):
        lineno = idx + 1
        if idx == 0 and content.startswith("\ufeff"):
            content = content[1:]
            off += 1
        is_comment = bool(_COMMENT_START.match(content))
        if not content.endswith("\\") or is_comment:
            if is_comment:
                # pip prefixes a space so that the comment is always recognised later
                offs = array("q", [off])
                offs.extend(range(off, off + len(content)))
                seg: _Seg = (" " + content, offs, lineno, off)
            else:
                seg = (content, range(off, off + len(content)), lineno, off)
            pending.append(seg)
            yield _emit(pending)
            pending = []
        else:
            lead = len(content) - len(content.lstrip("\\"))
            body = content.strip("\\")
            pending.append((body, range(off + lead, off + lead + len(body)), lineno, off))
    if pending:
        yield _emit(pending)


def _first(item: tuple[int, int]) -> int:
    return item[0]


def _strip_comment(lg: _Logical) -> tuple[str, array[int]]:
    """The logical line without its comment and surrounding whitespace, with its offsets."""
    t, offs = lg.text, lg.offs
    m = _COMMENT.search(t)
    if m:
        t = t[: m.start()]
    lead = len(t) - len(t.lstrip())
    body = t.strip()
    sub = offs[lead : lead + len(body)]
    sub.append(sub[-1] + 1 if sub else offs[min(lead, len(offs) - 1)])
    return body, sub


def _line_of(lg: _Logical, offset: int) -> int:
    """The physical line of a source offset within the logical line (binary search: a
    requirement may have tens of thousands of `--hash` continuation lines)."""
    from bisect import bisect_right

    i = bisect_right(lg.line_starts, offset, key=_first)
    return lg.line_starts[i - 1][1] if i else lg.line


# ---------------------------------------------------------------------------
# shell-like splitting of the options part (shlex, posix mode)


def _split(text: str, base: int) -> list[tuple[str, int, int]]:
    """(value, start, end) tokens of text[base:], with indices into text."""
    toks: list[tuple[str, int, int]] = []
    i, n = base, len(text)
    while i < n:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        start = i
        val: list[str] = []
        while i < n and not text[i].isspace():
            c = text[i]
            if c == "\\":
                if i + 1 < n:
                    val.append(text[i + 1])
                i += 2
                continue
            if c in "'\"":
                j = i + 1
                while j < n and text[j] != c:
                    if c == '"' and text[j] == "\\" and j + 1 < n and text[j + 1] in '"\\':
                        val.append(text[j + 1])
                        j += 2
                        continue
                    val.append(text[j])
                    j += 1
                if j >= n:
                    raise ValueError("no closing quotation")
                i = j + 1
                continue
            val.append(c)
            i += 1
        toks.append(("".join(val), start, i))
    return toks


def _long_name(name: str) -> str | None:
    if name in _LONG:
        return name
    cands = [k for k in _LONG if k.startswith(name)]
    return cands[0] if len(cands) == 1 else None


# ---------------------------------------------------------------------------
# the parser


def parse(text: str, *, strict: bool = True) -> RequirementsFile:
    """Parse a requirements file. Raises ParseError (strict) or collects errors."""
    result = RequirementsFile([], [], [], [], [])
    for lg in _logical_lines(text):
        try:
            _parse_line(lg, result)
        except ParseError as exc:
            if strict:
                raise
            result.errors.append(exc)
        except Exception as exc:
            err = ParseError(
                f"cannot parse this line ({type(exc).__name__}: {exc})", lg.line, lg.offs[0]
            )
            if strict:
                raise err from exc
            result.errors.append(err)
    return result


def _parse_line(lg: _Logical, result: RequirementsFile) -> None:
    line, offs = _strip_comment(lg)
    if not line:
        return
    # requirement = tokens (split on single spaces) before the first one starting with "-"
    opt_at = len(line)
    pos = 0
    for tok in line.split(" "):
        if tok.startswith("-"):
            opt_at = pos
            break
        pos += len(tok) + 1
    req_text = line[:opt_at].rstrip()
    opt_text = line[opt_at:]

    def src(i: int) -> int:
        return offs[i] if i < len(offs) else offs[-1]

    def src_end(i: int, j: int) -> int:
        """Source offset just past line[i:j]."""
        return offs[j - 1] + 1 if j > i else src(i)

    try:
        toks = _split(line, opt_at) if opt_text else []
    except ValueError:
        raise ParseError(
            f"unterminated quote in options: {opt_text!r}", lg.line, src(opt_at)
        ) from None

    options: list[Option] = []
    hashes: list[HashOption] = []
    k = 0
    while k < len(toks):
        val, ts, te = toks[k]
        tline = _line_of(lg, src(ts))
        if val == "--":
            k += 1
            continue
        if val.startswith("--"):
            nm, eq, v = val.partition("=")
            name = _long_name(nm)
            if name is None:
                amb = [x for x in _LONG if x.startswith(nm)]
                why = (
                    f"ambiguous option {nm} ({', '.join(amb)})" if amb else f"no such option: {nm}"
                )
                raise ParseError(why, tline, src(ts))
            takes = _LONG[name]
            if not takes:
                if eq:
                    raise ParseError(f"{name} option does not take a value", tline, src(ts))
                options.append(Option(name, None, src(ts), src_end(ts, te), line=tline))
                k += 1
                continue
            if eq:
                vstart = ts + len(nm) + 1
                # offsets of a quoted value are approximate; exact for the usual unquoted form
                options.append(
                    Option(name, v, src(ts), src_end(ts, te), src(vstart), src_end(ts, te), tline)
                )
                k += 1
                continue
            if k + 1 >= len(toks):
                raise ParseError(f"{name} option requires a value", tline, src(ts))
            v, vs, ve = toks[k + 1]
            options.append(
                Option(name, v, src(ts), src_end(vs, ve), src(vs), src_end(vs, ve), tline)
            )
            k += 2
            continue
        if val.startswith("-") and len(val) > 1:
            ch = val[1]
            name = _SHORT.get(ch)
            if name is None:
                raise ParseError(f"no such option: -{ch}", tline, src(ts))
            if len(val) > 2:
                options.append(
                    Option(
                        name, val[2:], src(ts), src_end(ts, te), src(ts + 2), src_end(ts, te), tline
                    )
                )
                k += 1
                continue
            if k + 1 >= len(toks):
                raise ParseError(f"-{ch} option requires a value", tline, src(ts))
            v, vs, ve = toks[k + 1]
            options.append(
                Option(name, v, src(ts), src_end(vs, ve), src(vs), src_end(vs, ve), tline)
            )
            k += 2
            continue
        result.warnings.append((tline, f"ignored argument {val!r} after the options"))
        k += 1

    for o in options:
        if o.name == "--hash":
            hashes.append(_hash_option(o))

    content_end = offs[len(line) - 1] + 1 if line else offs[0]
    end_line = _line_of(lg, content_end - 1)
    editables = [o for o in options if o.name == "--editable"]
    if req_text:
        start = src(0)
        end = src_end(0, len(req_text))
        req = _requirement(req_text, False, start, end, lg.line, end_line, offs[0], content_end)
        req.hashes = hashes
        req.options = [o for o in options if o.name != "--hash"]
        result.requirements.append(req)
        return
    if editables:
        e = editables[0]
        value = e.value or ""
        vs = e.value_start if e.value_start is not None else e.start
        ve = e.value_end if e.value_end is not None else e.end
        req = _requirement(value, True, vs, ve, e.line, end_line, offs[0], content_end)
        if hashes:
            result.warnings.append((lg.line, "--hash on an editable requirement is ignored by pip"))
        req.options = [o for o in options if o is not e and o.name != "--hash"]
        result.requirements.append(req)
        return
    if hashes:
        result.warnings.append((lg.line, "--hash without a requirement is ignored by pip"))
    for o in options:
        if o.name in ("--requirement", "--constraint"):
            kind = "requirement" if o.name == "--requirement" else "constraint"
            result.includes.append(
                Include(
                    kind,
                    o.value or "",
                    o.value_start if o.value_start is not None else o.start,
                    o.value_end if o.value_end is not None else o.end,
                    o.line,
                    o.start,
                )
            )
        elif o.name != "--hash":
            result.options.append(o)


def _hash_option(o: Option) -> HashOption:
    value = o.value or ""
    algo, sep, digest = value.partition(":")
    if not sep or not digest:
        raise ParseError(f"--hash expects algorithm:digest, got {value!r}", o.line, o.start)
    if algo not in STRONG_HASHES:
        raise ParseError(
            f"unsupported hash algorithm {algo!r} in --hash (pip allows {', '.join(STRONG_HASHES)})",
            o.line,
            o.start,
        )
    return HashOption(
        algo, digest, o.start, o.end, o.value_start if o.value_start is not None else o.start
    )


def _requirement(
    text: str,
    editable: bool,
    start: int,
    end: int,
    line: int,
    end_line: int,
    line_start: int,
    content_end: int,
) -> Requirement:
    has_vars = bool(_ENV_VAR.search(text))
    req = Requirement(text, "name", start, end, line, end_line, line_start, content_end, editable,
                      has_variables=has_vars)  # fmt: skip
    body = text
    scheme = url_scheme(body.strip())
    if scheme is not None:
        url, _, marker = body.partition("; ")
        req.url = url.strip()
        req.marker = marker.strip()
        req.kind = "vcs" if is_vcs_scheme(scheme) else ("path" if scheme == "file" else "url")
        req.name = egg_name(req.url)
        return req
    if _DIRECT_REF.match(body):
        return _named(req, body, line, start)
    if looks_like_path(body.split(";", 1)[0]):
        path, _, marker = body.partition(";")
        path = path.strip()
        m = re.search(r"(\[[^\]]*\])$", path)
        if m:
            req.extras = tuple(x.strip() for x in m.group(1)[1:-1].split(",") if x.strip())
        req.kind = "path"
        req.marker = marker.strip()
        return req
    if editable:
        # pip: an editable must be a local directory or a VCS URL
        raise ParseError(f"-e {text!r} is neither a local path nor a VCS URL", line, start)
    return _named(req, body, line, start)


# `name==version` and nothing else, in a shape packaging reads the same way: the
# requirement of most lines of a pinned file, read without importing packaging
_SIMPLE_PIN = lazy_re(
    r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"==([0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
    r"(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?)\s*"
)
_FAST_PATH = True  # tests compare both paths


def simple_pin(body: str) -> tuple[str, str] | None:
    """(name, version) when `body` is exactly `name==version` (blanks around it
    allowed) with a plain PEP 440 version; None for anything else (extras, markers,
    other operators, URLs, unusual spellings), which `packaging` must read."""
    m = _SIMPLE_PIN.fullmatch(body)
    return (m.group(1), m.group(2)) if m is not None else None


def _named(req: Requirement, body: str, line: int, start: int) -> Requirement:
    if _FAST_PATH and not req.has_variables:
        pin = simple_pin(body)
        if pin is not None:
            req.name = pin[0]
            req.extras = ()
            req.marker = ""
            req.specifier = "==" + pin[1]
            return req
    probe = _ENV_VAR.sub("0", body) if req.has_variables else body
    from packaging.requirements import InvalidRequirement
    from packaging.requirements import Requirement as PkgRequirement

    try:
        parsed = PkgRequirement(probe)
    except InvalidRequirement as exc:
        hint = ""
        if "=" in body and not any(op in body for op in ("==", ">=", "<=", "~=", "!=", "===")):
            hint = " (= is not a valid operator: did you mean ==?)"
        why = str(exc).splitlines()[0] if str(exc) else "not a valid requirement"
        raise ParseError(f"invalid requirement {body!r}: {why}{hint}", line, start) from None
    req.name = parsed.name
    req.extras = tuple(sorted(parsed.extras))
    req.marker = str(parsed.marker) if parsed.marker is not None else ""
    if parsed.url:
        req.url = parsed.url
        scheme = url_scheme(parsed.url) or ""
        req.kind = "vcs" if is_vcs_scheme(scheme) else ("path" if scheme == "file" else "url")
        return req
    if req.has_variables:
        # keep the specifier as written (`==${VERSION}`)
        m = re.match(r"^\s*[A-Za-z0-9._-]+\s*(?:\[[^\]]*\])?\s*([^;]*)", body)
        req.specifier = m.group(1).strip().strip("()") if m else str(parsed.specifier)
    else:
        req.specifier = str(parsed.specifier)
    return req
