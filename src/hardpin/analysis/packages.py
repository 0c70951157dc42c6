"""Shared analysis for the package-manager rules (HP204 HP205 HP209 HP211).

Every rule of this family looks at the same thing: a package manager's
command line, one word at a time. This module gives them

* `pkg_commands(ctx)`: every simple command of the document, normalised —
  wrappers stripped (`sudo`, `env`, `VAR=value`, and here also reserved
  words such as `then`/`do`, `gosu`/`su-exec USER`, `runuser … --`,
  `mono`), `su USER -c "…"` bodies parsed — from the POSIX shell units of
  `analysis.shell`, and also from RUN instructions under a PowerShell or cmd
  `SHELL` (or a Windows base image), whose text is split into commands and
  words here because no POSIX parse happens for them;
* a variable resolver (`PkgCommand.resolve`): `$VAR`, `${VAR}`,
  `${VAR:-default}` and `${VAR//a/b}`/`${VAR#a}`-style edits with literal
  patterns are substituted from the Dockerfile's ARG and ENV values in force
  for the RUN and from plain `VAR=value` assignments earlier in the same RUN
  or script; anything else (loop variables, values from the base image, a
  build argument without a default) is *unknown* (`UNKNOWN` in the result),
  and command substitutions or positional parameters make the whole word
  unknown (None): the rules then stay silent rather than guess;
* `parse_options`: an option/operand splitter driven by the set of options
  that take a value, so that option values are never mistaken for packages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.analysis.shell import SU_VALUE_OPTIONS as _SU_VALUE
from hardpin.parsers.shell import Command, ShWord

if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage


_ASSIGN = lazy_re(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
_DECLARE = frozenset({"export", "local", "readonly", "declare", "typeset"})
# POSIX special built-ins: assignments written before them stay in the shell's environment
_SPECIAL_BUILTINS = frozenset(
    {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
     "shift", "times", "trap", "unset"}
)  # fmt: skip
WINDOWS_SHELLS = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe"})
CMD_SHELLS = frozenset({"cmd", "cmd.exe"})


def base(word: str) -> str:
    """Lower-cased command name without its directory (`/usr/bin/npm`, `C:\\go\\bin\\go.exe`)."""
    return word.replace("\\", "/").rsplit("/", 1)[-1].lower()


def exe_name(word: str) -> str:
    """`base` without a Windows executable suffix (`.exe`, `.cmd`, `.bat`)."""
    name = base(word)
    for suffix in (".exe", ".cmd", ".bat"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@record
class PkgCommand:
    """One simple command as the package-manager rules see it."""

    words: list[ShWord]  # argv without leading assignments and wrappers (sudo, env, …)
    prefix: dict[str, str]  # `VAR=value` assignments written before the command
    local: dict[str, str | None]  # assignments earlier in the same RUN or script
    base: _BaseEnv  # ARG/ENV values in force for the RUN (computed on first use)
    windows: bool = False  # from a PowerShell/cmd RUN (split word by word, not parsed)

    @property
    def name(self) -> str:
        """The command name as `exe_name` gives it (`npm`, `dotnet`, `apt-get`)."""
        name = self.__dict__.get("_name")
        if name is None:
            name = self.__dict__["_name"] = exe_name(self.words[0].value)
        return name

    @property
    def env(self) -> dict[str, str | None]:
        """Variables known at this point (None: declared, but the value cannot be known)."""
        env = self.__dict__.get("_env")
        if env is None:
            env = {**self.base.get(), **self.local} if self.local else self.base.get()
            self.__dict__["_env"] = env
        return env

    def resolve(self, word: ShWord) -> str | None:
        """The word's value with variables substituted (`UNKNOWN` for unknown parts), or None."""
        return resolve(word.value, self.env, windows=self.windows)

    def subject(self, *words: ShWord | str) -> str:
        """A stable description of the finding: command name and the given words."""
        parts = [self.name]
        for w in words:
            parts.append(w if isinstance(w, str) else w.value)
        return " ".join(parts)


