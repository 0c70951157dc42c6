"""Dockerfile parser with exact source positions.

dockerfile-parse gives neither columns nor heredocs, and its setters lose
`--platform` and continuations, so this module does the lexing itself: parser
directives, both escape characters, comments and blank lines inside
continuations, CRLF, heredocs, JSON exec form, ONBUILD. Every character of an
instruction's logical argument text maps back to its offset in the file, so
rules can report (and fixes can edit) exact spans.
"""

from __future__ import annotations

import re
from array import array

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.model import HardpinError, Source

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
JSON_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
DIRECTIVES = frozenset({"syntax", "escape", "check"})
# Automatic platform ARGs that BuildKit defines in the global scope.
PLATFORM_ARGS = frozenset(
    {
        "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM",
        "BUILDOS", "BUILDARCH", "BUILDVARIANT",
    }
)  # fmt: skip

_DIRECTIVE_RE = re.compile(r"[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
_KEYWORD_RE = re.compile(r"[ \t]*([A-Za-z]+)(?=[ \t]|$)")
_HEREDOC_RE = lazy_re(r"<<(-?)([\"']?)([A-Za-z0-9_.][A-Za-z0-9_.\-]*)\2")  # rarely needed
# Go's unicode.IsSpace: BuildKit trims these from the left of every line, so a line
# holding only them (a form feed, a non-breaking space) is a blank line
_PLAIN_WORD_RE = re.compile(r"[^ \t\r\n]+")  # a word of text without quotes or backslashes
_BLANK_RE = re.compile("[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*")


class ParseError(HardpinError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@record
class Word:
    """A whitespace-separated word of an instruction's arguments."""

    __slots__ = ("raw", "value", "start", "end", "index")  # many in a large file

    raw: str  # as written (quotes kept), continuations removed
    value: str  # quotes and escapes removed
    start: int  # source offsets
    end: int
    index: int  # position in Instruction.args


@record
class Flag:
    name: str  # without the leading dashes
    value: str | None
    word: Word
    value_start: int  # source offset of the value (after '=')


@record
class Heredoc:
    name: str
    strip_tabs: bool
    quoted: bool
    marker_start: int  # source offsets of the `<<EOF` token
    marker_end: int
    body_start: int  # source offset of the first body character
    body_end: int  # offset just past the body (start of the terminator line)
    body: str  # body text, leading tabs stripped for <<-
    body_line: int  # line of the first body line


@record
class Instruction:
    keyword: str  # upper case
    raw_keyword: str
    keyword_start: int
    start: int  # offset of the first character of the instruction line (after indent)
    end: int  # offset just past the last character (before the final line break)
    line: int
    end_line: int
    args: str  # logical argument text: continuations joined, comment lines dropped
    # source offset of each character of args, plus one past the end (an array of 8-byte
    # integers: a list would cost 36 bytes a character)
    offsets: array[int]
    heredocs: list[Heredoc] = field(default_factory=list)
    json_args: list[str] | None = None  # exec form
    inner: Instruction | None = None  # the instruction that ONBUILD wraps
    _words: list[Word] | None = None
    _prefix: tuple[list[Flag], int | None] | None = None

    def span(self, i: int, j: int) -> tuple[int, int]:
        """Source offsets of args[i:j]."""
        if j <= i:
            return self.offsets[i], self.offsets[i]
        return self.offsets[i], self.offsets[j - 1] + 1

    def words(self) -> list[Word]:
        if self._words is None:
            self._words = split_words(self.args, self.offsets)
        return self._words

    def flag_prefix(self) -> tuple[list[Flag], int | None]:
        """Leading `--name[=value]` flags, and the index in `args` where the rest starts.

        Only the leading words are split, so a long RUN costs nothing here.
        """
        if self._prefix is None:
            words = (
                self._words
                if self._words is not None
                else split_words(self.args, self.offsets, True)
            )
            flags: list[Flag] = []
            i = 0
            while i < len(words) and words[i].raw.startswith("--") and len(words[i].raw) > 2:
                w = words[i]
                name, eq, value = w.value[2:].partition("=")
                vstart = w.start + w.raw.find("=") + 1 if eq else w.end
                flags.append(Flag(name.lower(), value if eq else None, w, vstart))
                i += 1
            self._prefix = (flags, words[i].index if i < len(words) else None)
        return self._prefix

    def rest_start(self) -> int | None:
        """Index in `args` of the first word after the flags (None when there is none)."""
        return self.flag_prefix()[1]

    def flags(self) -> tuple[list[Flag], list[Word]]:
        """Leading `--name[=value]` flags, and the remaining words."""
        flags, _ = self.flag_prefix()
        return flags, self.words()[len(flags) :]

    def flag(self, name: str) -> Flag | None:
        for f in self.flag_prefix()[0]:
            if f.name == name:
                return f
        return None


@record
class ArgDef:
    name: str
    default: str | None  # dequoted default, None when declared without one
    instruction: Instruction
    name_start: int
    value_start: int | None  # source offsets of the default's raw text
    value_end: int | None


@record
class Stage:
    index: int
    name: str | None  # lower-cased `AS name`
    from_: Instruction
    image: Word | None  # the image word of FROM
    instructions: list[Instruction] = field(default_factory=list)
    args: list[ArgDef] = field(default_factory=list)


@record
class Dockerfile:
    source: Source
    escape: str
    directives: dict[str, tuple[str, int]]  # name -> (value, line)
    instructions: list[Instruction]
    global_args: list[ArgDef]
    stages: list[Stage]
    _genv: dict[str, str | None] | None = None
    # what `parse(strict=False)` skipped: instructions BuildKit would reject (an unknown
    # keyword, RUN before FROM, ENV without a value, ...); the rest of the file is kept
    errors: list[ParseError] = field(default_factory=list)


# ---------------------------------------------------------------------------
# word splitting and quoting


def split_words(text: str, offsets: Sequence[int], flags_only: bool = False) -> list[Word]:
    """Split on unquoted whitespace; a backslash escapes outside single quotes.

    With `flags_only`, stop after the first word that does not start with `--`.
    """
    words: list[Word] = []
    if "'" not in text and '"' not in text and "\\" not in text:
        # nothing to unquote (most FROM, COPY and ARG lines): each word is its raw text
        for m in _PLAIN_WORD_RE.finditer(text):
            start, end = m.span()
            raw = m.group()
            words.append(Word(raw, raw, offsets[start], offsets[end - 1] + 1, start))
            if flags_only and not raw.startswith("--"):
                break
        return words
    return _split_quoted(text, offsets, flags_only)


def _split_quoted(text: str, offsets: Sequence[int], flags_only: bool) -> list[Word]:
    """split_words for any text (character by character)."""
    words: list[Word] = []
    n = len(text)
    i = 0
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        quote = ""
        val: list[str] = []
        while i < n:
            c = text[i]
            if quote:
                if c == quote:
                    quote = ""
                elif c == "\\" and quote == '"' and i + 1 < n and text[i + 1] in '"\\$`':
                    i += 1
                    val.append(text[i])
                else:
                    val.append(c)
            elif c in " \t\r\n":
                break
            elif c in "\"'":
                quote = c
            elif c == "\\" and i + 1 < n:
                i += 1
                val.append(text[i])
            else:
                val.append(c)
            i += 1
        raw = text[start:i]
        words.append(Word(raw, "".join(val), offsets[start], offsets[i - 1] + 1, start))
        if flags_only and not raw.startswith("--"):
            break
    return words


def dequote(raw: str) -> str:
    """Remove shell-style quotes from a value, as Docker does for ENV/ARG/LABEL.

    The reading of dockerfile-parse's `WordSplitter.dequote` (the reference; a test
    compares the two): outside quotes a backslash takes the next character
    literally; inside double quotes it does so only for `"` and is otherwise kept
    with the character it precedes; inside single quotes nothing is special. The
    quote characters themselves are dropped; a trailing lone backslash is dropped
    and an unterminated quote runs to the end.
    """
    if "'" not in raw and '"' not in raw and "\\" not in raw:
        return raw
    out: list[str] = []
    quote = ""
    escaped = False
    for c in raw:
        if escaped:
            escaped = False
            if quote == '"' and c != '"':
                out.append("\\")
            out.append(c)
        elif c == "\\" and quote != "'":
            escaped = True
        elif not quote and (c == '"' or c == "'"):
            quote = c
        elif quote and c == quote:
            quote = ""
        else:
            out.append(c)
    return "".join(out)


def key_values(ins: Instruction) -> list[tuple[str, str | None, int, int | None, int | None]]:
    """ENV/ARG/LABEL pairs: (key, value, key_start, value_start, value_end) with source offsets.

    Handles `KEY=value ...`, the legacy `ENV KEY value` form, and `ARG NAME`.
    """
    out: list[tuple[str, str | None, int, int | None, int | None]] = []
    words = ins.words()
    if not words:
        return out
    if "=" not in words[0].raw:
        first = words[0]
        if ins.keyword == "ARG" or len(words) == 1:
            return [(first.value, None, first.start, None, None)]
        # legacy `ENV KEY value with spaces`
        rest_i = words[1].index
        raw = ins.args[rest_i:].rstrip()
        s, e = ins.span(rest_i, rest_i + len(raw))
        return [(first.value, dequote(raw), first.start, s, e)]
    for w in words:
        if "=" not in w.raw:
            if ins.keyword == "ARG":
                out.append((w.value, None, w.start, None, None))
                continue
            raise ParseError(f"{ins.keyword} expects KEY=VALUE, got {w.raw!r}", w.start)
        k, _, v = w.raw.partition("=")
        vs = w.start + len(k) + 1
        out.append((dequote(k), dequote(v), w.start, vs, w.end))
    return out


# ---------------------------------------------------------------------------
# variable substitution

_VAR_RE = re.compile(
    r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))"
)
# the `$NAME` alternative of _VAR_RE alone, with the same group numbers
_PLAIN_VAR_RE = re.compile(r"\$(?:(?!)(x)(x)(x)|([A-Za-z_][A-Za-z0-9_]*))")


