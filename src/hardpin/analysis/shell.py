"""Shell analysis shared by the install and download rules (HP2xx).

A *unit* is a piece of shell that runs as a whole: one Dockerfile RUN (its
command line and the heredoc bodies it executes) or one shell script. Rules
see every unit's simple commands in source order, with `sh -c "…"` bodies
parsed recursively. Nothing here depends on Dockerfiles beyond building
units from RUN instructions, so workflow `run:` steps can be added as
another source of units.

This module is the one place that knows

* the *prologue* of a simple command — reserved words (`then`, `do`, `!`,
  …), `NAME=value` assignments and wrappers (`sudo`, `env`, `exec`,
  `command`, `time`, `nice`, `nohup`) with their options — and so where the
  command's own argv starts (`prologue`, `argv`, `simple_commands`), and
  which assignments a command makes (`assignments`);
* how a word's variables are substituted (`resolve`, `resolve_word`), with
  `UNKNOWN` standing for every part whose value cannot be known;
* the name an executable is called by (`basename`, `exe_name`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.analysis.options import Option, OptionTable, parse
from hardpin.parsers.shell import Command, ShellSyntaxError, ShWord, parse_commands

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Instruction, Stage

Env = dict[str, str | None]  # variable -> value (None: declared, but the value cannot be known)

UNKNOWN = "\x00"  # stands for a part of a value that cannot be known statically

SHELL_NAMES = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})
PYTHON_NAME = lazy_re(r"^(?:python|python[23](?:\.\d+)?|pypy3?(?:\.\d+)?)(?:\.exe)?$")
PIP_NAME = lazy_re(r"^pip(?:[23](?:\.\d+)?)?(?:\.exe)?$")

# reserved words that can start a simple command's word list (`if [ … ]; then apt-get …`);
# the reserved word `time` is read as a wrapper, with its `-p`
RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{"})
# builtins whose `NAME=value` arguments are assignments
DECLARATIONS = frozenset({"export", "local", "readonly", "declare", "typeset"})
# commands that run the command after their options (and, for env, assignments)
WRAPPERS = {
    "sudo": OptionTable(
        values=frozenset(
            {"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group",
             "--close-from", "--chdir", "--host", "--prompt", "--role", "--type", "--other-user"}
        )
    ),
    "env": OptionTable(values=frozenset({"-u", "--unset", "-C", "--chdir"})),
    "exec": OptionTable(values=frozenset({"-a"})),
    "command": OptionTable(),
    "time": OptionTable(values=frozenset({"-f", "--format", "-o", "--output"})),
    "nice": OptionTable(values=frozenset({"-n", "--adjustment"})),
    "nohup": OptionTable(),
}  # fmt: skip
# su / runuser options that take a value
SU = OptionTable(
    values=frozenset(
        {"-c", "--command", "-s", "--shell", "-g", "--group", "-G", "--supp-group", "-u",
         "--user", "-w", "--whitelist-environment"}
    )
)  # fmt: skip
_ASSIGNMENT = lazy_re(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.DOTALL)


@record
class Unit:
    """One piece of shell that runs as a whole."""

    commands: list[Command]
    instruction: Instruction | None = None  # the RUN, for Dockerfiles
    stage: Stage | None = None


@record
class ShellScript:
    """A parsed shell script file (kind "shell")."""

    commands: list[Command]
    interpreter: str  # from the shebang, "sh" when there is none


# ---------------------------------------------------------------------------
# executable names


def basename(word: str) -> str:
    """A command name without its directory (`/usr/bin/pip`, `C:\\x\\pip.exe`), case kept."""
    if "/" not in word and "\\" not in word:
        return word
    return word.replace("\\", "/").rsplit("/", 1)[-1]


def exe_name(word: str) -> str:
    """`basename` in lower case without a Windows suffix (`.exe`, `.cmd`, `.bat`)."""
    name = basename(word).lower()
    for suffix in (".exe", ".cmd", ".bat"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


# ---------------------------------------------------------------------------
# simple commands: prologue, argv, assignments


@record
class Prologue:
    """What comes before a simple command's own name, and the command itself."""

    assignments: list[tuple[str, str, ShWord]]  # (name, value as written, word) of `NAME=value`
    wrappers: list[ShWord]  # wrapper command words (`sudo`, `env`, …), without their options
    argv: list[ShWord]  # the command's name and arguments; empty when there is none