class _BaseEnv:
    """The Dockerfile ARG/ENV values for one RUN, computed only when a rule needs them."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], dict[str, str | None]] | None = None) -> None:
        self._compute = compute
        self._value: dict[str, str | None] | None = None

    def get(self) -> dict[str, str | None]:
        if self._value is None:
            self._value = self._compute() if self._compute is not None else {}
        return self._value


UNKNOWN = "\x00"  # stands for the value of a variable that cannot be known


def resolve(value: str, env: dict[str, str | None], *, windows: bool = False) -> str | None:
    """The word's value with variables substituted.

    A variable whose value cannot be known is replaced by `UNKNOWN`, so a
    caller can still judge the known parts of a list (`"gcc $EXTRA"`); None
    when the word cannot be analysed at all (command substitution, `$1`,
    `${X#pattern}`; any variable in PowerShell or cmd).
    """
    if windows:
        if "$" in value or "%" in value:
            return None
        return value
    if "$" not in value and "`" not in value:
        return value
    if "$(" in value or "`" in value:
        return None
    from hardpin.parsers.dockerfile import _VAR_RE, expand

    if "${" in value and _PARAM_OP.search(value):
        value = _PARAM_OP.sub(lambda m: _param_op(m, env), value)
        if "\x01" in value:
            return None
    env2 = dict(env)
    for m in _VAR_RE.finditer(value):
        name = m.group(1) or m.group(4)
        if env2.get(name) is None:
            env2[name] = UNKNOWN
    out, _missing = expand(value, env2)
    if "$" in out:
        return None
    return out


_PARAM_OP = lazy_re(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(//?|##?|%%?)([^}]*)\}")


def _param_op(m: re.Match[str], env: dict[str, str | None]) -> str:
    """`${V/a/b}`, `${V//a/b}`, `${V#a}`, `${V##a}`, `${V%a}`, `${V%%a}` with literal patterns."""
    val = env.get(m.group(1))
    if val is None:
        return UNKNOWN
    op, rest = m.group(2), m.group(3)
    if op.startswith("/"):
        pat, _, rep = rest.partition("/")
    else:
        pat, rep = rest, ""
    if not pat or any(c in pat for c in "*?[\\$") or "$" in rep:
        return "\x01"  # a glob or nested expansion: not analysed
    if op == "//":
        return val.replace(pat, rep)
    if op == "/":
        return val.replace(pat, rep, 1)
    if op.startswith("#"):
        return val[len(pat) :] if val.startswith(pat) else val
    return val[: -len(pat)] if val.endswith(pat) else val


def known(value: str | None) -> bool:
    """True when a resolved value has no unknown part."""
    return value is not None and UNKNOWN not in value


# ---------------------------------------------------------------------------
# options and operands


@record
class Parsed:
    """A command's arguments split into options and operands."""

    options: list[tuple[str, str | None, ShWord]]  # (name as written, value or None, word)
    operands: list[ShWord]

    def has(self, *names: str, fold: bool = False) -> bool:
        want = {n.lower() for n in names} if fold else set(names)
        return any((name.lower() if fold else name) in want for name, _v, _w in self.options)

    def value(self, *names: str, fold: bool = False) -> str | None:
        want = {n.lower() for n in names} if fold else set(names)
        found = None
        for name, v, _w in self.options:
            if (name.lower() if fold else name) in want:
                found = v if v is not None else ""
        return found


def parse_options(
    words: Iterable[ShWord],
    takes_value: frozenset[str] = frozenset(),
    *,
    short_clusters: bool = True,
    fold: bool = False,
    stop_at_first_operand: bool = False,
) -> Parsed:
    """Split arguments into options and operands.

    `takes_value` names the options (as written, e.g. `-o`, `--prefix`) whose
    value is the next word when not given with `=`. Short options may be
    clustered (`-qy`); a cluster whose last letter takes a value consumes the
    next word (`-qyo Dpkg::Options=…`). `--` ends the options. With
    `stop_at_first_operand`, everything from the first operand on is an
    operand (for a tool's global options before its subcommand).
    """
    ws = list(words)
    options: list[tuple[str, str | None, ShWord]] = []
    operands: list[ShWord] = []
    tv = {t.lower() for t in takes_value} if fold else takes_value
    i = 0
    n = len(ws)
    while i < n:
        w = ws[i]
        v = w.value
        key = v.lower() if fold else v
        if v == "--":
            operands.extend(ws[i + 1 :])
            break
        if len(v) > 1 and v[0] == "-" and not _is_number(v):
            if "=" in v:
                name, _, val = v.partition("=")
                options.append((name, val, w))
                i += 1
                continue
            if key in tv:
                val_w = ws[i + 1] if i + 1 < n else None
                options.append((v, val_w.value if val_w is not None else None, w))
                i += 2
                continue
            if short_clusters and not v.startswith("--") and len(v) > 2:
                # -qyo value: every letter is a flag; the last one may take the next word
                for ch in v[1:-1]:
                    options.append(("-" + ch, None, w))
                last = "-" + v[-1]
                if (last.lower() if fold else last) in tv:
                    val_w = ws[i + 1] if i + 1 < n else None
                    options.append((last, val_w.value if val_w is not None else None, w))
                    i += 2
                    continue
                options.append((last, None, w))
                i += 1
                continue
            options.append((v, None, w))
            i += 1
            continue
        if stop_at_first_operand:
            operands.extend(ws[i:])
            break
        operands.append(w)
        i += 1
    return Parsed(options, operands)


