"""PowerShell and cmd RUN bodies: a tolerant tokenizer and what downloads do there.

Dockerfile `RUN`s under a PowerShell `SHELL` (or `powershell -Command …`
inside cmd, the default shell of Windows images) are read here, since the
POSIX lexer cannot. Nothing here is a PowerShell parser: `tokenize` splits
text into words, quoted strings and operators with their source spans (a
backtick escapes inside `"…"`, `''` inside `'…'`, `$env:X`, `${env:X}` and
`$x` stay inside the word they are written in, `[Type]::Member` and
`.Member` are words), and `_tree` groups `( )`, `$( )`, `@( )` and `{ }`.
Statements are split at `;` and line breaks, pipelines at `|`.

`windows_findings(ctx)` follows each download — `Invoke-WebRequest`/`iwr`,
`Invoke-RestMethod`/`irm`, `curl`/`wget` (aliases of Invoke-WebRequest in
Windows PowerShell, or the real programs), `curl.exe`, `Start-BitsTransfer`
and `(New-Object Net.WebClient).DownloadFile(…)` — to what is done with the
file: run (`Start-Process`, `msiexec /i`, `& $path`, `.\\x.exe`, an
interpreter given it as a script), extracted (`Expand-Archive`, `tar -x`)
into a directory that is put on `PATH` or whose files are run, or put on
`PATH` itself; `iex` of a download's content is run code. A download stops
being followed once a gating check covers it: `if ((Get-FileHash f).Hash
-ne $sha) { throw … }` (or `exit N`, or `Write-Error` when
`$ErrorActionPreference = 'Stop'`), also through a variable that holds the
hash. Files keep their taint through later `RUN`s of the stage (and stages
built `FROM` it), through `Move-Item`/`Copy-Item`/`Rename-Item` and `cd`.

`windows_units(ctx)` gives the commands of those RUNs as shell units with
PowerShell variables rewritten for `analysis.shell.resolve` (`$env:X` ->
`${X}`), so the pip rules read `pip install` there as they do in sh.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.parsers.shell import Command, ShWord

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.analysis.shell import Unit
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage

MAX_NESTING = 50  # bracket levels kept as groups; deeper brackets are dropped
POWERSHELLS = frozenset({"powershell", "pwsh"})
CMDS = frozenset({"cmd"})

# ---------------------------------------------------------------------------
# tokens


@record
class Tok:
    """One PowerShell token: a word (bare or quoted, `$vars` kept) or an operator."""

    kind: str  # "word", "str" (one quoted string), "op"
    raw: str
    value: str  # quotes and escapes removed; for ops the operator
    start: int  # source offsets
    end: int
    quote: str = ""  # the quote of a "str": "'" (literal) or '"' (expandable)


@record
class Group:
    """`( … )`, `$( … )`, `@( … )`, `{ … }` or `@{ … }` with what is inside."""

    open: str
    items: list[Tok | Group]
    start: int
    end: int


_OPEN = {"(": ")", "$(": ")", "@(": ")", "{": "}", "@{": "}"}
_SEP = frozenset(" \t\r\n;|&(){},")
_VAR_BODY = lazy_re(r"\$(?:\{[^}]*\}|[A-Za-z_][\w]*(?::[A-Za-z_][\w]*)?|[?^$_])")
_TYPE = lazy_re(r"\[[A-Za-z_][\w.`]*(?:\[\])?\](?:::[A-Za-z_]\w*)?")


def tokenize(
    text: str, offsets: Sequence[int], start: int, end: int, from_cmd: bool = False
) -> list[Tok]:
    """PowerShell text[start:end] as tokens with source spans (never raises).

    `\\"` counts as `"`, as powershell.exe reads its command line; with
    `from_cmd`, cmd's `^` escape before `|&<>^` is dropped."""
    toks: list[Tok] = []

    def off(i: int) -> int:
        if not offsets:
            return i
        return offsets[i] if i < len(offsets) else offsets[-1] + 1

    def span_end(i: int) -> int:
        return off(i - 1) + 1 if i > start else off(i)

    i = start
    while i < end:
        c = text[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "`" and i + 1 < end and text[i + 1] in "\r\n":
            i += 2
            continue
        if from_cmd and c == "^" and i + 1 < end and text[i + 1] in "|&<>^":
            i += 1
            c = text[i]
            if c == "^":
                i += 1
                continue
        if c == "<" and text.startswith("<#", i):
            j = text.find("#>", i + 2, end)
            i = end if j == -1 else j + 2
            continue
        if c == "#":
            j = text.find("\n", i, end)
            i = end if j == -1 else j
            continue
        if c == "\n":
            toks.append(Tok("op", c, ";", off(i), off(i) + 1))
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("$(", "@(", "@{", "&&", "||", "+="):
            toks.append(Tok("op", two, two, off(i), span_end(i + 2)))
            i += 2
            continue
        if c in ";|&(){},":
            toks.append(Tok("op", c, c, off(i), off(i) + 1))
            i += 1
            continue
        if c == "=" and toks and toks[-1].kind == "word":
            toks.append(Tok("op", c, c, off(i), off(i) + 1))
            i += 1
            continue
        # a word: bare characters, quoted strings and variables until a separator
        w0 = i
        val: list[str] = []
        quotes: list[str] = []
        bare = False
        while i < end:
            c = text[i]
            if c == "\\" and i + 1 < end and text[i + 1] == '"':
                i += 1
                c = '"'
            if c in _SEP:
                break
            if c == "=" and not val and i > w0:
                break
            if c == "=" and _is_var_word("".join(val)) and not quotes:
                break  # `$x='…'`: an assignment
            if c == "+" and i + 1 < end and text[i + 1] == "=" and _is_var_word("".join(val)):
                break
            if from_cmd and c == "^" and i + 1 < end and text[i + 1] in "|&<>^":
                val.append(text[i + 1])
                i += 2
                continue
            if c == "'":
                quotes.append("'")
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
                quotes.append('"')
                j = i + 1
                while j < end:
                    d = text[j]
                    if d == "`" and j + 1 < end:
                        val.append(text[j + 1])
                        j += 2
                        continue
                    if d == "\\" and j + 1 < end and text[j + 1] == '"':
                        break  # `\"` closes a string opened by `\"`
                    if d == '"':
                        if j + 1 < end and text[j + 1] == '"':
                            val.append('"')
                            j += 2
                            continue
                        break
                    if d == "$" and text.startswith("$(", j):
                        k = _close_paren(text, j + 1, end)
                        val.append(text[j:k])
                        j = k
                        continue
                    val.append(d)
                    j += 1
                if j < end and text[j] == "\\":
                    j += 1
                i = min(j + 1, end)
                continue
            if c == "[" and not val:
                m = _TYPE.match(text, i, end)
                if m:
                    val.append(m.group(0))
                    i = m.end()
                    bare = True
                    continue
            if c == "$":
                m = _VAR_BODY.match(text, i, end)
                if m:
                    if m.group(0) == "$" and text.startswith("$(", i):
                        break
                    val.append(m.group(0))
                    i = m.end()
                    bare = True
                    continue
            if c == "`" and i + 1 < end:
                val.append(text[i + 1])
                i += 2
                bare = True
                continue
            val.append(c)
            bare = True
            i += 1
        if i == w0:  # a lone `\` before `"` at a separator, or similar
            i += 1
            continue
        kind = "str" if len(quotes) == 1 and not bare else "word"
        toks.append(
            Tok(kind, text[w0:i], "".join(val), off(w0), span_end(i), quotes[0] if quotes else "")
        )
    return toks


def _is_var_word(v: str) -> bool:
    return bool(v) and v[0] == "$" and _VAR_BODY.fullmatch(v) is not None


def _close_paren(text: str, i: int, end: int) -> int:
    """Index just past the `)` closing the `(` at i (or end)."""
    depth = 0
    while i < end:
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return end


def _tree(toks: list[Tok]) -> list[Tok | Group]:
    """Tokens with brackets grouped (tolerant: a stray closer is dropped, an unclosed group ends
    at the end)."""
    root: list[Tok | Group] = []
    stack: list[tuple[Tok, list[Tok | Group]]] = []
    cur = root
    flattened = 0
    for t in toks:
        if t.kind == "op" and t.value in _OPEN:
            if len(stack) >= MAX_NESTING:
                flattened += 1  # deeper groups are dropped: the walk recurses per level
                continue
            stack.append((t, cur))
            cur = []
            continue
        if t.kind == "op" and t.value in ")}":
            if not stack or flattened:
                flattened = max(0, flattened - 1)
                continue
            opener, parent = stack.pop()
            parent.append(Group(opener.value, cur, opener.start, t.end))
            cur = parent
            continue
        cur.append(t)
    while stack:
        opener, parent = stack.pop()
        last = cur[-1].end if cur else opener.end
        parent.append(Group(opener.value, cur, opener.start, last))
        cur = parent
    return root


def statements(items: list[Tok | Group]) -> list[list[Tok | Group]]:
    """Split at `;` (and line breaks, `&&`, `||`)."""
    out: list[list[Tok | Group]] = []
    cur: list[Tok | Group] = []
    for it in items:
        if isinstance(it, Tok) and it.kind == "op" and it.value in (";", "&&", "||"):
            if cur:
                out.append(cur)
            cur = []
            continue
        cur.append(it)
    if cur:
        out.append(cur)
    return out


def _pipeline(stmt: list[Tok | Group]) -> list[list[Tok | Group]]:
    out: list[list[Tok | Group]] = [[]]
    for it in stmt:
        if isinstance(it, Tok) and it.kind == "op" and it.value == "|":
            out.append([])
        else:
            out[-1].append(it)
    return [p for p in out if p]


def _is_op(it: Tok | Group | None, *ops: str) -> bool:
    return isinstance(it, Tok) and it.kind == "op" and it.value in ops


def _word(it: Tok | Group | None) -> str:
    """The lower-case value of a word token ("" for anything else)."""
    if isinstance(it, Tok) and it.kind != "op":
        return it.value.lower()
    return ""


def _group(it: Tok | Group) -> Group | None:
    return it if isinstance(it, Group) else None


def _walk_tokens(items: list[Tok | Group]) -> list[Tok]:
    out: list[Tok] = []
    for it in items:
        if isinstance(it, Group):
            out.extend(_walk_tokens(it.items))
        else:
            out.append(it)
    return out


# ---------------------------------------------------------------------------
# cmd


def split_cmd(text: str, offsets: Sequence[int], start: int, end: int) -> list[list[ShWord]]:
    """cmd text[start:end] as commands of words: `&`, `&&`, `||`, `|` outside `"…"` end a
    command, `^` escapes the next character."""
    return split_cmd_ops(text, offsets, start, end)[0]


def split_cmd_ops(
    text: str, offsets: Sequence[int], start: int, end: int
) -> tuple[list[list[ShWord]], list[str]]:
    """`split_cmd`, and the operator after each command ("" after the last)."""
    commands: list[list[ShWord]] = []
    ops: list[str] = []
    cur: list[ShWord] = []

    def off(i: int) -> int:
        if not offsets:
            return i
        return offsets[i] if i < len(offsets) else offsets[-1] + 1

    i = start
    while i < end:
        c = text[i]
        if c in " \t\r\n":
            i += 1
            continue
        if c in "&|":
            op = text[i : i + 2] if text[i : i + 2] in ("&&", "||") else c
            if cur:
                commands.append(cur)
                ops.append(op)
            cur = []
            i += len(op)
            continue
        w0 = i
        val: list[str] = []
        inq = False
        while i < end:
            c = text[i]
            if c == '"':
                inq = not inq
                i += 1
                continue
            if not inq and (c in " \t\r\n&|"):
                break
            if not inq and c == "^" and i + 1 < end:
                val.append(text[i + 1])
                i += 2
                continue
            val.append(c)
            i += 1
        cur.append(ShWord(text[w0:i], "".join(val), off(w0), off(i - 1) + 1))
    if cur:
        commands.append(cur)
        ops.append("")
    return commands, ops


def cmd_shell_body(words: list[ShWord]) -> int | None:
    """Index of the first word of the command given to `powershell`/`pwsh` (`-Command`, or the
    first non-option word), or None (`-File`, `-EncodedCommand`, no command)."""
    for i in range(1, len(words)):
        v = words[i].value.lower()
        if v in ("-c", "-command", "/c", "-com", "-comm", "-comma", "-comman", "-commandwithargs"):
            return i + 1 if i + 1 < len(words) else None
        if v in ("-encodedcommand", "-e", "-ec", "-file", "-f"):
            return None
        if v in ("-executionpolicy", "-ep", "-ex", "-exec", "-version", "-v", "-inputformat",
                 "-outputformat", "-windowstyle", "-configurationname", "-psconsolefile",
                 "-workingdirectory", "-wd"):  # fmt: skip
            continue
        if not v.startswith(("-", "/")) and (i == 1 or not _takes_value(words[i - 1].value)):
            return i
    return None


def _takes_value(opt: str) -> bool:
    return opt.lower() in (
        "-executionpolicy", "-ep", "-ex", "-exec", "-version", "-v", "-inputformat",
        "-outputformat", "-windowstyle", "-configurationname", "-psconsolefile",
        "-workingdirectory", "-wd",
    )  # fmt: skip


# ---------------------------------------------------------------------------
# RUN bodies


@record
class Body:
    """A piece of a RUN that one shell reads, with its source span in the instruction text."""

    shell: str  # "powershell" or "cmd"
    text: str
    offsets: Sequence[int]
    start: int
    end: int
    from_cmd: bool = False
    gates: bool = True  # a failure of this body stops the build (not `… & next`, `… || x`)


def _exe(word: str) -> str:
    name = word.replace("\\", "/").rsplit("/", 1)[-1].lower().strip("\"'")
    for suffix in (".exe", ".cmd", ".bat"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def run_bodies(shell: tuple[str, ...], ins: Instruction) -> tuple[list[Body], list[list[ShWord]]]:
    """The PowerShell bodies of a shell-form RUN under a non-POSIX shell, and the cmd commands
    that are not PowerShell hand-offs (empty under PowerShell)."""
    target = ins.inner or ins
    a0 = target.rest_start()
    if a0 is None or target.json_args is not None:
        return [], []
    text, offs = target.args, target.offsets
    if _exe(shell[0]) in POWERSHELLS:
        return [Body("powershell", text, offs, a0, len(text))], []
    bodies: list[Body] = []
    rest: list[list[ShWord]] = []
    # cmd: each command; `powershell … -Command <rest>` hands the rest of its command to PowerShell
    commands, ops = split_cmd_ops(text, offs, a0, len(text))
    for words, op in zip(commands, ops, strict=True):
        gates = op in ("&&", "")
        if _exe(words[0].value) in POWERSHELLS:
            b = cmd_shell_body(words)
            if b is None:
                rest.append(words)
                continue
            w = words[b]
            i = _index_of(offs, w.start, a0)
            last = _index_of(offs, words[-1].end - 1, a0) + 1
            raw = text[i:last]
            if b == len(words) - 1 and len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
                bodies.append(Body("powershell", text, offs, i + 1, last - 1, True, gates))
            else:
                bodies.append(Body("powershell", text, offs, i, last, True, gates))
            continue
        rest.append(words)
    return bodies, rest


def _index_of(offs: Sequence[int], source: int, lo: int) -> int:
    """The index into an instruction's text of a source offset (offsets are increasing)."""
    import bisect

    k = bisect.bisect_left(offs, source, lo)
    return min(k, len(offs) - 1)


def shell_prologue_stops(shell: tuple[str, ...]) -> bool:
    """`SHELL ["powershell", "-Command", "$ErrorActionPreference = 'Stop'; …"]`."""
    text = " ".join(shell[1:])
    return bool(_EAP_STOP.search(text))


_EAP_STOP = lazy_re(r"\$ErrorActionPreference\s*=\s*['\"]?Stop", re.I)


# ---------------------------------------------------------------------------
# values and paths


_ENV_REF = lazy_re(r"\$\{env:([^}]+)\}|\$env:([A-Za-z_]\w*)|%([A-Za-z_]\w*)%", re.I)
_LOCAL_REF = lazy_re(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


@record
class Scope:
    """Variables and settings of one RUN as the analysis reads it."""

    env: dict[str, str | None]  # Dockerfile ARG/ENV (names as written)
    local: dict[str, str | None] = field(default_factory=dict)  # lower-case PowerShell vars
    hashes: dict[str, tuple[str, bool]] = field(default_factory=dict)  # var -> (file key, strong)
    stop: bool = False  # $ErrorActionPreference = 'Stop'
    symbolic: dict[str, str] = field(default_factory=dict)  # unknown parts kept as written
    cwd: str = "c:\\"


def expand(value: str, scope: Scope, sym: bool = False) -> str | None:
    """A word's value with `$env:X`, `%X%` and known `$x` substituted; None when a part is
    unknown (with `sym`, unknown variables stay as written instead)."""
    unknown = False

    def env_sub(m: re.Match[str]) -> str:
        nonlocal unknown
        name = m.group(1) or m.group(2) or m.group(3)
        val = _env_get(scope.env, name)
        if val is None:
            unknown = True
            return m.group(0)
        return val

    out = _ENV_REF.sub(env_sub, value)

    def local_sub(m: re.Match[str]) -> str:
        nonlocal unknown
        name = (m.group(1) or m.group(2)).lower()
        val = scope.local.get(name)
        if val is None:
            unknown = True
            return scope.symbolic.get(name, m.group(0)) if sym else m.group(0)
        return val

    out = _LOCAL_REF.sub(local_sub, out)
    result: str = out
    if sym:
        return result
    if unknown or "$(" in result:
        return None
    return result


# the directories on PATH in every Windows container
WINDOWS_PATH = frozenset(
    {"c:\\windows\\system32", "c:\\windows", "c:\\windows\\system32\\wbem",
     "c:\\windows\\system32\\windowspowershell\\v1.0"}
)  # fmt: skip
# variables every Windows container has (Windows Server Core and Nano Server images)
WINDOWS_ENV = {
    "programfiles": "C:\\Program Files",
    "programfiles(x86)": "C:\\Program Files (x86)",
    "programdata": "C:\\ProgramData",
    "systemroot": "C:\\Windows",
    "windir": "C:\\Windows",
    "systemdrive": "C:",
}


def _env_get(env: dict[str, str | None], name: str) -> str | None:
    if name in env:
        return env[name]
    low = name.lower()
    for k, v in env.items():
        if k.lower() == low:
            return v
    return WINDOWS_ENV.get(low)


def path_key(written: str, scope: Scope) -> str:
    """A comparable key of a Windows path: variables substituted where known (else kept as
    written), `/` as `\\`, lower case, relative paths joined to the working directory."""
    p = (expand(written, scope, sym=True) or written).strip().strip("\"'")
    p = p.replace("/", "\\")
    p = re.sub(r"\\{2,}", r"\\", p).lower()
    if p.startswith(".\\"):
        p = p[2:]
    if len(p) >= 2 and p[1] == ":":
        pass
    elif p.startswith("\\"):
        p = "c:" + p
    elif not p.startswith(("$", "%", "<")):
        p = scope.cwd.rstrip("\\") + "\\" + p
    parts: list[str] = []
    for seg in p.split("\\"):
        if seg == "..":
            if len(parts) > 1:
                parts.pop()
        elif seg not in (".", ""):
            parts.append(seg)
    if not parts:
        return p
    if len(parts) == 1 and parts[0].endswith(":"):
        return parts[0] + "\\"
    return "\\".join(parts)


def under(key: str, directory: str) -> bool:
    """`key` is `directory` or inside it."""
    d = directory.rstrip("\\")
    return key == directory or key == d or key.startswith(d + "\\")


# ---------------------------------------------------------------------------
# findings


@record
class Finding:
    """An HP206 finding in a Windows RUN."""

    start: int
    end: int
    message: str
    subject: str


@record
class _Taint:
    path: str  # as written
    tool: str
    url: str
    line: int
    checked: bool = False
    weak: str = ""  # the MD5/SHA-1 check it had, which does not count


@record
class _Extracted:
    taint: _Taint
    into: str  # key of the directory
    tool: str
    word: Tok | ShWord
    reported: bool = False
    via: str = ""  # how the tree reached `into` from where it was extracted


@record
class _State:
    files: dict[str, _Taint] = field(default_factory=dict)
    extracted: list[_Extracted] = field(default_factory=list)
    path_dirs: list[tuple[str, int]] = field(default_factory=list)  # (dir key, line)
    downloaded: set[str] = field(default_factory=set)  # every file a download wrote

    def copy(self) -> _State:
        return _State(
            dict(self.files), list(self.extracted), list(self.path_dirs), set(self.downloaded)
        )


def windows_findings(ctx: RuleContext) -> list[Finding]:
    """HP206 findings of the Dockerfile's PowerShell and cmd RUNs (cached per document)."""
    return ctx.cached("powershell:findings", lambda: _findings(ctx))


def _findings(ctx: RuleContext) -> list[Finding]:
    from hardpin.analysis.dockerfile import is_posix_shell, shell_of, stage_image

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    if not _may_be_windows(df):
        return []
    out: list[Finding] = []
    finals: dict[int, _State] = {}
    for st in df.stages:
        parent, _ref = stage_image(df, st)
        state = (
            finals[parent.index].copy()
            if parent is not None and parent.index in finals
            else _State()
        )
        cwd = "c:\\"
        windows = False
        for ins in st.instructions[1:]:
            target = ins.inner or ins
            if ins.keyword == "WORKDIR":
                ws = ins.words()
                if ws:
                    cwd = path_key(ws[0].value, Scope({}, cwd=cwd))
                continue
            if ins.keyword == "ENV":
                _env_path(ctx, df, st, ins, state)
                continue
            if ins.keyword == "COPY":
                _copy_from(df, ins, state, finals, cwd)
                continue
            if ins.keyword in ("ENTRYPOINT", "CMD") and (state.files or state.extracted):
                _entrypoint(ctx, ins, state, cwd, out)
                continue
            if target.keyword != "RUN" or target.json_args is not None:
                continue
            shell = shell_of(df, st, ins)
            if is_posix_shell(shell):
                continue
            windows = True
            run_state = _State() if ins.inner is not None else state
            an = _Run(ctx, df, st, ins, shell, run_state, cwd, out)
            an.run()
        if windows:
            _report_extractions(ctx, state, out)
        finals[st.index] = state
    out.sort(key=lambda f: f.start)
    return out


def _may_be_windows(df: Dockerfile) -> bool:
    for ins in df.instructions:
        target = ins.inner or ins
        if target.keyword == "SHELL":
            return True
        if target.keyword == "FROM" and "mcr.microsoft.com" in target.args.lower():
            return True
    if df.escape == "`":
        return True
    return any("mcr.microsoft.com" in (a.default or "").lower() for a in df.global_args)


def _env_path(ctx: RuleContext, df: Dockerfile, st: Stage, ins: Instruction, state: _State) -> None:
    """`ENV PATH=…` in a Windows stage: its directories are on PATH for what the image runs."""
    from hardpin.parsers.dockerfile import stage_env

    body = ins.args
    m = re.match(r"\s*PATH(?:\s*=\s*|\s+)(.*)$", body, re.I | re.S)
    if not m:
        return
    env = stage_env(df, st, ins)
    val = m.group(1).strip().strip("\"'")
    scope = Scope(env)
    line = ins.line
    for part in val.split(";"):
        if part.strip() and "PATH" not in part.upper():
            state.path_dirs.append((path_key(part, scope), line))


def _copy_from(
    df: Dockerfile, ins: Instruction, state: _State, finals: dict[int, _State], cwd: str
) -> None:
    """`COPY --from=<stage> SRC… DEST`: downloads and extracted archives of that stage move."""
    flags, rest = ins.flags()
    src_stage = next((f.value for f in flags if f.name == "from" and f.value), None)
    if src_stage is None or len(rest) < 2:
        return
    idx = next((st.index for st in df.stages if st.name and st.name == src_stage.lower()), None)
    if idx is None and src_stage.isdigit():
        idx = int(src_stage)
    other = finals.get(idx) if idx is not None else None
    if other is None or not (other.files or other.extracted):
        return
    values = [w.value for w in rest]
    if rest[0].value.startswith("["):
        from hardpin.parsers.dockerfile import json_string_array

        arr = json_string_array(ins.args[rest[0].index :])
        if arr is None:
            return
        values = arr
    from hardpin.parsers.dockerfile import expand as df_expand
    from hardpin.parsers.dockerfile import stage_env

    st = next(st for st in df.stages if ins in st.instructions)
    dest_text, _missing = df_expand(values[-1], stage_env(df, st, ins))
    root = Scope({}, cwd="c:\\")
    dest = path_key(dest_text, Scope({}, cwd=cwd))
    for src in values[:-1]:
        skey = path_key(src, root).removesuffix("\\*")
        for k, t in other.files.items():
            if under(k, skey):
                state.files[dest + k[len(skey) :] if k != skey else dest] = t
                if k == skey:
                    state.files[dest + "\\" + k.rsplit("\\", 1)[-1]] = t
        for ex in other.extracted:
            if ex.taint.checked:
                continue
            via = f"COPY --from={src_stage} (line {ins.line})"
            if under(skey, ex.into):  # a part of the extracted tree
                state.extracted.append(_Extracted(ex.taint, dest, ex.tool, ex.word, via=via))
            elif under(ex.into, skey):
                into = dest.rstrip("\\") + ex.into[len(skey.rstrip("\\")) :]
                state.extracted.append(
                    _Extracted(ex.taint, into or dest, ex.tool, ex.word, via=via)
                )


def _entrypoint(
    ctx: RuleContext, ins: Instruction, state: _State, cwd: str, out: list[Finding]
) -> None:
    """`ENTRYPOINT`/`CMD` naming a downloaded file, or a file from an unverified archive."""
    if ins.json_args:
        import json

        exe = ins.json_args[0]
        lit = json.dumps(exe, ensure_ascii=False)
        i = ins.args.find(lit)
        if i == -1:
            return
        start, end = ins.span(i + 1, i + len(lit) - 1)
    else:
        a0 = ins.rest_start()
        if a0 is None:
            return
        words = split_cmd(ins.args, ins.offsets, a0, len(ins.args))
        if not words or not words[0]:
            return
        exe, start, end = words[0][0].value, words[0][0].start, words[0][0].end
    scope = Scope({}, cwd=cwd)
    key = path_key(exe, scope)
    if "\\" not in exe and "/" not in exe:
        return  # a bare name runs from PATH
    here = ctx.source.position(start)[0]
    t = state.files.get(key) or state.files.get(key + ".exe")
    what = f"is the {ins.keyword}"
    if t is None:
        ex = next(
            (
                e
                for e in reversed(state.extracted)
                if not e.taint.checked and under(key, e.into) and key != e.into
            ),
            None,
        )
        if ex is None or key in state.downloaded:
            return
        ex.reported = True
        t = ex.taint
        what = f"is extracted by {ex.tool} {_landed(ex)}, and {exe} from it is the {ins.keyword}"
    where = f" (line {t.line})" if t.line != here else ""
    out.append(
        Finding(
            start,
            end,
            f"`{t.path}` downloaded by {t.tool}{where} {what}, without a checksum{t.weak}",
            f"{t.url} -> {t.path} -> {ins.keyword.lower()}",
        )
    )


def _default_dest(archive: str) -> str:
    """Expand-Archive without -DestinationPath: a folder named after the archive, beside it."""
    return archive[:-4] if archive.endswith(".zip") else archive


def _landed(ex: _Extracted) -> str:
    """Where an extracted tree is: `into DIR`, or `and copied to DIR by COPY --from=…`."""
    if ex.via:
        return f"and copied to {ex.into} by {ex.via}"
    return f"into {ex.into}"


def _report_extractions(ctx: RuleContext, state: _State, out: list[Finding]) -> None:
    done = {ex.word.start for ex in state.extracted if ex.reported}
    for ex in state.extracted:
        if ex.reported or ex.taint.checked or ex.word.start in done:
            continue
        hit = next(
            ((d, ln) for d, ln in state.path_dirs if under(d, ex.into) or under(ex.into, d)), None
        )
        if hit is None:
            continue
        ex.reported = True
        done.add(ex.word.start)
        t = ex.taint
        here = ctx.source.position(ex.word.start)[0]
        where = f" (line {t.line})" if t.line != here else ""
        out.append(
            Finding(
                ex.word.start,
                ex.word.end,
                f"`{t.path}` downloaded by {t.tool}{where} is extracted by {ex.tool} "
                f"{_landed(ex)}, and {hit[0]} is on PATH (line {hit[1]}), without a checksum"
                f"{t.weak}",
                f"{t.url} -> {t.path} -> {ex.tool} {ex.into}",
            )
        )


# Invoke-WebRequest / Invoke-RestMethod parameters that take a value (full names; any unique
# prefix is accepted, as PowerShell does)
_IWR_VALUES = (
    (
        "uri outfile headers method useragent timeoutsec maximumredirection proxy proxycredential "
        "credential body contenttype infile sessionvariable websession certificate "
        "certificatethumbprint transferencoding erroraction errorvariable outvariable outbuffer "
        "pipelinevariable warningaction warningvariable informationaction informationvariable "
        "maximumretrycount retryintervalsec authentication token sslprotocol form "
        "customMethod connectiontimeoutseconds operationtimeoutseconds"
    )
    .lower()
    .split()
)
_BITS_VALUES = (
    "source destination description displayname priority transfertype authentication "
    "credential proxyauthentication proxybypass proxycredential proxylist proxyusage "
    "retryinterval retrytimeout transferpolicy usestoredcredential customheaders "
    "erroraction errorvariable outvariable"
).split()
_START_PROCESS_VALUES = (
    "filepath argumentlist workingdirectory verb windowstyle redirectstandardinput "
    "redirectstandardoutput redirectstandarderror credential erroraction errorvariable "
    "outvariable environment"
).split()
_EXPAND_VALUES = "path literalpath destinationpath erroraction errorvariable outvariable".split()
_ITEM_VALUES = (
    "path literalpath destination newname filter include exclude credential erroraction "
    "errorvariable outvariable itemtype"
).split()
_HASH_VALUES = (
    "path literalpath algorithm inputstream erroraction errorvariable outvariable".split()
)
_PATHLIKE = lazy_re(r"^(?!\w+://)(?:[A-Za-z]:|\S*[\\/])")
_COMMAND_NAME = lazy_re(r"^(?:[A-Za-z]:)?[\\/.]*[A-Za-z_][\w.\\/:-]*$")
_WEAK_HASHES = frozenset({"md5", "sha1", "mactripledes", "ripemd160"})
_INTERPRETERS = frozenset({"python", "python3", "py", "node", "ruby", "perl", "java", "php"})


@record
class _Args:
    """A PowerShell command's parameters and positional arguments."""

    named: dict[str, list[Tok | Group]]
    positional: list[Tok | Group]
    switches: set[str]


def _bind(args: list[Tok | Group], values: list[str]) -> _Args:
    named: dict[str, list[Tok | Group]] = {}
    positional: list[Tok | Group] = []
    switches: set[str] = set()
    i = 0
    while i < len(args):
        a = args[i]
        if isinstance(a, Tok) and a.kind == "word" and re.match(r"^-[A-Za-z]", a.value):
            name, colon, inline = a.value[1:].partition(":")
            lname = name.lower()
            full = next((v for v in values if v == lname), None) or next(
                (v for v in values if v.startswith(lname)), None
            )
            if full is None:
                switches.add(lname)
                i += 1
                continue
            if colon:
                named[full] = [Tok("word", inline, inline, a.start, a.end)]
                i += 1
                continue
            vals: list[Tok | Group] = []
            i += 1
            while i < len(args):
                vals.append(args[i])
                i += 1
                if i < len(args) and _is_op(args[i], ","):
                    i += 1
                    continue
                break
            named[full] = vals
            continue
        if _is_op(a, ","):
            i += 1
            continue
        positional.append(a)
        i += 1
    return _Args(named, positional, switches)


def _first(args: _Args, name: str, pos: int | None) -> Tok | Group | None:
    v = args.named.get(name)
    if v:
        return v[0]
    if pos is not None and pos < len(args.positional):
        return args.positional[pos]
    return None


class _Run:
    """One Windows RUN, in order, against the stage's state."""

    def __init__(
        self,
        ctx: RuleContext,
        df: Dockerfile,
        st: Stage,
        ins: Instruction,
        shell: tuple[str, ...],
        state: _State,
        cwd: str,
        out: list[Finding],
    ) -> None:
        from hardpin.parsers.dockerfile import stage_env

        self.ctx = ctx
        self.ins = ins
        self.state = state
        self.out = out
        self.scope = Scope(stage_env(df, st, ins), cwd=cwd)
        self.scope.stop = shell_prologue_stops(shell)
        self.shell = shell
        self.reported: set[int] = set()
        self.body: Body | None = None

    def line(self, offset: int) -> int:
        return self.ctx.source.position(offset)[0]

    def run(self) -> None:
        bodies, cmd_commands = run_bodies(self.shell, self.ins)
        ordered: list[tuple[int, Body | list[ShWord]]] = [
            (b.offsets[b.start] if b.start < len(b.offsets) else 0, b) for b in bodies
        ]
        ordered.extend((c[0].start, c) for c in cmd_commands)
        ordered.sort(key=lambda x: x[0])
        for _at, x in ordered:
            if isinstance(x, Body):
                self.body = x
                toks = tokenize(x.text, x.offsets, x.start, x.end, x.from_cmd)
                self.block(_tree(toks))
            else:
                self.cmd_command(x)

    # -- PowerShell ---------------------------------------------------------

    def block(self, items: list[Tok | Group]) -> None:
        for stmt in statements(items):
            self.statement(stmt)

    def statement(self, stmt: list[Tok | Group]) -> None:
        head = _word(stmt[0])
        if head in ("if", "elseif", "while"):
            self.conditional(stmt)
            return
        if (
            head in ("try", "finally", "else", "do")
            and len(stmt) > 1
            and isinstance(stmt[1], Group)
        ):
            self.block(stmt[1].items)
            if len(stmt) > 2:
                self.statement(stmt[2:])
            return
        if head in ("catch", "foreach", "for", "switch"):
            for it in stmt:
                if isinstance(it, Group) and it.open == "{":
                    self.block(it.items)
            return
        if head == "throw" or head == "exit":
            return
        elems = _pipeline(stmt)
        prev_download: tuple[str, str, int, Tok | Group] | None = None
        for k, el in enumerate(elems):
            got = self.element(el, prev_download if k else None)
            prev_download = got

    def conditional(self, stmt: list[Tok | Group]) -> None:
        """`if (cond) { … } elseif (cond) { … } else { … }`: gating checks and the blocks."""
        i = 0
        while i < len(stmt):
            w = _word(stmt[i])
            if (
                w in ("if", "elseif", "while")
                and i + 1 < len(stmt)
                and isinstance(stmt[i + 1], Group)
            ):
                cond = stmt[i + 1]
                block = _group(stmt[i + 2]) if i + 2 < len(stmt) else None
                els = None
                j = i + 3
                if j < len(stmt) and _word(stmt[j]) == "else" and j + 1 < len(stmt):
                    els = _group(stmt[j + 1])
                assert isinstance(cond, Group)
                self.nested(cond.items)
                self.gate(cond, block, els)
                if block is not None:
                    self.block(block.items)
                i += 3
                continue
            if w == "else" and i + 1 < len(stmt) and isinstance(stmt[i + 1], Group):
                g = stmt[i + 1]
                assert isinstance(g, Group)
                self.block(g.items)
                i += 2
                continue
            i += 1

    def gate(self, cond: Group, block: Group | None, els: Group | None) -> None:
        toks = _walk_tokens(cond.items)
        ops = {t.value.lower() for t in toks if t.kind == "word"}
        negative = bool(ops & {"-ne", "-cne", "-ine", "-notlike", "-notmatch", "-cnotmatch"})
        positive = bool(ops & {"-eq", "-ceq", "-ieq", "-like", "-match", "-cmatch"})
        stops = None
        if negative and block is not None:
            stops = block
        elif positive and els is not None:
            stops = els
        if stops is None or not self.stops(stops.items):
            return
        files = self.hashed_files(cond.items)
        for key, strong in files:
            if strong:
                self.verify(key)
            elif key in self.state.files:
                self.state.files[key].weak = " (an MD5 or SHA-1 check does not count)"

    def verify(self, key: str) -> None:
        """A gating check of `key`: that download is verified. A check whose file cannot be
        told (a variable with no known value) counts for every download so far, as for POSIX
        shells; a check of another file counts for none."""
        if self.body is not None and not self.body.gates:
            return  # `powershell -Command "check" & next`: cmd goes on after a failure
        files = self.state.files
        hit = [k for k in files if k == key]
        if not hit:
            base = key.rsplit("\\", 1)[-1]
            hit = [k for k in files if k.rsplit("\\", 1)[-1] == base]
        if not hit and ("$" in key or "%" in key):
            hit = list(files)
        for k in hit:
            files[k].checked = True
            del files[k]

    def stops(self, items: list[Tok | Group]) -> bool:
        """A block that ends the build: `throw`, `exit N` (N not 0), `Write-Error` under Stop."""
        toks = _walk_tokens(items)
        for k, t in enumerate(toks):
            v = t.value.lower() if t.kind == "word" else ""
            if v == "throw":
                return True
            if v == "exit":
                nxt = toks[k + 1].value if k + 1 < len(toks) and toks[k + 1].kind != "op" else ""
                if nxt not in ("", "0"):
                    return True
            if v == "write-error" and self.scope.stop:
                return True
        return False

    def hashed_files(self, items: list[Tok | Group]) -> list[tuple[str, bool]]:
        """Files whose hash a condition reads: `Get-FileHash f` inside it, or a variable
        assigned from one. (key, strong) where strong means not MD5/SHA-1."""
        out: list[tuple[str, bool]] = []
        for stmt in statements(items):
            for el in _pipeline(stmt):
                for k, it in enumerate(el):
                    if _word(it) == "get-filehash":
                        out.append(self.filehash(el[k + 1 :]))
            for it in stmt:
                if isinstance(it, Group):
                    out.extend(self.hashed_files(it.items))
                elif isinstance(it, Tok) and it.kind == "word" and it.value.startswith("$"):
                    name = it.value[1:].split(".", 1)[0].strip("{}").lower()
                    if name in self.scope.hashes:
                        out.append(self.scope.hashes[name])
        return out

    def filehash(self, args: list[Tok | Group]) -> tuple[str, bool]:
        a = _bind(_until_close(args), _HASH_VALUES)
        f = _first(a, "path", 0) or _first(a, "literalpath", None)
        alg = _first(a, "algorithm", None)
        strong = not (isinstance(alg, Tok) and alg.value.lower() in _WEAK_HASHES)
        key = self.key_of(f) if f is not None else "$?"
        return key, strong

    def nested(self, items: list[Tok | Group]) -> None:
        """Commands inside groups of an expression (`$(…)`, `(…)`), in order."""
        for it in items:
            if isinstance(it, Group):
                if it.open in ("(", "$(", "@("):
                    self.block(it.items)

    def key_of(self, it: Tok | Group) -> str:
        if isinstance(it, Group):
            v = self.value(it.items, sym=True)
            return path_key(v, self.scope) if v is not None else "$(…)"
        return path_key(it.value, self.scope)

    def value(self, items: list[Tok | Group], sym: bool = False) -> str | None:
        """The string an expression evaluates to: literals, known variables, `+`, `'…' -f …`.
        With `sym`, unknown variables stay as written (`$env:ProgramFiles\\docker`), for paths
        compared as written."""
        items = [it for it in items if not _is_op(it, ";")]
        if not items:
            return None
        # 'fmt' -f a, b
        for k, it in enumerate(items):
            if _word(it) == "-f" and k >= 1:
                args: list[str | None] = []
                cur: list[Tok | Group] = []
                for x in items[k + 1 :]:
                    if _is_op(x, ","):
                        args.append(self.value(cur, sym))
                        cur = []
                    else:
                        cur.append(x)
                args.append(self.value(cur, sym))
                fmt = self.value(items[:k], sym)
                if fmt is None:
                    return None

                def sub(m: re.Match[str], args: list[str | None] = args) -> str:
                    n = int(m.group(1))
                    v = args[n] if n < len(args) else None
                    return v if v is not None else "\x00"

                res = re.sub(r"\{(\d+)(?:[,:][^}]*)?\}", sub, fmt)
                return None if "\x00" in res else res
        parts: list[str] = []
        expect = True
        for it in items:
            if expect:
                if isinstance(it, Group):
                    v = self.value(it.items, sym) if it.open in ("(", "$(") else None
                elif it.kind == "str" and it.quote == "'":
                    v = it.value
                elif it.kind in ("str", "word"):
                    v = expand(it.value, self.scope)
                    if v is None and sym and "$(" not in it.value:
                        v = expand(it.value, self.scope, sym=True)
                else:
                    v = None
                if v is None:
                    return None
                parts.append(v)
                expect = False
            elif _word(it) == "+" or (isinstance(it, Tok) and it.value == "+"):
                expect = True
            else:
                return None
        return "".join(parts)

    def element(
        self, el: list[Tok | Group], upstream: tuple[str, str, int, Tok | Group] | None
    ) -> tuple[str, str, int, Tok | Group] | None:
        """One pipeline element. Returns (tool, url, line, word) when it writes a download to its
        output (for `| iex`)."""
        first = el[0]
        # assignment: $x = …, $env:PATH = …, $x += …
        if (
            len(el) >= 2
            and isinstance(first, Tok)
            and first.kind == "word"
            and first.value.startswith("$")
            and _is_op(el[1], "=", "+=")
        ):
            self.assignment(first, el[1], el[2:])
            return None
        self.nested(el)
        self.members(el)
        if isinstance(first, Group):
            return self.stream_download(el)
        if _is_op(first, "&") or _word(first) == ".":
            if len(el) > 1:
                self.invoke(el[1], el[1], None, el[2:])
            return None
        if (
            not isinstance(first, Tok)
            or first.kind != "word"
            or not _COMMAND_NAME.match(first.value)
        ):
            return None  # a value (string, variable, type, number), not a command
        name = _exe(first.value)
        args = el[1:]
        return self.command(first, name, args, upstream)

    def stream_download(self, el: list[Tok | Group]) -> tuple[str, str, int, Tok | Group] | None:
        g = el[0]
        assert isinstance(g, Group)
        for stmt in statements(g.items):
            for sub in _pipeline(stmt):
                d = self.downloaded_content(sub)
                if d is not None:
                    return d
        return None

    def downloaded_content(self, el: list[Tok | Group]) -> tuple[str, str, int, Tok | Group] | None:
        """An expression whose value is a download's content: `iwr URL` without -OutFile,
        `(New-Object Net.WebClient).DownloadString(URL)`."""
        first = el[0]
        name = _exe(first.value) if isinstance(first, Tok) and first.kind == "word" else ""
        if name in ("invoke-webrequest", "iwr", "invoke-restmethod", "irm", "curl", "wget"):
            a = _bind(el[1:], _IWR_VALUES)
            if "outfile" not in a.named:
                url = _first(a, "uri", 0)
                return (self.tool_name(name), self.url_text(url), self.line(first.start), first)
        for k, it in enumerate(el):
            if (
                isinstance(it, Tok)
                and it.kind == "word"
                and it.value.lower().endswith(".downloadstring")
            ):
                if k + 1 < len(el) and isinstance(el[k + 1], Group):
                    g = el[k + 1]
                    assert isinstance(g, Group)
                    url = g.items[0] if g.items else None
                    return ("WebClient.DownloadString", self.url_text(url), self.line(it.start), it)
            if isinstance(it, Group):
                for stmt in statements(it.items):
                    for sub in _pipeline(stmt):
                        d = self.downloaded_content(sub)
                        if d is not None:
                            return d
        return None

    def tool_name(self, name: str) -> str:
        return {
            "iwr": "Invoke-WebRequest",
            "invoke-webrequest": "Invoke-WebRequest",
            "irm": "Invoke-RestMethod",
            "invoke-restmethod": "Invoke-RestMethod",
            "curl": "Invoke-WebRequest",
            "wget": "Invoke-WebRequest",
        }.get(name, name)

    def url_text(self, it: Tok | Group | None) -> str:
        from hardpin.urls import display_url

        if it is None:
            return "an unknown URL"
        if isinstance(it, Group):
            v = self.value(it.items)
        elif it.kind == "str" and it.quote == "'":
            v = it.value
        else:
            v = expand(it.value, self.scope)
        raw = v if v is not None else (it.value if isinstance(it, Tok) else "")
        return display_url(raw, max_len=120) or "an unknown URL"

    def pinned(self, url: Tok | Group | None) -> bool:
        from hardpin.analysis.downloads import is_pinned_url

        if url is None:
            return False
        if isinstance(url, Group):
            v = self.value(url.items)
        elif url.kind == "str" and url.quote == "'":
            v = url.value
        else:
            v = expand(url.value, self.scope)
        return v is not None and is_pinned_url(v)

    def assignment(self, target: Tok, op: Tok | Group, rhs: list[Tok | Group]) -> None:
        name = target.value[1:].strip("{}").lower()
        self.nested(rhs)
        self.members(rhs)
        if (
            rhs
            and isinstance(rhs[0], Tok)
            and rhs[0].kind == "word"
            and not rhs[0].value.startswith(("$", "[", "'", '"'))
        ):
            self.command(rhs[0], _exe(rhs[0].value), rhs[1:], None)
        val = self.value(rhs)
        if _is_op(op, "+=") and val is not None:
            old = self.scope.local.get(name)
            val = (old or "") + val if old is not None or name != "env:path" else val
        files = self.hashed_files(rhs)
        if files:
            self.scope.hashes[name] = files[0]
        if name == "erroractionpreference":
            self.scope.stop = val is not None and val.lower() == "stop"
        if name.startswith("env:"):
            env_name = name[4:]
            if env_name == "path":
                self.add_path(val, target, rhs)
            if val is not None:
                self.scope.env[env_name] = val
            return
        self.scope.local[name] = val
        if val is None:
            sym = self.value(rhs, sym=True)
            if sym is not None:
                self.scope.symbolic[name] = sym

    def add_path(self, val: str | None, at: Tok | ShWord, rhs: list[Tok | Group] | None) -> None:
        """Directories added to PATH: by value when known, else the literal pieces of the
        expression (`'C:\\x\\bin;' + $env:PATH`)."""
        pieces: list[str] = []
        if val is None and rhs:
            val = self.value(rhs, sym=True)
        if val is not None:
            pieces = val.split(";")
        elif rhs is not None:
            for t in _walk_tokens(rhs):
                if t.kind == "str":
                    v = t.value if t.quote == "'" else (expand(t.value, self.scope) or "")
                    pieces.extend(p for p in v.split(";") if "{" not in p)
        line = self.line(at.start)
        for p in pieces:
            p = p.strip()
            if not p or re.search(r"%path%|\$env:path", p, re.I) or "\x00" in p:
                continue
            key = path_key(p, self.scope)
            self.state.path_dirs.append((key, line))
            for k, taint in list(self.state.files.items()):
                if under(k, key) and k != key:
                    self.report(at, taint, f"is on PATH through {p}")

    def members(self, el: list[Tok | Group]) -> None:
        """Method calls in an element: `.DownloadFile(url, path)`,
        `[Environment]::SetEnvironmentVariable('PATH', value, …)`."""
        for k, it in enumerate(el):
            if isinstance(it, Group):
                continue
            low = it.value.lower() if it.kind == "word" else ""
            nxt = el[k + 1] if k + 1 < len(el) else None
            if not isinstance(nxt, Group):
                continue
            args = _split_commas(nxt.items)
            if low.endswith(".downloadfile") or low.endswith(".downloadfileasync"):
                if len(args) >= 2:
                    url = args[0][0] if len(args[0]) == 1 else Group("(", args[0], it.start, it.end)
                    self.download(
                        it, "WebClient.DownloadFile", url, [Group("(", args[1], nxt.start, nxt.end)]
                    )
            elif low.endswith("::extracttodirectory") and len(args) >= 2:
                self.extract(
                    it,
                    "ZipFile.ExtractToDirectory",
                    self.key_of(_one(args[0], nxt)),
                    self.key_of(_one(args[1], nxt)),
                )
            elif low.endswith("::setenvironmentvariable") and len(args) >= 2:
                name = self.value(args[0])
                if name is not None and name.lower() == "path":
                    self.add_path(self.value(args[1]), it, args[1])

    def download(
        self, at: Tok, tool: str, url: Tok | Group | None, outs: list[Tok | Group]
    ) -> None:
        line = self.line(at.start)
        shown = self.url_text(url)
        for o in outs:
            key = self.key_of(o)
            self.state.downloaded.add(key)
            if self.pinned(url):
                self.state.files.pop(key, None)
                continue
            written = self.written(o)
            t = self.state.files[key] = _Taint(written, tool, shown, line)
            self.into_path_dir(at, key, t)

    def into_path_dir(self, at: Tok | ShWord, key: str, t: _Taint) -> None:
        """A download written straight into a directory on PATH is installed."""
        d = key.rsplit("\\", 1)[0]
        if d in WINDOWS_PATH or any(d == pd for pd, _ln in self.state.path_dirs):
            self.report(at, t, f"is written into {d}, a directory on PATH,")

    def written(self, it: Tok | Group) -> str:
        if isinstance(it, Group):
            v = self.value(it.items)
            if v is None:
                toks = _walk_tokens(it.items)
                return " ".join(t.raw for t in toks) or "?"
            return v
        return it.value

    def command(
        self,
        w0: Tok,
        name: str,
        args: list[Tok | Group],
        upstream: tuple[str, str, int, Tok | Group] | None,
    ) -> tuple[str, str, int, Tok | Group] | None:
        if name in ("iex", "invoke-expression"):
            src = upstream
            if src is None:
                for it in args:
                    if isinstance(it, Group):
                        src = self.stream_download([it])
                        if src is not None:
                            break
            if src is not None:
                self.report_code(w0, src)
            return None
        if name in ("invoke-webrequest", "iwr", "invoke-restmethod", "irm", "curl", "wget"):
            ps_style = name not in ("curl", "wget") or any(
                isinstance(a, Tok) and re.match(r"^-(?:uri|outfile|usebasic|useb)", a.value, re.I)
                for a in args
            )
            if ps_style:
                a = _bind(args, _IWR_VALUES)
                url = _first(a, "uri", 0)
                out = a.named.get("outfile")
                if out:
                    self.download(w0, self.tool_name(name), url, out[:1])
                    return None
                return (self.tool_name(name), self.url_text(url), self.line(w0.start), w0)
            name = name + ".exe"
        if name in ("curl.exe", "wget.exe") or (
            name in ("curl", "wget") and w0.value.lower().endswith(".exe")
        ):
            self.posix_download(w0, args)
            return None
        if name == "start-bitstransfer":
            a = _bind(args, _BITS_VALUES)
            url = _first(a, "source", 0)
            dest = _first(a, "destination", 1)
            if dest is not None:
                self.download(w0, "Start-BitsTransfer", url, [dest])
            return None
        if name == "start-process":
            a = _bind(args, _START_PROCESS_VALUES)
            fp = _first(a, "filepath", 0)
            if fp is None:
                return None
            exe = _exe(self.written(fp))
            al = a.named.get("argumentlist") or a.positional[1:2]
            if exe == "msiexec":
                self.msiexec(fp, self.arg_words(al), "Start-Process msiexec")
            else:
                self.invoke(fp, fp, "Start-Process", [])
            return None
        if name == "msiexec":
            self.msiexec(w0, self.arg_words(args), "msiexec")
            return None
        if name == "expand-archive":
            a = _bind(args, _EXPAND_VALUES)
            archive = _first(a, "path", 0) or _first(a, "literalpath", None)
            dest = _first(a, "destinationpath", 1)
            if archive is not None:
                self.extract(
                    w0,
                    "Expand-Archive",
                    self.key_of(archive),
                    self.key_of(dest) if dest is not None else _default_dest(self.key_of(archive)),
                )
            return None
        if name in ("tar", "bsdtar"):
            self.tar(w0, self.arg_words(args))
            return None
        if name in (
            "move-item",
            "copy-item",
            "mv",
            "cp",
            "copy",
            "move",
            "rename-item",
            "ren",
            "mi",
            "cpi",
            "rni",
            "move-item",
        ):
            self.copy(name, args)
            return None
        if name in ("remove-item", "del", "rm", "erase", "ri", "rmdir", "rd"):
            a = _bind(args, _ITEM_VALUES)
            for p in a.named.get("path", []) + a.positional:
                if isinstance(p, Tok):
                    self.state.files.pop(self.key_of(p), None)
            return None
        if name in ("cd", "set-location", "sl", "chdir", "push-location", "pushd"):
            loc = _bind(args, ["path", "literalpath"])
            where = _first(loc, "path", 0)
            if where is not None:
                self.scope.cwd = self.key_of(where)
            return None
        if name == "setx":
            items = [
                a
                for a in args
                if not (isinstance(a, Tok) and (a.kind == "op" or a.value.startswith("/")))
            ]
            if len(items) >= 2 and _word(items[0]) == "path":
                self.add_path(self.value([items[1]], sym=True), w0, [items[1]])
            return None
        if name == "set-itemproperty":
            a = _bind(args, ["path", "literalpath", "name", "value", "type"])
            nm = _first(a, "name", 1)
            val = _first(a, "value", 2)
            pth = _first(a, "path", 0)
            if (
                isinstance(nm, Tok)
                and nm.value.lower() == "path"
                and val is not None
                and pth is not None
                and "environment" in self.written(pth).lower()
            ):
                v = self.value([val]) if isinstance(val, Tok) else self.value(val.items)
                self.add_path(v, w0, [val])
            return None
        if name in POWERSHELLS:
            inner = nested_body(self.body, w0, args)
            if inner is not None:
                self.block(_tree(tokenize(inner.text, inner.offsets, inner.start, inner.end)))
            return None
        if name in CMDS:
            return None
        if name in _INTERPRETERS:
            for arg in args:
                if isinstance(arg, Tok) and not arg.value.startswith("-"):
                    self.invoke(w0, arg, name, [])
                    break
            return None
        # a command that names a downloaded file: `.\x.exe`, `C:\x.exe`, `x.exe`
        self.invoke(w0, w0, None, args)
        return None

    def arg_words(self, args: list[Tok | Group]) -> list[Tok]:
        """Argument values as words: a `'/i', $f` list or `'/i x.msi /quiet'` string split."""
        out: list[Tok] = []
        for a in args:
            if isinstance(a, Group):
                out.extend(self.arg_words([x for x in a.items if not _is_op(x, ",")]))
            elif a.kind == "op":
                continue
            elif a.kind == "str" and " " in a.value.strip():
                for m in re.finditer(r'"[^"]*"|\S+', a.value):
                    v = m.group(0).strip('"')
                    out.append(Tok("word", v, v, a.start, a.end))
            else:
                out.append(a)
        return out

    def msiexec(self, at: Tok | Group, words: list[Tok], label: str) -> None:
        for k, w in enumerate(words):
            if w.value.lower() in ("/i", "/package", "-i", "/a", "/update", "/p") and k + 1 < len(
                words
            ):
                t = self.state.files.get(self.key_of(words[k + 1]))
                if t is not None:
                    self.report(at, t, "is run by msiexec")
                return
            if w.value.lower().startswith("/i") and len(w.value) > 2:
                t = self.state.files.get(path_key(w.value[2:], self.scope))
                if t is not None:
                    self.report(at, t, "is run by msiexec")
                return

    def invoke(
        self, at: Tok | Group, target: Tok | Group, how: str | None, args: list[Tok | Group]
    ) -> None:
        key = self.key_of(target)
        t = self.state.files.get(key)
        if t is None and "." not in key.rsplit("\\", 1)[-1]:
            t = self.state.files.get(key + ".exe")  # both shells find `x` as `x.exe`
        if (
            t is None
            and isinstance(target, Tok)
            and "\\" not in target.value
            and "/" not in target.value
        ):
            t = None  # a bare name runs from PATH: matched through the PATH directories below
            for k, cand in self.state.files.items():
                base = k.rsplit("\\", 1)[-1]
                d = k.rsplit("\\", 1)[0]
                if base == target.value.lower() and any(d == pd for pd, _ in self.state.path_dirs):
                    t = cand
        if t is None:
            if not isinstance(target, Tok) or not _PATHLIKE.search(target.value):
                return
            if key in self.state.downloaded:
                return  # a download of its own (verified): not something an archive brought
            for ex in reversed(self.state.extracted):
                if under(key, ex.into) and not ex.taint.checked and key != ex.into:
                    ex.reported = True
                    self.report(
                        at,
                        ex.taint,
                        f"is extracted by {ex.tool} {_landed(ex)}, and {self.written(target)} from it is run",
                    )
                    return
            return
        if how is None:
            self.report(at, t, "is run")
        else:
            self.report(at, t, f"is run by {how}")

    def extract(self, at: Tok | ShWord, tool: str, src: str, dest: str) -> None:
        t = self.state.files.get(src)
        if t is None:
            return
        self.state.extracted.append(_Extracted(t, dest, tool, at))

    def tar(self, w0: Tok | ShWord, words: list[Tok] | list[ShWord]) -> None:
        vals = [w.value for w in words]
        if not vals or not any(
            ("x" in v.lstrip("-") and (v.startswith("-") or k == 0)) or v == "--extract"
            for k, v in enumerate(vals)
        ):
            return
        src = None
        dest = self.scope.cwd
        for k, v in enumerate(vals):
            if v in ("-C", "--directory") and k + 1 < len(vals):
                dest = path_key(vals[k + 1], self.scope)
            elif v.startswith("--directory="):
                dest = path_key(v.split("=", 1)[1], self.scope)
            elif v in ("--file", "-f") and k + 1 < len(vals):
                src = vals[k + 1]
            elif v.startswith("--file="):
                src = v.split("=", 1)[1]
            elif (
                v.startswith("-")
                and not v.startswith("--")
                and v.endswith("f")
                and k + 1 < len(vals)
            ):
                src = vals[k + 1]
        if src is not None:
            self.extract(w0, "tar", path_key(src, self.scope), dest)

    def copy(self, name: str, args: list[Tok | Group]) -> None:
        a = _bind(args, _ITEM_VALUES)
        src = _first(a, "path", 0) or _first(a, "literalpath", None)
        dest = _first(a, "destination", 1) or _first(a, "newname", 1)
        if src is None or dest is None:
            return
        skey = self.key_of(src).removesuffix("\\*")
        dkey = self.key_of(dest)
        if name in ("rename-item", "ren", "rni") and "\\" not in self.written(dest).replace(
            "/", "\\"
        ):
            dkey = skey.rsplit("\\", 1)[0] + "\\" + self.written(dest).lower()
        t = self.state.files.get(skey)
        if t is not None:
            self.state.files[dkey] = t
            self.state.files[dkey + "\\" + skey.rsplit("\\", 1)[-1]] = t
            for d, _ln in self.state.path_dirs:
                if d in (dkey, dkey.rsplit("\\", 1)[0]):
                    self.report(dest, t, f"is copied onto PATH ({d})")
        for ex in list(self.state.extracted):
            if under(skey, ex.into) and skey != ex.into:
                self.state.extracted.append(_Extracted(ex.taint, dkey, ex.tool, ex.word))
            elif under(ex.into, skey):
                self.state.extracted.append(
                    _Extracted(ex.taint, dkey + ex.into[len(skey) :], ex.tool, ex.word)
                )

    def posix_download(self, w0: Tok, args: list[Tok | Group]) -> None:
        words = [ShWord(w0.raw, "curl" if "curl" in w0.value.lower() else "wget", w0.start, w0.end)]
        for a in args:
            if isinstance(a, Group):
                words.append(ShWord("$(…)", "$(…)", a.start, a.end))
            elif a.kind != "op":
                v = a.value if a.quote == "'" else (expand(a.value, self.scope) or a.value)
                words.append(ShWord(a.raw, v, a.start, a.end))
        self.curl_words(words)

    def curl_words(self, words: list[ShWord]) -> None:
        from hardpin.analysis.downloads import parse_download

        dl = parse_download(words, [])
        if dl is None:
            return
        tool = "curl.exe" if words[0].value == "curl" else "wget.exe"
        line = self.line(words[0].start)
        from hardpin.urls import display_url

        shown = display_url(dl.url, max_len=120) or "an unknown URL"
        for o in dl.outputs:
            key = path_key(o, self.scope)
            self.state.downloaded.add(key)
            if dl.pinned:
                self.state.files.pop(key, None)
            else:
                t = self.state.files[key] = _Taint(o, tool, shown, line)
                self.into_path_dir(words[0], key, t)

    # -- cmd ----------------------------------------------------------------

    def cmd_command(self, words: list[ShWord]) -> None:
        words = strip_cmd_prefix(words)
        if not words:
            return
        name = _exe(words[0].value)
        resolved = [
            ShWord(w.raw, expand(w.value, self.scope) or w.value, w.start, w.end) for w in words
        ]
        if name in ("curl", "wget"):
            self.curl_words(
                [ShWord(w.raw, name, w.start, w.end) for w in resolved[:1]] + resolved[1:]
            )
            return
        toks = [Tok("word", w.raw, w.value, w.start, w.end) for w in words]
        if name == "msiexec":
            self.msiexec(toks[0], toks[1:], "msiexec")
            return
        if name in ("tar", "bsdtar"):
            self.tar(words[0], words[1:])
            return
        if name == "setx":
            vals = [w for w in words[1:] if not w.value.startswith("/")]
            if len(vals) >= 2 and vals[0].value.lower() == "path":
                self.add_path(expand(vals[1].value, self.scope, sym=True), words[0], None)
            return
        if name in ("copy", "move", "xcopy"):
            operands: list[Tok | Group] = [t for t in toks[1:] if not t.value.startswith("/")]
            if len(operands) >= 2:
                self.copy("copy", operands[:2])
            return
        if name in ("del", "erase"):
            for t in toks[1:]:
                self.state.files.pop(self.key_of(t), None)
            return
        if name in ("cd", "chdir", "pushd") and len(toks) > 1:
            self.scope.cwd = self.key_of(toks[-1])
            return
        if name in _INTERPRETERS:
            for t in toks[1:]:
                if not t.value.startswith("-"):
                    self.invoke(toks[0], t, name, [])
                    break
            return
        self.invoke(toks[0], toks[0], None, [])

    # -- reports ------------------------------------------------------------

    def report(self, at: Tok | Group | ShWord, t: _Taint, what: str) -> None:
        if at.start in self.reported:
            return
        self.reported.add(at.start)
        where = f" (line {t.line})" if t.line != self.line(at.start) else ""
        self.out.append(
            Finding(
                at.start,
                at.end,
                f"`{t.path}` downloaded by {t.tool}{where} {what} without a checksum{t.weak}",
                f"{t.url} -> {t.path} -> {what}",
            )
        )

    def report_code(self, at: Tok, src: tuple[str, str, int, Tok | Group]) -> None:
        tool, url, line, _w = src
        if at.start in self.reported:
            return
        self.reported.add(at.start)
        where = f" (line {line})" if line != self.line(at.start) else ""
        self.out.append(
            Finding(
                at.start,
                at.end,
                f"`{at.value}` runs code downloaded by {tool} from {url}{where}, "
                "without a checksum or signature check",
                f"{tool} {url} | {at.value.lower()}",
            )
        )


def nested_body(body: Body | None, w0: Tok, args: list[Tok | Group]) -> Body | None:
    """The command string of `powershell -Command "…"` written inside PowerShell, as a body of
    its own (a single quoted argument, or the rest of the statement)."""
    if body is None:
        return None
    words = [ShWord(w0.raw, w0.value, w0.start, w0.end)]
    for a in args:
        if isinstance(a, Group):
            break
        words.append(ShWord(a.raw, a.value, a.start, a.end))
    b = cmd_shell_body(words)
    if b is None:
        return None
    w = words[b]
    i = _index_of(body.offsets, w.start, body.start)
    if b == len(words) - 1 and len(w.raw) >= 2 and w.raw[0] == w.raw[-1] and w.raw[0] in "\"'":
        return Body("powershell", body.text, body.offsets, i + 1, i + len(w.raw) - 1)
    return None


def strip_cmd_prefix(words: list[ShWord]) -> list[ShWord]:
    """The command `call x` or `start /w /b "title" x …` runs: from `x` on."""
    i = 0
    while i < len(words) and words[i].value.lower() == "call":
        i += 1
    if i < len(words) and words[i].value.lower() == "start":
        i += 1
        while i < len(words) - 1 and (words[i].value.startswith("/") or words[i].raw == '""'):
            i += 1
    return words[i:]


def _one(items: list[Tok | Group], around: Group) -> Tok | Group:
    return items[0] if len(items) == 1 else Group("(", items, around.start, around.end)


def _split_commas(items: list[Tok | Group]) -> list[list[Tok | Group]]:
    out: list[list[Tok | Group]] = [[]]
    for it in items:
        if _is_op(it, ","):
            out.append([])
        else:
            out[-1].append(it)
    return out


def _until_close(items: list[Tok | Group]) -> list[Tok | Group]:
    """Arguments of a command inside a condition, up to the first comparison operator."""
    out: list[Tok | Group] = []
    for it in items:
        if isinstance(it, Tok) and it.kind == "word" and it.value.lower() in (
            "-ne", "-eq", "-cne", "-ceq", "-ine", "-ieq", "-notlike", "-like", "-match", "-notmatch",
        ):  # fmt: skip
            break
        out.append(it)
    return out


# ---------------------------------------------------------------------------
# units for the pip rules


def windows_units(ctx: RuleContext) -> list[Unit]:
    """The commands of PowerShell/cmd RUNs as shell units (cached per document)."""
    return ctx.cached("powershell:units", lambda: _windows_units(ctx))


_PS_ENV = lazy_re(r"\$\{env:([^}]+)\}|\$env:([A-Za-z_]\w*)|%([A-Za-z_]\w*)%", re.I)


def _sh_value(v: str) -> str:
    def sub(m: re.Match[str]) -> str:
        name: str = m.group(1) or m.group(2) or m.group(3)
        return "${" + name + "}"

    return str(_PS_ENV.sub(sub, v))


def _windows_units(ctx: RuleContext) -> list[Unit]:
    from hardpin.analysis.dockerfile import is_posix_shell, iter_runs, shell_of
    from hardpin.analysis.shell import Unit

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    if not _may_be_windows(df):
        return []
    out: list[Unit] = []
    for st, ins in iter_runs(df):
        target = ins.inner or ins
        if target.json_args is not None:
            continue
        shell = shell_of(df, st, ins)
        if is_posix_shell(shell):
            continue
        bodies, cmds = run_bodies(shell, ins)
        commands: list[Command] = []
        for b in bodies:
            toks = tokenize(b.text, b.offsets, b.start, b.end, b.from_cmd)
            _collect_commands(_tree(toks), commands, b)
        for words in cmds:
            ws = [ShWord(w.raw, _sh_value(w.value), w.start, w.end) for w in words]
            ws = strip_cmd_prefix(ws)
            if ws:
                commands.append(Command(ws))
        if commands:
            out.append(Unit(commands, ins, st))
    return out


def _collect_commands(items: list[Tok | Group], out: list[Command], body: Body) -> None:
    for stmt in statements(items):
        for el in _pipeline(stmt):
            first = el[0]
            if isinstance(first, Tok) and first.kind == "word" and _exe(first.value) in POWERSHELLS:
                inner = nested_body(body, first, el[1:])
                if inner is not None:
                    toks = tokenize(inner.text, inner.offsets, inner.start, inner.end)
                    _collect_commands(_tree(toks), out, inner)
                    continue
            words: list[ShWord] = []
            for it in el:
                if isinstance(it, Group):
                    if it.open == "{" or it.open == "@{":
                        _collect_commands(it.items, out, body)
                        words.append(ShWord("$(…)", "$(…)", it.start, it.end))
                    else:
                        _collect_commands(it.items, out, body)
                        words.append(ShWord("$(…)", "$(…)", it.start, it.end))
                    continue
                if it.kind == "op":
                    continue
                v = it.value if it.quote == "'" else _sh_value(it.value)
                words.append(ShWord(it.raw, v, it.start, it.end))
            if words and words[0].value in ("&", "."):
                words = words[1:]
            if (
                words
                and not words[0].value.startswith(("$", "[", "("))
                and words[0].value.lower() not in ("if", "elseif", "else", "foreach", "while")
            ):
                out.append(Command(words))
