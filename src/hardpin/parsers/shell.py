"""A small POSIX shell lexer with source positions.

It splits a script into simple commands (words with source offsets) joined by
operators, and descends into `$(...)`, backticks and subshells. It does not
execute or expand anything. Shell text reaches it through an offset map, so a
word's position is its position in the original file even when the script is
a Dockerfile RUN spread over continuation lines or a heredoc body.
"""

from __future__ import annotations

import re

from hardpin._record import field, record
from hardpin.model import HardpinError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Sequence


class ShellSyntaxError(HardpinError):
    """Shell text that does not lex (an unterminated quote or substitution), at a source offset."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


@record
class ShWord:
    """One shell word with its source span."""

    __slots__ = ("raw", "value", "start", "end")  # millions of them in a large script

    raw: str
    value: str  # quotes removed; expansions kept as written
    start: int  # source offsets
    end: int


@record
class Command:
    """One simple command: its words in source order and how it joins the previous one."""

    words: list[ShWord]
    # operator that connects this command to the previous one in its list:
    # "" (first), "&&", "||", ";", "&", "|", "|&", "\n"
    joined_by: str = ""
    op_offset: int = -1  # source offset of that operator
    depth: int = 0  # nesting level: 0 top level, >0 inside $(...), `...` or (...)
    heredoc_redirects: list[ShWord] = field(default_factory=list)

    @property
    def argv(self) -> list[str]:
        """The values of the command's words (assignments and wrappers included)."""
        return [w.value for w in self.words]


_OPS = ("&&", "||", ";;", "|&", "|", ";", "&", "\n", "(", ")")
_REDIR_START = "<>"
_OP_CHARS = frozenset("&|;\n()")
_PLAIN = re.compile(r"[^\s;&|<>()\\'\"`$]+")
# `$(…)`, `(…)`, backquotes and `<(…)` deeper than this are a syntax error (HP001), not a
# RecursionError: no real script comes near it
MAX_NESTING = 100


def parse_commands(text: str, offsets: Sequence[int] | None = None) -> list[Command]:
    """Split `text` into simple commands, in source order, nested ones included.

    `offsets`: the source offset of each character of `text`, plus one past the end
    (a list, an array or a range); by default the text's own positions."""
    if offsets is None:
        offsets = range(len(text) + 1)
    lexer = _Lexer(text, offsets)
    lexer.run(0, len(text), 0)
    return lexer.commands


def _skip_heredoc_bodies(t: str, i: int, end: int, bodies: list[tuple[str, bool]]) -> int:
    """The offset after the bodies of the heredocs of the line that ended at `i`: each
    runs to a line that is its delimiter (leading tabs stripped for `<<-`), or to the end
    of the text. A body is data for its command, not commands."""
    for delim, strip_tabs in bodies:
        while i < end:
            nl = t.find("\n", i, end)
            stop = end if nl == -1 else nl
            line = t[i:stop]
            if line.endswith("\r"):
                line = line[:-1]
            i = stop + 1 if nl != -1 else end
            if (line.lstrip("\t") if strip_tabs else line) == delim:
                break
    return min(i, end)