def _is_number(v: str) -> bool:
    return v[1:].replace(".", "", 1).isdigit()


def slash_options(words: Iterable[ShWord]) -> Parsed:
    """Windows-style `/name[:value]` and `-name[:value]` options (msbuild, nuget, choco)."""
    options: list[tuple[str, str | None, ShWord]] = []
    operands: list[ShWord] = []
    for w in words:
        v = w.value
        if len(v) > 1 and v[0] in "-/" and not v.startswith("//") and not _looks_like_path(v):
            name, sep, val = v.partition(":") if ":" in v else v.partition("=")
            options.append((name, val if sep else None, w))
        else:
            operands.append(w)
    return Parsed(options, operands)


def _looks_like_path(v: str) -> bool:
    return v.startswith("/") and v.count("/") > 1 and ":" not in v


# ---------------------------------------------------------------------------
# commands of a document


def pkg_commands(ctx: RuleContext) -> list[PkgCommand]:
    """Every simple command of the document (POSIX units and Windows RUN bodies), once."""
    return ctx.cached("pkg_commands", lambda: _pkg_commands(ctx))


def _pkg_commands(ctx: RuleContext) -> list[PkgCommand]:
    from hardpin.analysis.shell import units

    out: list[PkgCommand] = []
    df: Dockerfile | None = ctx.doc if ctx.kind == "dockerfile" else None  # type: ignore[assignment]
    for unit in units(ctx):
        base = _BaseEnv()
        st, ins = unit.stage, unit.instruction
        if df is not None and st is not None and ins is not None:
            base = _BaseEnv(_env_thunk(ctx, st, ins))
        _collect(unit.commands, base, {}, out)
    if df is not None and _may_have_windows_runs(df):
        out.extend(_windows_commands(ctx))
    return out


def _env_thunk(
    ctx: RuleContext, st: Stage, ins: Instruction
) -> Callable[[], dict[str, str | None]]:
    def compute() -> dict[str, str | None]:
        return _instruction_env(ctx, st, ins)

    return compute


def _may_have_windows_runs(df: Dockerfile) -> bool:
    """Cheap test before asking `shell_of` for every RUN: a SHELL, a backtick escape or an image
    whose default shell may be cmd."""
    if df.escape == "`":
        return True
    for ins in df.instructions:
        target = ins.inner or ins
        if target.keyword == "SHELL":
            return True
        if target.keyword == "FROM" and "mcr.microsoft.com" in target.args.lower():
            return True
    return any("mcr.microsoft.com" in (a.default or "").lower() for a in df.global_args)


def _instruction_env(ctx: RuleContext, st: Stage, ins: Instruction) -> dict[str, str | None]:
    from hardpin.parsers.dockerfile import stage_env

    return ctx.cached(f"pkg_env:{ins.start}", lambda: stage_env(ctx.doc, st, ins))  # type: ignore[arg-type]


def _collect(
    commands: list[Command], base: _BaseEnv, local: dict[str, str | None], out: list[PkgCommand]
) -> None:
    from hardpin.parsers.shell import strip_wrappers

    def assign(name: str, val: str) -> None:
        local[name] = resolve(val, {**base.get(), **local}) if "$" in val or "`" in val else val

    snapshot: dict[str, str | None] | None = None
    for cmd in commands:
        words = cmd.words
        if not words:
            continue
        lead = 0
        while lead < len(words) and words[lead].raw in _RESERVED:
            lead += 1
        words = words[lead:]
        argv = strip_wrappers(words)
        prefix: dict[str, str] = {}
        for w in words[: len(words) - len(argv)]:
            m = _ASSIGN.match(w.value)
            if m:
                prefix[m.group(1)] = m.group(2)
        if not argv or argv[0].value in _SPECIAL_BUILTINS:
            # `VAR=value` on its own (or before `set`, `export`, …): remembered for later commands
            for name, val in prefix.items():
                assign(name, val)
                snapshot = None
            if not argv:
                continue
        head = argv[0].value
        if head in _DECLARE:
            for w in argv[1:]:
                m = _ASSIGN.match(w.value)
                if m:
                    assign(m.group(1), m.group(2))
                    snapshot = None
            continue
        if head in ("read", "for", "select", "unset"):
            for w in argv[1:]:
                if re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", w.value):
                    local[w.value] = None
                    snapshot = None
                if head == "for" and w.value == "in":
                    break
        if snapshot is None:
            snapshot = dict(local)
        inner = _run_as(argv) if _RUN_AS_HINT.search(head) else None
        if inner is not None:
            argv = inner
        if argv:
            out.append(PkgCommand(argv, prefix, snapshot, base))


