"""Shell analysis shared by the install and download rules (HP2xx).

A *unit* is a piece of shell that runs as a whole: one Dockerfile RUN (its
command line and the heredoc bodies it executes) or one shell script. Rules
see every unit's simple commands in source order, with `sh -c "…"` bodies
parsed recursively, and can normalise a command's argv (wrappers such as
`sudo`, `env`, `VAR=value`, `exec`, `command`, `time`, `nice` stripped) and
recognise pip however it is spelled. Nothing here depends on Dockerfiles
beyond building units from RUN instructions, so workflow `run:` steps can
be added as another source of units.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.parsers.shell import Command, ShellSyntaxError, ShWord, parse_commands, strip_wrappers

if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Instruction, Stage

SHELL_NAMES = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})
INTERPRETERS = SHELL_NAMES | frozenset(
    {"python", "python2", "python3", "perl", "ruby", "php", "node", "nodejs", "deno", "bun",
     "java", "pwsh", "powershell", "lua", "tclsh", "Rscript", "source", "."}
)  # fmt: skip
_PYTHON = lazy_re(r"^(?:python|python[23](?:\.\d+)?|pypy3?)$")
_PIP = lazy_re(r"^pip(?:[23](?:\.\d+)?)?$")


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


def basename(word: str) -> str:
    if "/" not in word and "\\" not in word:
        return word
    return word.replace("\\", "/").rsplit("/", 1)[-1]


def argv(cmd: Command) -> list[ShWord]:
    """The command's words without leading assignments and wrappers (sudo, env, exec, …)."""
    return strip_wrappers(cmd.words)


_SU_NAMES = frozenset({"su", "runuser"})
# su/runuser options that take a value (the value is not the user or the command)
SU_VALUE_OPTIONS = frozenset(
    {"-s", "--shell", "-g", "--group", "-G", "--supp-group", "-u", "--user", "-w",
     "--whitelist-environment"}
)  # fmt: skip


def _c_body(words: list[ShWord]) -> ShWord | None:
    """The script word of `sh -c BODY` (bash/dash/… too) or `su [user] -c BODY` / `runuser … -c`."""
    name = basename(words[0].value)
    if name in SHELL_NAMES:
        for i in range(1, len(words) - 1):
            opt = words[i].value
            if opt.startswith("-") and not opt.startswith("--") and "c" in opt[1:]:
                return words[i + 1]
            if not opt.startswith("-"):
                return None
        return None
    if name in _SU_NAMES:
        k = 1
        while k < len(words) - 1:
            v = words[k].value
            if v in ("-c", "--command") or (
                v.startswith("-") and not v.startswith("--") and v.endswith("c")
            ):
                return words[k + 1]
            if v == "--":
                return None
            k += 2 if v in SU_VALUE_OPTIONS else 1
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


def pip_args(words: list[ShWord]) -> list[ShWord] | None:
    """The arguments after `pip` for any spelling of pip, else None.

    pip, pip3, pip3.12, python -m pip, python3.12 -m pip, uv pip, pipx (as `pipx install`).
    """
    if not words:
        return None
    name = basename(words[0].value)
    if _PIP.match(name):
        return words[1:]
    if _PYTHON.match(name):
        i = 1
        while i < len(words) and words[i].value.startswith("-") and words[i].value != "-m":
            i += 1
        if i + 1 < len(words) and words[i].value == "-m" and _PIP.match(words[i + 1].value):
            return words[i + 2 :]
        return None
    if name == "uv" and len(words) > 1 and words[1].value == "pip":
        return words[2:]
    if name == "pipx":
        return words[1:]
    return None


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
    return []


def iter_commands(ctx: RuleContext) -> Iterator[tuple[Unit, Command, list[ShWord]]]:
    """(unit, command, normalised argv) for every non-empty simple command."""
    for unit in units(ctx):
        for cmd in unit.commands:
            words = argv(cmd)
            if words:
                yield unit, cmd, words


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