class _Lexer:
    def __init__(self, text: str, offsets: Sequence[int]) -> None:
        self.text = text
        self.off = offsets
        self.commands: list[Command] = []

    def _o(self, i: int) -> int:
        return self.off[i] if i < len(self.off) else (self.off[-1] if self.off else 0)

    def run(self, i: int, end: int, depth: int) -> int:
        if depth > MAX_NESTING:
            raise ShellSyntaxError(
                f"command substitutions and subshells nested more than {MAX_NESTING} deep",
                self._o(i - 1 if i else 0),
            )
        t = self.text
        words: list[ShWord] = []
        heredocs: list[ShWord] = []
        joined, op_off = "", -1
        pending_redirect = False
        bodies: list[tuple[str, bool]] = []  # heredocs whose bodies follow the next newline

        def flush(next_op: str, next_off: int) -> None:
            nonlocal words, heredocs, joined, op_off
            if words or heredocs:
                self.commands.append(Command(words, joined, op_off, depth, heredocs))
            words, heredocs = [], []
            joined, op_off = next_op, next_off

        while i < end:
            c = t[i]
            if c in " \t\r":
                i += 1
                continue
            if c == "\\" and i + 1 < end and t[i + 1] == "\n":
                i += 2
                continue
            if c == "#" and (i == 0 or t[i - 1] in " \t\n;&|()"):
                nl = t.find("\n", i, end)
                i = end if nl == -1 else nl
                continue
            if c == ")" and depth > 0:
                flush("", -1)
                return i + 1
            if c == "(":
                flush(joined or "", op_off)
                i = self.run(i + 1, end, depth + 1)
                continue
            op = next((o for o in _OPS if t.startswith(o, i)), None) if c in _OP_CHARS else None
            if op is not None and op not in "()":
                flush(op, self._o(i))
                i += len(op)
                if op == "\n" and bodies:
                    i = _skip_heredoc_bodies(t, i, end, bodies)
                    bodies = []
                continue
            if (c in _REDIR_START and not t.startswith("(", i + 1)) or (
                c.isdigit() and i + 1 < end and t[i + 1] in _REDIR_START
            ):
                j = i
                while j < end and (t[j].isdigit()):
                    j += 1
                k = j
                while k < end and t[k] in "<>&|-":
                    k += 1
                redir = t[j:k]
                if redir.startswith("<<") and not redir.startswith("<<<"):
                    # heredoc redirect: the delimiter word follows
                    while k < end and t[k] in " \t":
                        k += 1
                    w, k = self.word(k, end, depth)
                    if w is not None:
                        heredocs.append(w)
                        bodies.append((w.value, redir.startswith("<<-")))
                    i = k
                    continue
                if redir.endswith("&") and k < end and (t[k].isdigit() or t[k] == "-"):
                    k += 1
                    i = k
                    continue
                pending_redirect = True
                i = k
                continue
            w, i = self.word(i, end, depth)
            if w is None:
                continue
            if pending_redirect:
                pending_redirect = False
                continue
            words.append(w)
        flush("", -1)
        return i

    def word(self, i: int, end: int, depth: int) -> tuple[ShWord | None, int]:
        t = self.text
        start = i
        val: list[str] = []
        plain = _PLAIN.match
        while i < end:
            m = plain(t, i, end)
            if m is not None:
                val.append(m.group())
                i = m.end()
                continue
            c = t[i]
            if c in " \t\r\n;&|<>()" and not (c == "(" and val and val[-1] == "$"):
                if c in "<>" and i + 1 < end and t[i + 1] == "(" and i == start:
                    # process substitution <(...) / >(...)
                    j = self.run(i + 2, end, depth + 1)
                    val.append(t[i:j])
                    i = j
                    continue
                break
            if c == "\\":
                if i + 1 < end:
                    if t[i + 1] != "\n":
                        val.append(t[i + 1])
                    i += 2
                else:
                    i += 1
                continue
            if c == "'":
                j = t.find("'", i + 1, end)
                if j == -1:
                    raise ShellSyntaxError("unterminated single quote", self._o(i))
                val.append(t[i + 1 : j])
                i = j + 1
                continue
            if c == '"':
                i = self._dquote(i + 1, end, depth, val)
                continue
            if c == "`":
                j = i + 1
                while j < end and t[j] != "`":
                    j += 2 if t[j] == "\\" else 1
                if j >= end:
                    raise ShellSyntaxError("unterminated backquote", self._o(i))
                sub = _Lexer(t[i + 1 : j], self.off[i + 1 : j + 1])
                sub.run(0, j - i - 1, depth + 1)
                self.commands.extend(sub.commands)
                val.append(t[i : j + 1])
                i = j + 1
                continue
            if c == "$" and i + 1 < end and t[i + 1] == "(":
                if t.startswith("$((", i):
                    j = t.find("))", i + 3, end)
                    j = end if j == -1 else j + 2
                    val.append(t[i:j])
                    i = j
                    continue
                j = self.run(i + 2, end, depth + 1)
                val.append(t[i:j])
                i = j
                continue
            if c == "$" and i + 1 < end and t[i + 1] == "{":
                j = t.find("}", i + 2, end)
                j = end if j == -1 else j + 1
                val.append(t[i:j])
                i = j
                continue
            val.append(c)
            i += 1
        if i == start:
            return None, i + 1
        raw = t[start:i]
        value = "".join(val)
        if value == raw:  # a plain word: one string, not two
            value = raw
        return ShWord(raw, value, self._o(start), self._o(i - 1) + 1), i

    def _dquote(self, i: int, end: int, depth: int, val: list[str]) -> int:
        t = self.text
        begin = i - 1
        while i < end:
            c = t[i]
            if c == '"':
                return i + 1
            if c == "\\" and i + 1 < end:
                nxt = t[i + 1]
                if nxt in '"\\$`':
                    val.append(nxt)
                elif nxt != "\n":
                    val.append(c + nxt)
                i += 2
                continue
            if c == "$" and t.startswith("$(", i) and not t.startswith("$((", i):
                j = self.run(i + 2, end, depth + 1)
                val.append(t[i:j])
                i = j
                continue
            if c == "`":
                j = i + 1
                while j < end and t[j] != "`":
                    j += 2 if t[j] == "\\" else 1
                sub = _Lexer(t[i + 1 : j], self.off[i + 1 : j + 1])
                sub.run(0, min(j, end) - i - 1, depth + 1)
                self.commands.extend(sub.commands)
                val.append(t[i : j + 1])
                i = j + 1
                continue
            val.append(c)
            i += 1
        raise ShellSyntaxError("unterminated double quote", self._o(begin))