_RUN_AS_HINT = lazy_re(r"(?:^|[/\\])(?:gosu|su-exec|su|runuser|mono(?:\.exe)?)$", re.I)
# reserved words that can start a simple command's word list (`if [ … ]; then apt-get …`)
_RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})


def _run_as(argv: list[ShWord]) -> list[ShWord] | None:
    """Commands run through another program: `gosu USER cmd…`, `su-exec USER cmd…`,
    `runuser -u USER -- cmd…`, `mono nuget.exe …` (the command's words). `su USER -c "…"`
    bodies are not handled here: analysis.shell.expand_sh_c puts them into the unit."""
    name = base(argv[0].value)
    if name in ("gosu", "su-exec") and len(argv) > 2:
        return argv[2:]
    if name in ("mono", "mono.exe"):
        rest = argv[1:]
        while rest and rest[0].value.startswith("-"):
            rest = rest[1:]
        return rest or None
    if name not in ("su", "runuser"):
        return None
    i = 1
    while i < len(argv):
        v = argv[i].value
        if v in ("-c", "--command") or v.startswith("--command="):
            return None  # the body is parsed into the unit by analysis.shell.expand_sh_c
        if v == "--":
            return argv[i + 1 :] or None
        if v in _SU_VALUE:
            i += 2
            continue
        i += 1
    return None


# ---------------------------------------------------------------------------
# PowerShell and cmd RUN bodies


def _windows_commands(ctx: RuleContext) -> list[PkgCommand]:
    from hardpin.analysis.dockerfile import is_posix_shell, iter_runs, shell_of

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    out: list[PkgCommand] = []
    for st, ins in iter_runs(df):
        target = ins.inner or ins
        if is_posix_shell(shell_of(df, st, ins)):
            continue
        base = _BaseEnv(_env_thunk(ctx, st, ins))
        for words in windows_run_commands(target):
            argv = _strip_windows_wrappers(words)
            if argv:
                out.append(PkgCommand(argv, {}, {}, base, windows=True))
    return out


def windows_run_commands(ins: Instruction) -> list[list[ShWord]]:
    """The commands of a RUN under PowerShell or cmd, word by word, with source positions."""
    if ins.json_args is not None:
        return _exec_form_commands(ins)
    a0 = ins.rest_start()
    if a0 is None:
        return []
    return split_windows(ins.args, ins.offsets, a0, len(ins.args))


def _exec_form_commands(ins: Instruction) -> list[list[ShWord]]:
    import json

    words: list[ShWord] = []
    spans: list[tuple[int, int] | None] = []  # index range of the string inside ins.args
    pos = 0
    for a in ins.json_args or []:
        lit = json.dumps(a, ensure_ascii=False)
        i = ins.args.find(lit, pos)
        if i == -1:
            off = ins.offsets[0]
            words.append(ShWord(a, a, off, off))
            spans.append(None)
            continue
        s, e = ins.span(i + 1, i + len(lit) - 1)
        words.append(ShWord(a, a, s, e))
        exact = len(lit) == len(a) + 2  # no JSON escapes: characters map one to one
        spans.append((i + 1, i + len(lit) - 1) if exact else None)
        pos = i + len(lit)
    out = [words]
    body = _shell_body_index(words)
    if body is not None and body < len(words):
        rng = spans[body] if body == len(words) - 1 else None
        if rng is not None:
            out.extend(split_windows(ins.args, ins.offsets, rng[0], rng[1]))
        else:
            text = " ".join(w.value for w in words[body:])
            at = words[body].start
            out.extend(split_windows(text, [at] * (len(text) + 1), 0, len(text)))
    return out


