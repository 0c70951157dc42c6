"""Shared analysis for the package-manager rules (HP204 HP205 HP209 HP211).

Every rule of this family looks at the same thing: a package manager's
command line, one word at a time. This module gives them

* `pkg_commands(ctx)`: every simple command of the document, normalised —
  its prologue skipped as `analysis.shell.prologue` does (reserved words,
  `VAR=value`, `sudo`, `env`, …), and here also `gosu`/`su-exec USER`,
  `runuser … --` and `mono`; `su USER -c "…"` bodies parsed — from the
  POSIX shell units of `analysis.shell`, and also from RUN instructions
  under a PowerShell or cmd `SHELL` (or a Windows base image), whose text is
  split into commands and words here because no POSIX parse happens for
  them;
* the values of variables (`PkgCommand.resolve`): the Dockerfile's ARG and
  ENV values in force for the RUN and plain `VAR=value` assignments earlier
  in the same RUN or script, substituted by `analysis.shell.resolve_word`;
  anything else (loop variables, values from the base image, a build
  argument without a default) is *unknown* (`UNKNOWN` in the result), and
  command substitutions or positional parameters make the whole word
  unknown (None): the rules then stay silent rather than guess;
* the option tables of the package managers, for `analysis.options.parse`,
  so that option values are never mistaken for packages.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.shell import (
    DECLARATIONS,
    SU,
    Env,
    basename,
    declared,
    exe_name,
    prologue,
    resolve_word,
    su_script,
)
from hardpin.parsers.shell import Command, ShWord

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage


# POSIX special built-ins: assignments written before them stay in the shell's environment
_SPECIAL_BUILTINS = frozenset(
    {":", ".", "break", "continue", "eval", "exec", "exit", "export", "readonly", "return", "set",
     "shift", "times", "trap", "unset"}
)  # fmt: skip
WINDOWS_SHELLS = frozenset({"powershell", "powershell.exe", "pwsh", "pwsh.exe"})
CMD_SHELLS = frozenset({"cmd", "cmd.exe"})


@record
class PkgCommand:
    """One simple command as the package-manager rules see it."""

    words: list[ShWord]  # argv without leading assignments and wrappers (sudo, env, …)
    prefix: dict[str, str]  # `VAR=value` assignments written before the command
    local: Env  # assignments earlier in the same RUN or script
    base: _BaseEnv = field(default_factory=lambda: _BaseEnv())  # ARG/ENV values for the RUN
    windows: bool = False  # from a PowerShell/cmd RUN (split word by word, not parsed)

    @property
    def name(self) -> str:
        """The command name as `exe_name` gives it (`npm`, `dotnet`, `apt-get`)."""
        name = self.__dict__.get("_name")
        if name is None:
            name = self.__dict__["_name"] = exe_name(self.words[0].value)
        return name

    @property
    def env(self) -> Env:
        """Variables known at this point (None: declared, but the value cannot be known)."""
        env = self.__dict__.get("_env")
        if env is None:
            env = {**self.base.get(), **self.local} if self.local else self.base.get()
            self.__dict__["_env"] = env
        return env

    def resolve(self, word: ShWord) -> str | None:
        """The word's value with variables substituted (`UNKNOWN` for unknown parts), or None
        when it cannot be analysed (see `analysis.shell.resolve_word`; any variable in
        PowerShell or cmd)."""
        if self.windows:
            return None if "$" in word.value or "%" in word.value else word.value
        return resolve_word(word.value, self.env)

    def subject(self, *words: ShWord | str) -> str:
        """A stable description of the finding: command name and the given words."""
        parts = [self.name]
        for w in words:
            parts.append(w if isinstance(w, str) else w.value)
        return " ".join(parts)


class _BaseEnv:
    """The Dockerfile ARG/ENV values for one RUN, computed only when a rule needs them."""

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], Env] | None = None) -> None:
        self._compute = compute
        self._value: Env | None = None

    def get(self) -> Env:
        """The values, computed on first use."""
        if self._value is None:
            self._value = self._compute() if self._compute is not None else {}
        return self._value


# ---------------------------------------------------------------------------
# option tables (for analysis.options.parse): the options that take a value


def _values(names: str) -> frozenset[str]:
    return frozenset(names.split())


# apt-get, apt, aptitude
APT = OptionTable(
    values=_values(
        """
        -o -c -t -a --option --config-file --target-release --default-release
        --host-architecture
        """
    ),
    numbers=True,
)

APK = OptionTable(
    values=_values(
        """
        -X --repository -t --virtual -p --root --arch --cache-dir --keys-dir --repositories-file
        --cache-max-age --wait --timeout --progress-fd
        """
    ),
    numbers=True,
)

# yum, dnf, microdnf, tdnf
RPM = OptionTable(
    values=_values(
        """
        -c --config --installroot --releasever -d --debuglevel -e --errorlevel -x --exclude
        --excludepkgs --repo --repoid --enablerepo --disablerepo --setopt --color --downloaddir
        --destdir --rpmverbosity --forcearch --disableplugin --enableplugin --comment --advisory
        --advisories --bz --cve --sec-severity --secseverity --repofrompath --platform-id
        """
    ),
    numbers=True,
)

ZYPPER = OptionTable(
    values=_values(
        """
        -t --type -r --repo --from -R --root -D --reposd-dir -C --cache-dir --raw-cache-dir
        --solv-cache-dir --pkg-cache-dir -c --config --installroot
        """
    ),
    numbers=True,
)

GEM = OptionTable(
    values=_values(
        """
        -i --install-dir -n --bindir --build-root --platform -s --source -p --http-proxy -P
        --trust-policy --config-file --without --target-rbconfig
        """
    ),
    numbers=True,
)

# npm (booleans take no value)
NPM = OptionTable(
    values=_values(
        """
        --prefix -C --registry --cache --loglevel --userconfig --globalconfig --tag --omit
        --include --workspace -w --only --also --scope --location --install-strategy
        --save-prefix --before --script-shell --proxy --https-proxy --ca --cafile --cert --key
        --fetch-retries --fetch-retry-mintimeout --fetch-retry-maxtimeout --fetch-timeout
        --network-concurrency --maxsockets --target --target_arch --target-arch
        --target_platform --runtime --dist-url --python --arch --platform --libc --os --cpu
        --node-options --auth-type
        """
    ),
    numbers=True,
)

YARN = OptionTable(
    values=_values(
        """
        --cwd --modules-folder --cache-folder --global-folder --network-timeout --mutex
        --registry --network-concurrency --link-folder --preferred-cache-folder --use-yarnrc
        --https-proxy --proxy --otp --emoji --mode --dist-tag
        """
    ),
    clusters=False,
    numbers=True,
)

PNPM = OptionTable(
    values=_values(
        """
        --filter -F --dir -C --store-dir --reporter --registry --virtual-store-dir --modules-dir
        --lockfile-dir --workspace-dir --network-concurrency --child-concurrency --loglevel
        --config --resolution-mode --node-linker --package-import-method
        """
    ),
    clusters=False,
    numbers=True,
)

# npm, yarn and pnpm together, for the package specs of an install
JS = OptionTable(
    values=_values(
        """
        --prefix -C --registry --cache --loglevel --userconfig --globalconfig --tag --omit
        --include --workspace -w --save-prefix --before --location --install-strategy
        --script-shell --proxy --https-proxy --ca --cafile --cert --key --otp --auth-type --cwd
        --modules-folder --cache-folder --global-folder --network-timeout --mutex
        --network-concurrency --link-folder --preferred-cache-folder --use-yarnrc --filter -F
        --dir --store-dir --reporter --config --workspace-dir --virtual-store-dir --modules-dir
        --lockfile-dir
        """
    ),
    clusters=False,
)

# go: `-flag value`, `-flag=value`, and the same with `--`
_GO_VALUE = _values(
    """
    -C -o -p -tags -ldflags -gcflags -asmflags -gccgoflags -mod -modfile -overlay -pgo
    -pkgdir -toolexec -buildmode -compiler -installsuffix -exec -covermode -coverpkg
    -debug-actiongraph -debug-runtime-trace -debug-trace -json
    """
)
GO = OptionTable(
    values=_GO_VALUE | frozenset("-" + f for f in _GO_VALUE), clusters=False, numbers=True
)

# Chocolatey, NuGet and dotnet: case-insensitive names, no clusters
CHOCO = OptionTable(
    values=_values(
        """
        --version -version --params -params --package-parameters --install-arguments --ia -ia
        --source -s -source --checksum --checksum64 --checksumtype --checksum-type
        --cache-location --execution-timeout --log-file --user -u --password -p --cert --cp
        --proxy --proxy-user --proxy-password --timeout --pre-install-script --install-directory
        --installargs --installarguments --packageparameters --package-params --pp
        """
    ),
    clusters=False,
    fold=True,
    numbers=True,
)

NUGET = OptionTable(
    values=_values(
        """
        -version -outputdirectory -o -source -configfile -framework -solutiondirectory
        -packagesavemode -dependencyversion -fallbacksource -verbosity -msbuildpath
        -msbuildversion -apikey -packagesdirectory -project2projecttimeout -lockfilepath
        """
    ),
    clusters=False,
    fold=True,
    numbers=True,
)

DOTNET = OptionTable(
    values=_values(
        """
        -v --version -f --framework -s --source --package-directory -c --configuration -r
        --runtime -o --output -a --arch --os --verbosity --configfile --packages --tool-path
        --add-source --tool-manifest --version-suffix -p --property --framework-version --logger
        -l --filter --settings --results-directory --diag --blame-hang-timeout --collect
        --test-adapter-path --project --launch-profile
        """
    ),
    clusters=False,
    fold=True,
    numbers=True,
)

# cargo install (HP212)
CARGO = OptionTable(
    values=_values(
        """
        --version --vers --git --branch --tag --rev --path --root --index --registry -F
        --features -j --jobs --target --target-dir --profile --bin --example --config -Z
        --color --message-format --lockfile-path
        """
    ),
    numbers=True,
)

# composer: global options before the subcommand, then `require`'s own
COMPOSER = OptionTable(
    values=_values(
        """
        -d --working-dir --prefer-install --audit-format --ignore-platform-req
        --apcu-autoloader-prefix
        """
    ),
    clusters=False,
)

# conda, mamba, micromamba
CONDA = OptionTable(
    values=_values(
        """
        -n --name -p --prefix -c --channel --file --repodata-fn --solver --platform --subdir
        -r --root-prefix --rc-file --revision --log-level --cacert-path --channel-priority
        --category --experimental --override-channels-file
        """
    ),
    numbers=True,
)

# bundle (Bundler)
BUNDLE = OptionTable(
    values=_values(
        """
        --gemfile --path --jobs -j --retry --binstubs --shebang --standalone --trust-policy
        --with --without --target-rbconfig
        """
    ),
    clusters=False,
    numbers=True,
)

# poetry, pdm and pipenv: the options that move the project directory, and others with values
PY_PROJECT = OptionTable(
    values=_values(
        """
        -C --directory -P --project -p -E --extras --with --without --only --only-root -G
        --group -L --lockfile --python --pypi-mirror --categories -k --skip -v --venv
        """
    ),
    clusters=False,
)


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


def _env_thunk(ctx: RuleContext, st: Stage, ins: Instruction) -> Callable[[], Env]:
    def compute() -> Env:
        return _instruction_env(ctx, st, ins)

    return compute


def _may_have_windows_runs(df: Dockerfile) -> bool:
    """Cheap test before asking `shell_of` for every RUN: a SHELL, a backtick escape or an image
    whose default shell may be cmd."""
    if df.escape == "`":
        return True
    hints = ("mcr.microsoft.com", "windows", "nanoserver", "servercore")
    for ins in df.instructions:
        target = ins.inner or ins
        if target.keyword == "SHELL":
            return True
        if target.keyword == "FROM" and any(h in target.args.lower() for h in hints):
            return True
    return any(h in (a.default or "").lower() for a in df.global_args for h in hints)


# the same cheap test for the PowerShell/cmd analysis (analysis/powershell.py, imported only then)
may_have_windows_runs = _may_have_windows_runs


def _instruction_env(ctx: RuleContext, st: Stage, ins: Instruction) -> Env:
    from hardpin.parsers.dockerfile import stage_env

    return ctx.cached(f"pkg_env:{ins.start}", lambda: stage_env(ctx.doc, st, ins))  # type: ignore[arg-type]


def _collect(commands: list[Command], base: _BaseEnv, local: Env, out: list[PkgCommand]) -> None:
    def assign(name: str, val: str) -> None:
        local[name] = (
            resolve_word(val, {**base.get(), **local}) if "$" in val or "`" in val else val
        )

    snapshot: Env | None = None
    for cmd in commands:
        if not cmd.words:
            continue
        p = prologue(cmd.words)
        argv = p.argv
        prefix = {name: value for name, value, _w in p.assignments}
        if not argv or argv[0].value in _SPECIAL_BUILTINS:
            # `VAR=value` on its own (or before `set`, `export`, …): remembered for later commands
            for name, val in prefix.items():
                assign(name, val)
                snapshot = None
            if not argv:
                continue
        head = argv[0].value
        if head in DECLARATIONS:
            for name, value, _w in declared(argv):
                assign(name, value)
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


def _run_as(argv: list[ShWord]) -> list[ShWord] | None:
    """Commands run through another program: `gosu USER cmd…`, `su-exec USER cmd…`,
    `runuser -u USER -- cmd…`, `mono nuget.exe …` (the command's words). `su USER -c "…"`
    bodies are not handled here: analysis.shell.expand_sh_c puts them into the unit."""
    name = basename(argv[0].value).lower()
    if name in ("gosu", "su-exec") and len(argv) > 2:
        return argv[2:]
    if name in ("mono", "mono.exe"):
        rest = argv[1:]
        while rest and rest[0].value.startswith("-"):
            rest = rest[1:]
        return rest or None
    if name not in ("su", "runuser") or su_script(argv) is not None:
        return None  # an `-c` script is parsed into the unit by analysis.shell.expand_sh_c
    parsed = parse(argv[1:], SU)
    return argv[1 + parsed.end :] if parsed.end < len(argv) - 1 else None  # after `--`


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
    name = basename(words[0].value).lower()
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


def split_windows(text: str, offsets: Sequence[int], start: int, end: int) -> list[list[ShWord]]:
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