def variable_names(text: str) -> list[str]:
    """The names of the variables `text` refers to (`$V`, `${V}`, `${V:-d}`, …), in order."""
    return [m.group(1) or m.group(4) for m in _VAR_RE.finditer(text)]


def expand(text: str, env: dict[str, str | None]) -> tuple[str, list[str]]:
    """Substitute `$V`, `${V}`, `${V:-d}`, `${V-d}`, `${V:+a}`, `${V+a}`.

    `env` maps declared names to their value (None: declared without a value).
    Returns the expanded text and the names that had no value (left empty).
    """
    missing: list[str] = []
    if "$" not in text:
        return text, missing

    def sub(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        op, word = m.group(2), m.group(3)
        declared = name in env
        val = env.get(name)
        if op is None:
            if val is None:
                missing.append(name)
                return ""
            return val
        if op in (":-", "-"):
            if val is None or (op == ":-" and val == ""):
                if declared and op == "-" and val is not None:
                    return val
                inner, miss = expand(word, env)
                missing.extend(miss)
                return inner
            return val
        if op in (":+", "+"):
            if val is None or (op == ":+" and val == ""):
                return ""
            inner, miss = expand(word, env)
            missing.extend(miss)
            return inner
        # ${V:?msg} / ${V?msg}: an error when unset
        if val is None:
            missing.append(name)
            return ""
        return val

    # `\$` is a literal dollar sign
    parts = text.split("\\$")
    out = [_sub_vars(sub, p) for p in parts]
    return "$".join(out), missing


def _sub_vars(sub: Callable[[re.Match[str]], str], text: str) -> str:
    """`_VAR_RE.sub(sub, text)` in linear time.

    A `${NAME:-word` with no `}` after it makes the regex scan to the end of the text
    from every `$`, so past the last `}` only the `$NAME` form can match: that part is
    substituted on its own (a match never spans the last `}`).
    """
    last = text.rfind("}")
    if last == -1:
        return _PLAIN_VAR_RE.sub(sub, text) if "$" in text else text
    head = _VAR_RE.sub(sub, text[: last + 1])
    tail = text[last + 1 :]
    return head + (_PLAIN_VAR_RE.sub(sub, tail) if "$" in tail else tail)


# ---------------------------------------------------------------------------
# the parser


def parse(source: Source, *, strict: bool = True) -> Dockerfile:
    """The Dockerfile in `source`; raises ParseError at the first error.

    With `strict=False` an error confined to one instruction (text that is no
    instruction, an unknown keyword, an instruction before the first FROM, a malformed
    FROM, ENV, LABEL, SHELL or ONBUILD) is kept in `Dockerfile.errors`, that instruction
    is left out, and the rest of the file is parsed. What leaves nothing to analyse (an
    empty file, no FROM, a bad escape directive, a heredoc never terminated) still raises.
    """
    errors: list[ParseError] = []

    def fail(exc: ParseError) -> None:
        if strict:
            raise exc
        errors.append(exc)

    text = source.text
    n = len(text)
    pos = 1 if text.startswith("\ufeff") else 0
    escape = "\\"
    directives: dict[str, tuple[str, int]] = {}
    instructions: list[Instruction] = []

    line_no = 1
    # Parser directives: only at the very top, before any other line.
    while pos < n:
        eol = text.find("\n", pos)
        eol = n if eol == -1 else eol
        line = text[pos:eol].rstrip("\r")
        m = _DIRECTIVE_RE.match(line)
        if not m:
            break
        key = m.group(1).lower()
        if key not in DIRECTIVES:
            break
        if key in directives:
            break  # a repeated directive is a comment, and ends directives
        directives[key] = (m.group(2), line_no)
        if key == "escape":
            if m.group(2) not in ("\\", "`"):
                raise ParseError(f"invalid escape directive {m.group(2)!r}: use \\ or `", pos)
            escape = m.group(2)
        pos = eol + 1
        line_no += 1

    def next_line(p: int) -> tuple[str, int, int]:
        """(content without line break, content end offset, next line offset)."""
        e = text.find("\n", p)
        if e == -1:
            e2 = n
            nxt = n
        else:
            e2 = e
            nxt = e + 1
        if e2 > p and text[e2 - 1] == "\r":
            e2 -= 1
        return text[p:e2], e2, nxt

    while pos < n:
        line, line_end, nxt = next_line(pos)
        stripped = line.lstrip(" \t")
        if not stripped or stripped.startswith("#") or _BLANK_RE.fullmatch(stripped):
            pos = nxt
            line_no += 1
            continue
        indent = len(line) - len(stripped)
        start = pos + indent
        m = _KEYWORD_RE.match(line, indent)
        if not m and escape in line:
            # `FROM\` : a keyword directly followed by the line continuation
            m2 = re.match(r"[ \t]*([A-Za-z]+)" + re.escape(escape) + r"[ \t]*$", line)
            m = _KEYWORD_RE.match(line[: m2.end(1)], indent) if m2 else None
        bad: ParseError | None = None
        if not m:
            found = stripped.split(None, 1)[0][:40] if stripped.split() else stripped[:1]
            fail(ParseError(f"expected an instruction, found {found!r}", start))
            # skip the line and the lines it continues onto
            while pos < n:
                body = line.rstrip(" \t")
                pos = nxt
                line_no += 1
                if not body.endswith(escape) or pos >= n:
                    break
                line, line_end, nxt = next_line(pos)
            continue
        raw_kw = m.group(1)
        kw = raw_kw.upper()
        if kw not in INSTRUCTIONS:
            bad = ParseError(f"unknown instruction {raw_kw!r}", start)
        first_line = line_no
        # Assemble the logical line.
        chars: list[str] = []
        offs: array[int] = array("q")
        seg_start = pos + m.end()
        cur_line, cur_end, cur_nxt = line, line_end, nxt
        seg_off = m.end()
        end = line_end
        while True:
            content = cur_line[seg_off:]
            base = cur_end - len(cur_line) + seg_off
            body = content.rstrip(" \t")
            if body.endswith(escape):
                body = body[:-1]
                cont = True
            else:
                cont = False
            chars.append(body)
            offs.extend(range(base, base + len(body)))
            end = base + len(content.rstrip(" \t"))
            pos = cur_nxt
            line_no += 1
            if not cont:
                break
            # continuation: skip comment lines and empty lines
            while pos < n:
                cl, ce, cn = next_line(pos)
                cs = cl.lstrip(" \t")
                if cs.startswith("#") or not cs or _BLANK_RE.fullmatch(cs):
                    pos = cn
                    line_no += 1
                    continue
                break
            if pos >= n:
                break
            cur_line, cur_end, cur_nxt = next_line(pos)
            seg_off = 0
        args_full = "".join(chars)
        # drop leading whitespace of the argument text
        lead = len(args_full) - len(args_full.lstrip(" \t"))
        args = args_full[lead:].rstrip(" \t")
        offsets = offs[lead : lead + len(args)]
        offsets.append(offsets[-1] + 1 if offsets else seg_start)
        ins = Instruction(
            keyword=kw,
            raw_keyword=raw_kw,
            keyword_start=start,
            start=start,
            end=end,
            line=first_line,
            end_line=line_no - 1,
            args=args,
            offsets=offsets,
        )
        if bad is not None:
            fail(bad)  # the logical line is consumed, then left out
            continue
        target = ins
        try:
            if kw == "ONBUILD":
                ins.inner = _inner_instruction(ins)
                target = ins.inner
            if target.keyword in HEREDOC_INSTRUCTIONS and "<<" in target.args:
                pos, line_no = _read_heredocs(source, target, pos, line_no)
                ins.end = target.end
                ins.end_line = target.end_line
            if target.keyword in JSON_INSTRUCTIONS:
                target.json_args = _json_args(target)
        except ParseError as exc:
            if strict or "never terminated" in exc.message:
                raise
            errors.append(exc)
            continue
        instructions.append(ins)
        pos = max(pos, ins.end)
        # `pos` is the start of the next unread line
    return _build(source, escape, directives, instructions, fail, errors)


def _inner_instruction(ins: Instruction) -> Instruction:
    m = _KEYWORD_RE.match(ins.args)
    if not m:
        raise ParseError("ONBUILD needs an instruction", ins.keyword_start)
    kw = m.group(1).upper()
    if kw not in INSTRUCTIONS or kw in ("ONBUILD", "FROM", "MAINTAINER"):
        raise ParseError(f"{m.group(1)!r} is not allowed after ONBUILD", ins.offsets[m.start(1)])
    rest = ins.args[m.end() :]
    lead = len(rest) - len(rest.lstrip(" \t"))
    a0 = m.end() + lead
    return Instruction(
        keyword=kw,
        raw_keyword=m.group(1),
        keyword_start=ins.offsets[m.start(1)],
        start=ins.start,
        end=ins.end,
        line=ins.line,
        end_line=ins.end_line,
        args=ins.args[a0:],
        offsets=ins.offsets[a0:],
    )


def _heredoc_markers(args: str) -> list[re.Match[str]]:
    """`<<EOF` tokens outside quotes (not `<<<`, not arithmetic shifts like `1<<2`)."""
    found: list[re.Match[str]] = []
    quote = ""
    i = 0
    n = len(args)
    while i < n:
        c = args[i]
        if quote:
            if c == quote:
                quote = ""
            elif c == "\\" and quote == '"':
                i += 1
        elif c in "\"'":
            quote = c
        elif c == "\\":
            i += 1
        elif c == "<" and args.startswith("<<", i):
            prev = args[i - 1] if i else " "
            m = _HEREDOC_RE.match(args, i)
            if m and prev != "<" and not prev.isalnum() and not args.startswith("<<<", i):
                found.append(m)
                i = m.end()
                continue
            i += 2
            continue
        i += 1
    return found


def _read_heredocs(source: Source, ins: Instruction, pos: int, line_no: int) -> tuple[int, int]:
    text = source.text
    n = len(text)
    for m in _heredoc_markers(ins.args):
        strip_tabs = m.group(1) == "-"
        name = m.group(3)
        ms, me = ins.span(m.start(), m.end())
        body_start = pos
        body_line = line_no
        parts: list[str] = []
        while True:
            if pos >= n:
                raise ParseError(f"heredoc <<{name} is never terminated", ms)
            e = text.find("\n", pos)
            nxt = n if e == -1 else e + 1
            content_end = n if e == -1 else e
            if content_end > pos and text[content_end - 1] == "\r":
                content_end -= 1
            line = text[pos:content_end]
            check = line.lstrip("\t") if strip_tabs else line
            if check == name:
                body_end = pos
                ins.end = content_end
                ins.end_line = line_no
                pos = nxt
                line_no += 1
                break
            parts.append((line.lstrip("\t") if strip_tabs else line) + "\n")
            pos = nxt
            line_no += 1
        ins.heredocs.append(
            Heredoc(
                name=name,
                strip_tabs=strip_tabs,
                quoted=bool(m.group(2)),
                marker_start=ms,
                marker_end=me,
                body_start=body_start,
                body_end=body_end,
                body="".join(parts),
                body_line=body_line,
            )
        )
    return pos, line_no


_JSON_SPACE = " \t\n\r"


def json_string_array(text: str) -> list[str] | None:
    """`json.loads(text)` when that is a list of strings, else None (not JSON, JSON of
    another shape). The common exec form, strings without escapes, is read here
    without importing json; anything else is left to json."""
    n = len(text)
    i = 0
    while i < n and text[i] in _JSON_SPACE:
        i += 1
    if i == n or text[i] != "[":
        return _json_string_array(text)
    i += 1
    while i < n and text[i] in _JSON_SPACE:
        i += 1
    out: list[str] = []
    if i < n and text[i] == "]":
        i += 1
    else:
        while True:
            if i == n or text[i] != '"':
                return _json_string_array(text)
            end = text.find('"', i + 1)
            value = text[i + 1 : end]
            # an escape, a control character (or anything else not printable): json
            if end < 0 or "\\" in value or not value.isprintable():
                return _json_string_array(text)
            out.append(value)
            i = end + 1
            while i < n and text[i] in _JSON_SPACE:
                i += 1
            if i < n and text[i] == ",":
                i += 1
                while i < n and text[i] in _JSON_SPACE:
                    i += 1
                continue
            if i < n and text[i] == "]":
                i += 1
                break
            return _json_string_array(text)
    while i < n and text[i] in _JSON_SPACE:
        i += 1
    return out if i == n else _json_string_array(text)


def _json_string_array(text: str) -> list[str] | None:
    import json

    try:
        val = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: `[[[[…` nested too deep
        return None
    if isinstance(val, list) and all(isinstance(x, str) for x in val):
        return val
    return None


def _json_args(ins: Instruction) -> list[str] | None:
    a = ins.args
    if not a.startswith("["):
        if ins.keyword == "SHELL":
            raise ParseError(
                'SHELL requires the JSON form, e.g. SHELL ["/bin/sh", "-c"]', ins.start
            )
        return None
    val = json_string_array(a)
    if val is not None:
        return val
    if ins.keyword == "SHELL":
        raise ParseError("SHELL requires a JSON array of strings", ins.offsets[0])
    return None  # not JSON: Docker runs it as shell form


# ---------------------------------------------------------------------------
# stages and ARG scopes


def _arg_defs(ins: Instruction) -> list[ArgDef]:
    return [ArgDef(k, v, ins, ks, vs, ve) for k, v, ks, vs, ve in key_values(ins)]


def _build(
    source: Source,
    escape: str,
    directives: dict[str, tuple[str, int]],
    instructions: list[Instruction],
    fail: Callable[[ParseError], None],
    errors: list[ParseError],
) -> Dockerfile:
    global_args: list[ArgDef] = []
    stages: list[Stage] = []
    kept: list[Instruction] = []
    for ins in instructions:
        kw = ins.keyword
        if kw == "FROM":
            _flags, rest = ins.flags()
            name = None
            if len(rest) == 3 and rest[1].value.lower() == "as":
                name = rest[2].value.lower()
            elif len(rest) != 1:
                fail(
                    ParseError("FROM expects an image, optionally followed by `AS name`", ins.start)
                )
                if not rest:
                    continue
            stages.append(Stage(len(stages), name, ins, rest[0], [ins]))
            kept.append(ins)
            continue
        if not stages:
            if kw == "ARG":
                global_args.extend(_arg_defs(ins))
                kept.append(ins)
                continue
            fail(ParseError(f"{ins.raw_keyword} before the first FROM", ins.start))
            continue
        try:
            if kw == "ARG":
                args = _arg_defs(ins)
            elif kw in ("ENV", "LABEL"):
                key_values(ins)  # validate the syntax
        except ParseError as exc:
            fail(exc)
            continue
        st = stages[-1]
        st.instructions.append(ins)
        kept.append(ins)
        if kw == "ARG":
            st.args.extend(args)
    instructions = kept
    errors.sort(key=lambda e: e.offset)
    if not stages and errors:
        raise errors[0]  # nothing left to analyse: the first error is the file's
    if not stages and instructions:
        raise ParseError(
            "no FROM instruction: a Dockerfile needs a build stage", instructions[-1].start
        )
    if not instructions:
        raise ParseError("empty Dockerfile: no FROM instruction", 0)
    return Dockerfile(source, escape, directives, instructions, global_args, stages, errors=errors)


def global_env(df: Dockerfile) -> dict[str, str | None]:
    """Values visible to FROM lines: global ARG defaults (last declaration wins).

    Computed once per Dockerfile; callers must not modify the returned dict.
    """
    if df._genv is not None:
        return df._genv
    env: dict[str, str | None] = {}
    for a in df.global_args:
        val = a.default
        if val is not None:
            val, _ = expand(val, env)
        env[a.name] = val
    df._genv = env
    return env


def stage_env(
    df: Dockerfile, stage: Stage, upto: Instruction | None = None
) -> dict[str, str | None]:
    """ARG and ENV values in force inside `stage` before `upto` (for COPY --from, RUN --mount)."""
    genv = global_env(df)
    env: dict[str, str | None] = {}
    for ins in stage.instructions[1:]:
        if ins is upto:
            break
        if ins.keyword == "ARG":
            for a in _arg_defs(ins):
                if a.default is not None:
                    env[a.name], _ = expand(a.default, env)
                else:
                    env[a.name] = genv.get(a.name)
        elif ins.keyword == "ENV":
            for k, v, *_ in key_values(ins):
                if v is not None:
                    env[k], _ = expand(v, env)
    return env