def _shell_body_index(words: list[ShWord]) -> int | None:
    """Index of the first word of the command string given to powershell/pwsh/cmd, if any."""
    if not words:
        return None
    name = base(words[0].value)
    if name in WINDOWS_SHELLS:
        for i in range(1, len(words)):
            v = words[i].value.lower()
            if v in ("-c", "-command", "/c", "-com", "-comm", "-comma", "-comman"):
                return i + 1
            if v in ("-encodedcommand", "-e", "-ec"):
                return None
            if not v.startswith(("-", "/")):
                return i  # `powershell choco install x`: the rest is the command
            if v in ("-file", "-f"):
                return None
        return None
    if name in CMD_SHELLS:
        for i in range(1, len(words)):
            v = words[i].value.lower()
            if v in ("/c", "/k"):
                return i + 1
            if not v.startswith("/"):
                return i
        return None
    return None


_WIN_SEPARATORS = ";|&{}()\n"


def split_windows(text: str, offsets: list[int], start: int, end: int) -> list[list[ShWord]]:
    """Split PowerShell/cmd text[start:end] into commands of words (a tokenizer, not a parser).

    Commands end at `;`, `|`, `&` (and `&&`, `||`), braces, parentheses and
    newlines outside quotes. Quotes (`'…'`, `"…"`) are removed from word
    values; a backtick or backslash escapes a double quote inside `"…"`. A
    `#` that starts a word comments out the rest of the line. The command
    string given to `powershell -Command "…"` or `cmd /c "…"` is split in
    turn, with exact positions.
    """
    commands: list[list[ShWord]] = []
    spans: list[list[tuple[int, int]]] = []
    cur: list[ShWord] = []
    cur_spans: list[tuple[int, int]] = []

    def off(i: int) -> int:
        return offsets[i] if i < len(offsets) else (offsets[-1] if offsets else 0)

    def flush() -> None:
        nonlocal cur, cur_spans
        if cur:
            commands.append(cur)
            spans.append(cur_spans)
        cur, cur_spans = [], []

    i = start
    while i < end:
        c = text[i]
        if c in " \t\r":
            i += 1
            continue
        if c in _WIN_SEPARATORS:
            flush()
            i += 1
            continue
        if c == "#":
            nl = text.find("\n", i, end)
            i = end if nl == -1 else nl
            continue
        w0 = i
        val: list[str] = []
        while i < end:
            c = text[i]
            if c in " \t\r" or c in _WIN_SEPARATORS:
                break
            if c == "'":
                j = i + 1
                while j < end:
                    if text[j] == "'":
                        if j + 1 < end and text[j + 1] == "'":
                            val.append("'")
                            j += 2
                            continue
                        break
                    val.append(text[j])
                    j += 1
                i = min(j + 1, end)
                continue
            if c == '"':
                j = i + 1
                while j < end and text[j] != '"':
                    if text[j] in "`\\" and j + 1 < end and text[j + 1] == '"':
                        val.append('"')
                        j += 2
                        continue
                    val.append(text[j])
                    j += 1
                i = min(j + 1, end)
                continue
            val.append(c)
            i += 1
        cur.append(ShWord(text[w0:i], "".join(val), off(w0), off(i - 1) + 1))
        cur_spans.append((w0, i))
    flush()
    out: list[list[ShWord]] = []
    for words, sp in zip(commands, spans, strict=True):
        out.append(words)
        b = _shell_body_index(words)
        if b is None or b >= len(words):
            continue
        if b == len(words) - 1:
            s, e = sp[b]
            raw = text[s:e]
            if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
                out.extend(split_windows(text, offsets, s + 1, e - 1))
                continue
        out.append(words[b:])
    return out


def _strip_windows_wrappers(words: list[ShWord]) -> list[ShWord]:
    """Drop PowerShell's call operator leftovers and `cmd /c`-style prefixes handled elsewhere."""
    i = 0
    while i < len(words) and words[i].value in ("&", ".", "call", "start", "/wait", "/b"):
        i += 1
    return words[i:]


# ---------------------------------------------------------------------------
# versions

SEMVER = lazy_re(
    r"^v?(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-[0-9A-Za-z][0-9A-Za-z.-]*)?(?:\+[0-9A-Za-z][0-9A-Za-z.-]*)?$"
)
HEX40 = lazy_re(r"^[0-9a-fA-F]{40,64}$")


def first_line(text: str) -> str:
    return text.split("\n", 1)[0]