def prologue(words: list[ShWord]) -> Prologue:
    """Split a command's words into its prologue and its argv.

    Reserved words (written without quotes), `NAME=value` assignments and
    wrappers with their options (`sudo -u app`, `env -i`, `nice -n 5`, `time
    -p`, …) are skipped, in any order, until the first other word.
    """
    assigns: list[tuple[str, str, ShWord]] = []
    wrappers: list[ShWord] = []
    i = 0
    n = len(words)
    while i < n:
        w = words[i]
        v = w.value
        if v in RESERVED and w.raw == v:
            i += 1  # `if cmd`, `then cmd`, `do cmd`, `! cmd`, `{ cmd`: the command follows
            continue
        m = _ASSIGNMENT.match(v) if "=" in v else None  # most words: no regex
        if m:
            assigns.append((m.group(1), m.group(2), w))
            i += 1
            continue
        table = WRAPPERS.get(v)
        if table is None:
            break
        wrappers.append(w)
        i += 1 + parse(words[i + 1 :], table, stop_at_operand=True).end
        if v == "env" and i < n and words[i].value == "-":
            i += 1  # `env -`: an empty environment
    return Prologue(assigns, wrappers, words[i:])


def argv(cmd: Command) -> list[ShWord]:
    """The command's name and arguments, its prologue (reserved words, assignments, wrappers)
    skipped."""
    return prologue(cmd.words).argv


def assignments(words: list[ShWord]) -> list[tuple[str, str, ShWord]]:
    """(name, value as written, word) of every assignment a command makes: `NAME=value` before
    the command (also behind `env` or `sudo`) and the arguments of `export`, `declare`, …"""
    p = prologue(words)
    return p.assignments + declared(p.argv)


def declared(argv: list[ShWord]) -> list[tuple[str, str, ShWord]]:
    """(name, value as written, word) of the `NAME=value` arguments of `export`, `declare`,
    `local`, `readonly` or `typeset` (`argv` as `argv` gives it); empty for other commands."""
    if not argv or argv[0].value not in DECLARATIONS:
        return []
    out: list[tuple[str, str, ShWord]] = []
    for w in argv[1:]:
        m = _ASSIGNMENT.match(w.value)
        if m:
            out.append((m.group(1), m.group(2), w))
    return out


def simple_commands(ctx: RuleContext) -> Iterator[tuple[Unit, Command, list[ShWord]]]:
    """(unit, command, argv) for every simple command of the document that has a name."""
    for unit in units(ctx):
        for cmd in unit.commands:
            words = argv(cmd)
            if words:
                yield unit, cmd, words


# ---------------------------------------------------------------------------
# variables

_SUBSTITUTION = lazy_re(r"\$\((?:[^()]|\([^()]*\))*\)|`[^`]*`")
_PARAM_OP = lazy_re(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(//?|##?|%%?)([^}]*)\}")
_LEFT_OVER = lazy_re(r"\$(?:\{[^}]*\}|[0-9@*#?$!-]|[A-Za-z_][A-Za-z0-9_]*)")
_OPAQUE = "\x01"


def resolve(value: str, env: Env) -> str:
    """`value` with its variables substituted from `env`; every part that cannot be known
    (a variable without a known value, `$(…)`, `$1`, `${V#*glob}`) becomes `UNKNOWN`.

    Handles `$V`, `${V}`, `${V:-default}` and the other forms of
    `parsers.dockerfile.expand`, and `${V/a/b}`, `${V//a/b}`, `${V#a}`,
    `${V##a}`, `${V%a}`, `${V%%a}` with literal patterns.
    """
    return _resolve(value, env)[0]


def resolve_word(value: str, env: Env) -> str | None:
    """Like `resolve`, but None when part of the word is beyond analysis rather than a variable
    without a value: a command substitution, a positional or special parameter, an expansion
    with a glob pattern. Callers that judge a list (`"gcc $EXTRA"`) use the known parts."""
    text, complete = _resolve(value, env)
    return text if complete else None


def known(value: str | None) -> bool:
    """True when a resolved value has no unknown part."""
    return value is not None and UNKNOWN not in value


def _resolve(value: str, env: Env) -> tuple[str, bool]:
    """(resolved text, whether every unknown part is a variable without a known value)."""
    if "$" not in value and "`" not in value:
        return value, True
    complete = True
    if "$(" in value or "`" in value:
        complete = False
        value = _SUBSTITUTION.sub(UNKNOWN, value)
        if "$" not in value:
            return value, complete
    if "${" in value and _PARAM_OP.search(value):
        value = _PARAM_OP.sub(lambda m: _param_op(m, env), value)
        if _OPAQUE in value:
            complete = False
            value = value.replace(_OPAQUE, UNKNOWN)
    from hardpin.parsers.dockerfile import expand, variable_names

    full = dict(env)
    for name in variable_names(value):
        if full.get(name) is None:
            full[name] = UNKNOWN
    out, _missing = expand(value, full)
    if "$" in out:
        complete = False
        out = _LEFT_OVER.sub(UNKNOWN, out)
    return out, complete


def _param_op(m: re.Match[str], env: Env) -> str:
    """`${V/a/b}`, `${V//a/b}`, `${V#a}`, `${V##a}`, `${V%a}`, `${V%%a}` with literal patterns."""
    val = env.get(m.group(1))
    if val is None:
        return UNKNOWN
    op, rest = m.group(2), m.group(3)
    anchor = ""
    if op.startswith("/"):
        pat, _, rep = rest.partition("/")
        if op == "/" and pat[:1] in ("#", "%"):
            anchor, pat = pat[0], pat[1:]  # `${V/#a/b}`, `${V/%a/b}`: at the start, at the end
    else:
        pat, rep = rest, ""
    if not pat or any(c in pat for c in "*?[\\$") or "$" in rep:
        return _OPAQUE  # a glob or a nested expansion: not analysed
    if anchor == "#":
        return rep + val[len(pat) :] if val.startswith(pat) else val
    if anchor == "%":
        return val[: -len(pat)] + rep if val.endswith(pat) else val
    if op == "//":
        return val.replace(pat, rep)
    if op == "/":
        return val.replace(pat, rep, 1)
    if op.startswith("#"):
        return val[len(pat) :] if val.startswith(pat) else val
    return val[: -len(pat)] if val.endswith(pat) else val


# ---------------------------------------------------------------------------
# units


def _c_body(words: list[ShWord]) -> ShWord | None:
    """The script word of `sh -c BODY` (bash/dash/… too) or `su [user] -c BODY` / `runuser … -c`."""
    name = basename(words[0].value)
    if name in SHELL_NAMES:
        call = shell_call(words[1:])
        return call.script if call.command else None
    if name in ("su", "runuser"):
        script = su_script(words)
        if script is not None and script.value_word is not script.word:
            return script.value_word
    return None


@record
class ShellCall:
    """What a shell (`sh`, `bash`, …) runs, read from its arguments."""

    command: bool  # `-c`: the commands are an argument
    script: ShWord | None  # with `command` the commands' word, else the script file operand
    stdin: bool = False  # `-s`: the commands come from standard input
    check_only: bool = False  # `-n`: the commands are read, not run


def shell_call(args: list[ShWord]) -> ShellCall:
    """How `sh ARGS…` (bash, dash, … too) is invoked: `-c SCRIPT` (also in a cluster such as
    `-ec`), a script file, `-s`, `-n`; `-o`/`+o`/`-O`/`+O`/`--rcfile`/`--init-file` take a
    value, `--` or `-` ends the options."""
    i = 0
    n = len(args)
    stdin = False
    while i < n:
        v = args[i].value
        if v == "--" or v == "-":
            i += 1 if v == "--" else 0
            break
        if v in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if v.startswith("--"):
            i += 1
            continue
        if len(v) > 1 and v[0] in "-+":
            letters = v[1:]
            if v[0] == "-" and "c" in letters:
                return ShellCall(True, args[i + 1] if i + 1 < n else None)
            if v[0] == "-" and "n" in letters:
                return ShellCall(False, None, check_only=True)  # `sh -n f`: syntax check only
            if "s" in letters:
                stdin = True
            i += 2 if letters[-1] in "oO" else 1
            continue
        break
    return ShellCall(False, args[i] if i < n else None, stdin)


def su_script(words: list[ShWord]) -> Option | None:
    """The `-c SCRIPT` / `--command=SCRIPT` option of an `su` or `runuser` argv, if any."""
    for o in parse(words[1:], SU).options:
        if o.name in ("-c", "--command"):
            return o
    return None


def expand_sh_c(commands: list[Command]) -> list[Command]:
    """Commands with `sh -c "body"` (bash/dash/… -c) and `su [user] -c "body"` (runuser) bodies
    parsed and inserted after them, recursively."""
    out: list[Command] = []
    for cmd in commands:
        out.append(cmd)
        words = argv(cmd)
        body = _c_body(words) if words else None
        if body is None:
            continue
        try:
            inner = parse_commands(body.value, _body_offsets(body))
        except ShellSyntaxError:
            continue
        for c in inner:
            c.depth += cmd.depth + 1
        out.extend(expand_sh_c(inner))
    return out


def _body_offsets(w: ShWord) -> list[int]:
    """Approximate source offsets for the unquoted value of a word (exact for simple quoting)."""
    shift = 1 if w.raw[:1] in ("'", '"') else 0
    n = len(w.value)
    base = w.start + shift
    return [min(base + i, max(w.end - 1, w.start)) for i in range(n)] + [min(base + n, w.end)]


def units(ctx: RuleContext) -> list[Unit]:
    """Every shell unit of the document, computed once per document."""
    return ctx.cached("shell_units", lambda: _units(ctx))


def _units(ctx: RuleContext) -> list[Unit]:
    if ctx.kind == "shell":
        doc: ShellScript = ctx.doc  # type: ignore[assignment]
        return [Unit(expand_sh_c(doc.commands))]
    if ctx.kind == "dockerfile":
        from hardpin.analysis.dockerfile import iter_runs, scripts_of

        out = []
        for st, ins in iter_runs(ctx.doc):  # type: ignore[arg-type]
            cmds: list[Command] = []
            for script in scripts_of(ctx, st, ins):
                cmds.extend(script.commands)
            out.append(Unit(expand_sh_c(cmds), ins, st))
        return out
    if ctx.kind in ("workflow", "action"):
        from hardpin.analysis.workflow import run_units

        return run_units(ctx)[0]  # type: ignore[return-value]
    return []


def parse_script(text: str) -> ShellScript:
    """Parse a shell script file; raises ShellSyntaxError."""
    interp = "sh"
    body = text[1:] if text.startswith("\ufeff") else text
    if body.startswith("#!"):
        first = body.split("\n", 1)[0].split()
        if first:
            exe = basename(first[0][2:] or (first[1] if len(first) > 1 else "sh"))
            if exe == "env" and len(first) > 1:
                exe = basename(first[1])
            interp = exe
    return ShellScript(parse_commands(text), interp)
