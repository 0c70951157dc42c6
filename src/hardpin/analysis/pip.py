"""Shared analysis for the pip rules (HP201 HP202 HP203 HP210).

`pip_calls(ctx)` finds every pip install of a document — `pip`, `pip3`,
`pip3.12`, `/venv/bin/pip`, `python -m pip`, `python3.12 -m pip`,
`"$PYTHON" -m pip`, `uv pip`, `pipx`, also behind `sudo`, `env`,
`VAR=value` and `xargs` — in every shell unit (Dockerfile RUN in all its
forms, shell scripts, `sh -c` bodies; `pip_command` recognises the
spelling), and parses its command line the way pip's option parser does
(`analysis.options.parse` with the `PIP`, `UV` and `PIPX` tables): options that take a value (`-r FILE`, `-rFILE`,
`--requirement=FILE`, `-i URL`, `--target DIR`, …), clustered short flags
(`-qU`), unique prefixes of long options (`--extra-index`), global options
before the subcommand (`pip --no-cache-dir install`), `--`, and
requirement arguments. Only `install` (and `download` / `wheel`, which fetch
the same files from the same index; `pipx install` / `pipx inject`) count.

Variables are substituted from the Dockerfile's ARG/ENV values in force at
the RUN and from assignments earlier in the same unit
(`analysis.shell.resolve`); a value that cannot be known is kept as the
`UNKNOWN` marker so that rules can stay silent
about it instead of guessing. `-r`/`-c` files are found through the COPY /
ADD (or `RUN --mount=type=bind`) that brought them into the image, resolved
against the build context (the Dockerfile's directory, or the
`build-context` setting relative to it), or relative to a shell script's
directory, and parsed with `hardpin.parsers.requirements`.
"""

from __future__ import annotations

import posixpath
import re

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.analysis.options import Option, OptionTable, Parsed, parse
from hardpin.analysis.shell import (
    DECLARATIONS,
    PIP_NAME,
    PYTHON_NAME,
    UNKNOWN,
    Env,
    Unit,
    basename,
    declared,
    prologue,
    resolve,
    units,
)
from hardpin.parsers.requirements import (
    ARCHIVE_EXTENSIONS,
    RequirementsFile,
    egg_name,
    exact_version,
    is_vcs_scheme,
    looks_like_path,
    url_hash,
    url_scheme,
)
from hardpin.parsers.shell import Command, ShWord
from hardpin.urls import canonical_name, redact, redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage
    from hardpin.parsers.requirements import Requirement

SUBCOMMANDS = frozenset({"install", "download", "wheel"})

_HEX40 = lazy_re(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$")
_SHORT_HEX = lazy_re(r"^[0-9a-fA-F]{7,39}$")
_NAME_ONLY = lazy_re(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?(?:\[[^\]]*\])?$")
_DIRECT_REF = lazy_re(r"^\s*[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\s*(?:\[[^\]]*\])?\s*@")
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})

# ---------------------------------------------------------------------------
# option tables (canonical long names; short letters map to long names)

_PIP_VALUE = frozenset(
    {
        "--requirement", "--constraint", "--editable", "--index-url", "--extra-index-url",
        "--find-links", "--trusted-host", "--target", "--prefix", "--root", "--hash", "--platform",
        "--python-version", "--implementation", "--abi", "--src", "--log", "--log-file",
        "--local-log", "--cache-dir", "--progress-bar", "--config-settings", "--global-option",
        "--install-option", "--build-option", "--no-binary", "--only-binary", "--upgrade-strategy",
        "--root-user-action", "--report", "--python", "--proxy", "--retries", "--timeout",
        "--exists-action", "--cert", "--client-cert", "--keyring-provider", "--use-feature",
        "--use-deprecated", "--resume-retries", "--build", "--build-dir", "--dest", "--wheel-dir",
        "--group", "--default-timeout",
    }
)  # fmt: skip
_PIP_FLAG = frozenset(
    {
        "--upgrade", "--user", "--no-deps", "--require-hashes", "--no-index", "--pre", "--quiet",
        "--verbose", "--version", "--help", "--isolated", "--no-cache-dir", "--disable-pip-version-check",
        "--no-color", "--no-input", "--ignore-installed", "--ignore-requires-python",
        "--no-build-isolation", "--use-pep517", "--no-use-pep517", "--check-build-dependencies",
        "--break-system-packages", "--compile", "--no-compile", "--no-warn-script-location",
        "--no-warn-conflicts", "--prefer-binary", "--force-reinstall", "--no-clean", "--dry-run",
        "--require-virtualenv", "--no-python-version-warning", "--debug", "--egg", "--no-user",
        "--process-dependency-links", "--pre-release",
    }
)  # fmt: skip
_PIP_SHORT = {
    "r": "--requirement", "c": "--constraint", "e": "--editable", "i": "--index-url",
    "f": "--find-links", "t": "--target", "b": "--build", "C": "--config-settings", "d": "--dest",
    "w": "--wheel-dir", "U": "--upgrade", "q": "--quiet", "v": "--verbose", "V": "--version",
    "h": "--help", "I": "--ignore-installed",
}  # fmt: skip
_UV_VALUE = _PIP_VALUE | frozenset(
    {
        "--index", "--default-index", "--index-strategy", "--upgrade-package", "--reinstall-package",
        "--no-build-isolation-package", "--build-constraint", "--build-constraints", "--override",
        "--overrides", "--constraints", "--requirements", "--python-platform", "--exclude-newer",
        "--resolution", "--prerelease", "--link-mode", "--config-setting", "--extra",
        "--torch-backend", "--refresh-package", "--directory", "--project", "--config-file",
        "--color", "--allow-insecure-host", "--no-binary-package", "--no-build-package",
        "--only-binary-package", "--excludes", "--fork-strategy", "--python-preference", "--exclude",
        "--no-extra", "--only-group", "--no-group", "--dependency-metadata", "--config-settings-package",
        "--python-downloads", "--cache-dir",
    }
)  # fmt: skip
_UV_FLAG = _PIP_FLAG | frozenset(
    {
        "--system", "--reinstall", "--no-build", "--offline", "--all-extras", "--strict",
        "--compile-bytecode", "--no-sources", "--native-tls", "--no-progress", "--no-config",
        "--preview", "--no-cache", "--refresh", "--exact", "--no-verify-hashes", "--verify-hashes",
        "--seed", "--no-python-downloads", "--managed-python", "--no-managed-python",
    }
)  # fmt: skip
_UV_SHORT = {
    "r": "--requirement", "c": "--constraint", "e": "--editable", "i": "--index-url",
    "f": "--find-links", "p": "--python", "P": "--upgrade-package", "b": "--build-constraint",
    "C": "--config-setting", "U": "--upgrade", "q": "--quiet", "v": "--verbose", "n": "--no-cache",
    "h": "--help", "V": "--version", "t": "--target",
}  # fmt: skip
_PIPX_VALUE = frozenset(
    {"--spec", "--python", "--pip-args", "--index-url", "--suffix", "--preinstall", "--backend"}
)
_PIPX_FLAG = frozenset(
    {
        "--editable", "--force", "--include-deps", "--system-site-packages", "--global", "--verbose",
        "--quiet", "--help", "--fetch-missing-python", "--include-apps",
    }
)  # fmt: skip
_PIPX_SHORT = {"e": "--editable", "f": "--force", "v": "--verbose", "q": "--quiet", "h": "--help",
               "i": "--index-url"}  # fmt: skip
PIP = OptionTable(
    values=_PIP_VALUE, flags=_PIP_FLAG, short=_PIP_SHORT, abbreviations=True, numbers=True
)
UV = OptionTable(values=_UV_VALUE, flags=_UV_FLAG, short=_UV_SHORT, numbers=True)
PIPX = OptionTable(values=_PIPX_VALUE, flags=_PIPX_FLAG, short=_PIPX_SHORT, numbers=True)
TABLES = {"pip": PIP, "uv": UV, "pipx": PIPX}  # by the tool `pip_command` names
# uv's options before its subcommand (`uv --cache-dir /c pip install …`)
UV_GLOBAL = OptionTable(
    values=frozenset({"--cache-dir", "--directory", "--project", "--config-file", "--color",
                      "--python", "-p", "--allow-insecure-host"})
)  # fmt: skip
# python's options before `-m pip`: `-m` and `-c` end them
PYTHON = OptionTable(values=frozenset({"-m", "-c", "-X", "-W"}))
XARGS = OptionTable(
    values=frozenset({"-n", "-L", "-l", "-I", "-i", "-a", "-d", "-E", "-e", "-P", "-s",
                      "--max-args", "--max-lines", "--arg-file", "--delimiter", "--max-procs",
                      "--max-chars", "--replace", "--eof", "--process-slot-var"})
)  # fmt: skip


@record
class ReqArg:
    """One requirement named on the command line."""

    word: ShWord
    text: str  # resolved (may contain UNKNOWN)
    kind: str  # "name", "vcs", "url", "path" (local dir), "file" (local archive), "unknown"
    editable: bool = False
    name: str | None = None
    specifier: str = ""
    url: str | None = None
    extras: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether a named requirement is pinned to one exact version (`==` or `===`)."""
        return self.kind == "name" and exact_version(self.specifier) is not None


@record
class PipCall:
    """One pip install (or download / wheel) command."""

    unit: Unit
    command: Command
    words: list[ShWord]  # normalised argv (wrappers stripped)
    tool: str  # "pip", "uv" or "pipx"
    sub: str  # "install", "download", "wheel" (pipx: "install", "inject")
    sub_word: ShWord
    options: list[Option]  # values resolved (may contain UNKNOWN)
    reqs: list[ReqArg]
    env: Env  # variables in force, the command's own prefix assignments included
    cwd: str | None  # image path (Dockerfile) or script-relative path; None: unknown
    xargs: bool = False  # arguments also come from stdin through xargs
    # requirement files written with hashes by an earlier command (`uv export -o F`): path -> command
    generated: dict[str, str] = field(default_factory=dict)

    def path_key(self, written: str) -> str | None:
        """`written` relative to the working directory, as `generated` keys it."""
        return _path_key(self.cwd, written)

    def has(self, *names: str) -> bool:
        """Whether any of the options is given."""
        return any(o.name in names for o in self.options)

    def values(self, *names: str) -> list[Option]:
        """Every occurrence of the options, in order."""
        return [o for o in self.options if o.name in names]

    def env_true(self, *names: str) -> bool:
        """Whether any of the environment variables is set to a true value (`1`, `yes`, …)."""
        for n in names:
            v = self.env.get(n)
            if v is not None and v.strip().lower() in _TRUE:
                return True
        return False

    @property
    def help(self) -> bool:
        """`--help` or `--version`: nothing is installed."""
        return self.has("--help", "--version")

    @property
    def no_deps(self) -> bool:
        """Dependencies are not installed (`--no-deps`, `PIP_NO_DEPS`)."""
        return self.has("--no-deps") or self.env_true("PIP_NO_DEPS", "PIP_NO_DEPENDENCIES")

    @property
    def require_hashes(self) -> bool:
        """pip checks hashes (`--require-hashes`, `PIP_REQUIRE_HASHES`, `UV_REQUIRE_HASHES`)."""
        return self.has("--require-hashes") or self.env_true(
            "PIP_REQUIRE_HASHES", "UV_REQUIRE_HASHES"
        )

    @property
    def uses_index(self) -> bool:
        """Whether packages may come from a remote index (not `--no-index` with local find-links)."""
        if not (
            self.has("--no-index") or self.env_true("PIP_NO_INDEX", "UV_NO_INDEX", "UV_OFFLINE")
        ):
            return True
        links = [o.value or "" for o in self.values("--find-links")]
        links += (self.env.get("PIP_FIND_LINKS") or "").split()
        return any(re.match(r"^(?:https?|ftp)://", v, re.IGNORECASE) for v in links)

    def subject(self, *parts: str) -> str:
        """A stable description of the finding: the command and the given parts."""
        head = {"uv": "uv pip", "pipx": "pipx"}.get(self.tool, "pip")
        return " ".join([head, self.sub, *parts])


# ---------------------------------------------------------------------------
# helpers


def show(text: str) -> str:
    """A resolved value for messages: unknown parts as `…`, credentials removed."""
    return redact_text(text.replace(UNKNOWN, "…"))


def _split_value(word: ShWord, text: str) -> list[str]:
    """Unquoted words whose variables hold several words are split like the shell does."""
    if "$" in word.raw and not any(q in word.raw for q in "\"'") and any(c.isspace() for c in text):
        return text.split()
    return [text]


def git_ref(url: str) -> str | None:
    """The `@ref` of a VCS URL (pip's rule: the last `@` in the path, not in user@host)."""
    u = url.split("#", 1)[0]
    _, sep, after = u.partition(":")
    if not sep:
        return None
    if after.startswith("//"):
        slash = after.find("/", 2)
        path = after[slash:] if slash != -1 else ""
    else:
        path = after
    if "@" not in path:
        return None
    return path.rsplit("@", 1)[1] or None


def immutable_commit(ref: str | None) -> bool:
    """Whether a VCS ref is a full commit hash (40 or 64 hex digits)."""
    return ref is not None and bool(_HEX40.match(ref))


_ARCHIVE_AT_COMMIT = lazy_re(
    r"^https?://(?:"
    r"(?:www\.)?github\.com/[^/]+/[^/]+/archive/(?P<a>[0-9a-fA-F]{40})(?:\.zip|\.tar\.gz)?|"
    r"codeload\.github\.com/[^/]+/[^/]+/(?:zip|tar\.gz|legacy\.tar\.gz|legacy\.zip)/(?P<b>[0-9a-fA-F]{40})|"
    r"[^/]*gitlab[^/]*/.+/-/archive/(?P<c>[0-9a-fA-F]{40})/[^/?#]+"
    r")(?:[?#].*)?$"
)


def archive_at_commit(url: str) -> bool:
    """GitHub / GitLab source archives of a full commit hash (their content cannot change)."""
    return bool(_ARCHIVE_AT_COMMIT.match(url))


def classify(text: str, editable: bool = False) -> ReqArg:
    """Classify one requirement argument (the word is filled in by the caller)."""
    dummy = ShWord("", "", 0, 0)
    t = text.strip()
    head = t.split(UNKNOWN, 1)[0]
    if UNKNOWN in t and not re.search(r"(?:==|>=|<=|~=|!=|<|>|@|://)", head):
        return ReqArg(dummy, t, "unknown", editable)
    probe = t.replace(UNKNOWN, "0")
    scheme = url_scheme(probe)
    if scheme is not None:
        url = probe.split("; ", 1)[0].strip()
        kind = "vcs" if is_vcs_scheme(scheme) else ("path" if scheme == "file" else "url")
        return ReqArg(dummy, t, kind, editable, egg_name(url), "", t.split("; ", 1)[0].strip())
    if _DIRECT_REF.match(probe):
        name, _, url = probe.partition("@")
        url = url.strip().split(" ;", 1)[0].split("; ", 1)[0].strip()
        sch = url_scheme(url) or ""
        kind = "vcs" if is_vcs_scheme(sch) else ("path" if sch in ("file", "") else "url")
        if "://" not in url and not sch and not url.startswith((".", "/")):
            kind = "unknown"
        nm = name.strip().split("[", 1)[0].strip()
        raw_url = t.partition("@")[2].strip().split("; ", 1)[0].strip()
        return ReqArg(dummy, t, kind, editable, nm, "", raw_url)
    if looks_like_path(probe.split(";", 1)[0]) or editable:
        path = probe.split(";", 1)[0].strip()
        base = re.sub(r"\[[^\]]*\]$", "", path)
        if any(c in base for c in "*?") or base.lower().endswith(ARCHIVE_EXTENSIONS):
            return ReqArg(dummy, t, "file", editable)
        return ReqArg(dummy, t, "path", editable)
    if _NAME_ONLY.match(probe):
        name = probe.split("[", 1)[0]
        extras = (
            tuple(x.strip() for x in probe[len(name) + 1 : -1].split(",") if x.strip())
            if "[" in probe
            else ()
        )
        return ReqArg(dummy, t, "name", editable, name, "", None, extras)
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        req = Requirement(probe)
    except InvalidRequirement:
        return ReqArg(dummy, t, "invalid", editable)
    if req.url:
        sch = url_scheme(req.url) or ""
        kind = "vcs" if is_vcs_scheme(sch) else ("path" if sch == "file" else "url")
        return ReqArg(dummy, t, kind, editable, req.name, "", req.url, tuple(sorted(req.extras)))
    spec = str(req.specifier)
    if UNKNOWN in t:
        # keep `==$VERSION` an exact pin: the operator is written, only the version is a variable
        m = re.match(r"^[A-Za-z0-9._-]+\s*(?:\[[^\]]*\])?\s*([^;]*)", t)
        spec = m.group(1).replace(UNKNOWN, "0").strip() if m else spec
    return ReqArg(dummy, t, "name", editable, req.name, spec, None, tuple(sorted(req.extras)))


# ---------------------------------------------------------------------------
# finding pip commands


def pip_command(words: list[ShWord]) -> tuple[str, list[ShWord]] | None:
    """(tool, the arguments after `pip` / `uv pip` / `pipx`) for any spelling of pip, else None.

    `pip`, `pip3`, `pip3.12`, `/venv/bin/pip`, `pip.exe`, `python -m pip`,
    `python3.12 -m pip`, `"$PYTHON" -m pip`, `uv [options] pip`, `pipx`; the
    tool is "pip", "uv" or "pipx". `words` is a command's argv
    (`analysis.shell.argv`).
    """
    if not words:
        return None
    w0 = words[0].value
    name = basename(w0).lower()
    if PIP_NAME.match(name):
        return "pip", words[1:]
    if PYTHON_NAME.match(name) or (w0.startswith("$") and "py" in w0.lower()):
        for o in parse(words[1:], PYTHON, stop_at_operand=True).options:
            if o.name == "-c" or (o.name == "-m" and not PIP_NAME.match(o.value or "")):
                return None
            if o.name == "-m":
                at = next(k for k, w in enumerate(words) if w is o.value_word)
                return "pip", words[at + 1 :]
        return None
    if name in ("uv", "uv.exe"):
        rest = parse(words[1:], UV_GLOBAL, stop_at_operand=True).operands
        if rest and rest[0].value == "pip":
            return "uv", rest[1:]
        return None
    if name in ("pipx", "pipx.exe"):
        return "pipx", words[1:]
    return None


def _resolved(parsed: Parsed, env: Env) -> list[Option]:
    """The options of `parsed` with their values resolved."""
    return [
        Option(o.name, None if o.value is None else resolve(o.value, env), o.word, o.value_word)
        for o in parsed.options
    ]


def _pip_args_words(value: str, at: ShWord) -> list[ShWord]:
    """`pipx --pip-args "…"`: the string split into words positioned at the value word."""
    import shlex

    try:
        parts = shlex.split(value)
    except ValueError:
        parts = value.split()
    return [ShWord(p, p, at.start, at.end) for p in parts]


def _build_call(
    unit: Unit,
    cmd: Command,
    words: list[ShWord],
    env: Env,
    cwd: str | None,
    xargs: bool,
    generated: dict[str, str],
) -> PipCall | None:
    found = pip_command(words)
    if found is None:
        return None
    tool, args = found
    table = TABLES[tool]
    # global options, then the subcommand
    head = parse(args, table, stop_at_operand=True)
    k = head.end
    if k >= len(args):
        return None
    sub_word = args[k]
    sub = sub_word.value
    if tool == "pipx":
        if sub not in ("install", "inject"):
            return None
    elif sub not in SUBCOMMANDS:
        return None
    parsed = parse(args[k + 1 :], table)
    opts = _resolved(head, env) + _resolved(parsed, env)
    operands = parsed.operands
    reqs: list[ReqArg] = []
    if tool == "pipx":
        for o in list(opts):
            if o.name == "--pip-args" and o.value and o.value_word is not None:
                inner = parse(_pip_args_words(o.value, o.value_word), PIP)
                opts.extend(_resolved(inner, env))
        if sub == "inject" and operands:
            operands = operands[1:]  # the venv to inject into
        editable = any(o.name == "--editable" for o in opts)
        spec = [o for o in opts if o.name == "--spec"]
        for o in spec:
            if o.value is not None and o.value_word is not None:
                operands = []
                reqs.append(_req(o.value_word, o.value, editable))
        for w in operands:
            for text in _split_value(w, resolve(w.value, env)):
                reqs.append(_req(w, text, editable))
    else:
        for o in opts:
            if o.name == "--editable" and o.value is not None and o.value_word is not None:
                reqs.append(_req(o.value_word, o.value, True))
        for w in operands:
            for text in _split_value(w, resolve(w.value, env)):
                reqs.append(_req(w, text, False))
    return PipCall(
        unit, cmd, words, tool, sub, sub_word, opts, reqs, env, cwd, xargs, dict(generated)
    )


def _req(word: ShWord, text: str, editable: bool) -> ReqArg:
    r = classify(text, editable)
    r.word = word
    return r


def pip_calls(ctx: RuleContext) -> list[PipCall]:
    """Every pip install of the document, computed once and shared by the pip rules."""
    return ctx.cached("pip_calls", lambda: _pip_calls(ctx))


def _pip_calls(ctx: RuleContext) -> list[PipCall]:
    out: list[PipCall] = []
    generated: dict[int, dict[str, str]] = {}  # per stage (-1 for a script)
    for unit in units(ctx):
        if not any(_mentions_pip(c) or _may_lock(c) for c in unit.commands):
            continue
        gen = generated.setdefault(unit.stage.index if unit.stage is not None else -1, {})
        out.extend(_unit_calls(ctx, unit, gen))
    if ctx.kind == "dockerfile" and _windows_hint(ctx):
        # RUNs under PowerShell or cmd, read by analysis/powershell.py
        from hardpin.analysis.powershell import windows_units

        for unit in windows_units(ctx):
            if any(_mentions_pip(c) for c in unit.commands):
                gen = generated.setdefault(unit.stage.index if unit.stage is not None else -1, {})
                out.extend(_unit_calls(ctx, unit, gen))
    return out


def _windows_hint(ctx: RuleContext) -> bool:
    from hardpin.analysis.packages import may_have_windows_runs

    return may_have_windows_runs(ctx.doc)  # type: ignore[arg-type]


_LOCKERS = lazy_re(r"^(?:uv|pip-compile|poetry|pdm)$")


def _may_lock(cmd: Command) -> bool:
    return any(_LOCKERS.match(basename(w.value)) for w in cmd.words[:3])


def _path_key(cwd: str | None, written: str) -> str | None:
    if UNKNOWN in written:
        return None
    if written.startswith("/"):
        return posixpath.normpath(written)
    if cwd is None:
        return None
    return posixpath.normpath(posixpath.join(cwd, written)) if cwd else posixpath.normpath(written)


# where uv export / uv pip compile / pip-compile / poetry export / pdm export write
_LOCKER_OUTPUT = OptionTable(values=frozenset({"-o", "--output-file", "--output"}))


def _hashed_output(argv: list[ShWord], env: Env) -> tuple[str, str] | None:
    """(output file, command) when `argv` writes a requirements file with hashes."""
    vals = [w.value for w in argv]
    name = basename(vals[0])
    out = parse(argv[1:], _LOCKER_OUTPUT).value("-o", "--output-file", "--output") or None
    if name == "uv" and len(vals) > 1 and vals[1] == "export":
        ok = "--no-hashes" not in vals
        what = "uv export"
    elif name == "uv" and vals[1:3] == ["pip", "compile"]:
        ok = "--generate-hashes" in vals
        what = "uv pip compile --generate-hashes"
    elif name == "pip-compile":
        ok = "--generate-hashes" in vals
        what = "pip-compile --generate-hashes"
        if out is None:
            ins = [v for v in vals[1:] if v.endswith(".in")]
            out = ins[0][:-3] + ".txt" if len(ins) == 1 else None
    elif name in ("poetry", "pdm") and len(vals) > 1 and vals[1] == "export":
        ok = "--without-hashes" not in vals and "--no-hashes" not in vals
        what = f"{name} export"
    else:
        return None
    if not ok or out is None:
        return None
    return resolve(out, env), what


def _mentions_pip(cmd: Command) -> bool:
    return any("pip" in w.value for w in cmd.words)


def _unit_calls(ctx: RuleContext, unit: Unit, generated: dict[str, str]) -> list[PipCall]:
    base = _base_env(ctx, unit)
    local: Env = {}
    cwds: dict[int, str | None] = {-1: _initial_cwd(ctx, unit)}
    out: list[PipCall] = []
    for cmd in unit.commands:
        d = cmd.depth
        for k in [k for k in cwds if k > d]:
            del cwds[k]
        cwd = cwds[max(k for k in cwds if k <= d)]
        p = prologue(cmd.words)
        argv = p.argv
        env = {**base, **local}
        own: Env = {}
        for name, value, _w in p.assignments:
            own[name] = resolve(value, env)
        if not argv:
            local.update(own)
            continue
        head = argv[0].value
        if head in DECLARATIONS:
            for name, value, _w in declared(argv):
                local[name] = resolve(value, env)
            continue
        if head in ("cd", "pushd"):
            target = argv[1].value if len(argv) > 1 else None
            cwds[d] = _chdir(ctx, cwd, target, env)
            continue
        if head == "popd":
            cwds[d] = None
            continue
        if _may_lock(cmd):
            got = _hashed_output(argv, env)
            if got is not None:
                key = _path_key(cwd, got[0])
                if key is not None:
                    generated[key] = got[1]
        if not _mentions_pip(cmd):
            continue
        xargs = False
        if basename(head) == "xargs":
            argv = prologue(parse(argv[1:], XARGS, stop_at_operand=True).operands).argv
            xargs = True
            if not argv:
                continue
        call = _build_call(unit, cmd, argv, {**env, **own}, cwd, xargs, generated)
        if call is not None:
            out.append(call)
    return out


def _base_env(ctx: RuleContext, unit: Unit) -> Env:
    if ctx.kind != "dockerfile" or unit.stage is None or unit.instruction is None:
        return {}
    from hardpin.parsers.dockerfile import stage_env

    st, ins = unit.stage, unit.instruction
    return ctx.cached(f"pip_env:{ins.start}", lambda: stage_env(ctx.doc, st, ins))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# working directory


def _initial_cwd(ctx: RuleContext, unit: Unit) -> str | None:
    if ctx.kind == "dockerfile" and unit.stage is not None and unit.instruction is not None:
        return workdir(ctx, unit.stage, unit.instruction)
    return ""  # a script: relative to its own directory (the best guess for where it runs)


def _chdir(ctx: RuleContext, cwd: str | None, target: str | None, env: Env) -> str | None:
    """The working directory after `cd target` (None when it cannot be known)."""
    if target is None:
        return None
    script = ctx.kind != "dockerfile"
    if script and ("dirname" in target or "BASH_SOURCE" in target or target.startswith("${0%")):
        return ""  # `cd "$(dirname "$0")"`: the script's own directory
    t = resolve(target, env)
    if UNKNOWN in t or t.startswith("~") or t == "-":
        return None
    if t.startswith("/"):
        return None if script else posixpath.normpath(t)
    if cwd is None:
        return None
    joined = posixpath.normpath(posixpath.join(cwd, t)) if cwd else posixpath.normpath(t)
    return "" if joined == "." else joined


def _stage_chain(df: Dockerfile, st: Stage) -> list[Stage]:
    """The stage and the stages it is built on (FROM <stage>), root first."""
    from hardpin.analysis.dockerfile import stage_image

    chain: list[Stage] = []
    cur: Stage | None = st
    while cur is not None and cur not in chain:
        chain.append(cur)
        cur, _ = stage_image(df, cur)
    return chain[::-1]


def _instructions_before(
    df: Dockerfile, st: Stage, ins: Instruction
) -> list[tuple[Stage, Instruction]]:
    out: list[tuple[Stage, Instruction]] = []
    for s in _stage_chain(df, st):
        for i in s.instructions[1:]:
            if s is st and i is ins:
                break
            if i.inner is None:  # ONBUILD triggers do not run in this build
                out.append((s, i))
    return out


def workdir(ctx: RuleContext, st: Stage, ins: Instruction) -> str | None:
    """The image WORKDIR in force for `ins` ("/" by default); None when a variable hides it."""

    def compute() -> str | None:
        from hardpin.parsers.dockerfile import expand, stage_env

        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        wd: str | None = "/"
        for s, i in _instructions_before(df, st, ins):
            if i.keyword != "WORKDIR":
                continue
            raw = i.words()[0].value if i.words() else ""
            val, missing = expand(raw, stage_env(df, s, i)) if "$" in raw else (raw, [])
            if missing:
                wd = None
            elif val.startswith("/"):
                wd = posixpath.normpath(val)
            elif wd is not None:
                wd = posixpath.normpath(posixpath.join(wd, val))
        return wd

    return ctx.cached(f"pip_workdir:{ins.start}", compute)


# ---------------------------------------------------------------------------
# requirement files named by -r / -c


@record
class ReqFile:
    """A requirements or constraints file named on a pip command line, as far as it was found."""

    written: str  # the path as written (resolved)
    path: str | None  # where it was read: a path relative to the document's directory
    why: str  # why it was not found ("" when found)
    files: list[tuple[str, RequirementsFile]] = field(
        default_factory=list
    )  # the file, then includes
    missing_includes: list[str] = field(default_factory=list)
    generated_by: str = ""  # an earlier command wrote it with hashes (`uv export -o FILE`)

    @property
    def found(self) -> bool:
        """Whether the file was read."""
        return self.path is not None

    @property
    def requirements(self) -> list[Requirement]:
        """The requirements of the file and of the files it includes."""
        return [r for _p, f in self.files for r in f.requirements]

    @property
    def require_hashes(self) -> bool:
        """Whether one of the files says `--require-hashes`."""
        return any(f.require_hashes for _p, f in self.files)


def read_file(ctx: RuleContext, call: PipCall, written: str, follow: bool = True) -> ReqFile:
    """Find, read and parse a `-r`/`-c` file of a pip command (nested `-r` files followed)."""
    at = call.unit.instruction.start if call.unit.instruction else -1
    key = f"pip_reqfile:{at}:{call.cwd}:{written}:{sorted(call.generated)}"
    return ctx.cached(key, lambda: _read_file(ctx, call, written, follow))


def _read_file(ctx: RuleContext, call: PipCall, written: str, follow: bool) -> ReqFile:
    key = call.path_key(written)
    if key is not None and key in call.generated:
        what = call.generated[key]
        return ReqFile(
            written, None, f"it is written by `{what}` during the build", generated_by=what
        )
    if UNKNOWN in written:
        return ReqFile(written, None, "its name comes from a variable that cannot be known here")
    if re.match(r"^[a-z][a-z0-9+.-]*://", written, re.IGNORECASE):
        return ReqFile(written, None, "it is a URL, which hardpin does not download")
    located = locate(ctx, call, written)
    if isinstance(located, str):
        return ReqFile(written, None, located)
    relpath, text = located
    result = ReqFile(written, relpath, "")
    _add_parsed(ctx, result, relpath, text, follow, depth=0)
    return result


def _add_parsed(
    ctx: RuleContext, result: ReqFile, relpath: str, text: str, follow: bool, depth: int
) -> None:
    from hardpin.parsers.requirements import parse

    parsed = ctx.cached(f"pip_parsed:{relpath}", lambda: parse(text, strict=False))
    result.files.append((relpath, parsed))
    if not follow or depth > 5:
        return
    for inc in parsed.includes:
        if inc.kind != "requirement":
            continue
        p = inc.path
        if re.match(r"^[a-z][a-z0-9+.-]*://", p, re.IGNORECASE) or "${" in p:
            result.missing_includes.append(p)
            continue
        nested = (
            p
            if p.startswith("/")
            else posixpath.normpath(posixpath.join(posixpath.dirname(relpath), p))
        )
        if any(nested == f for f, _ in result.files):
            continue
        body = ctx.read_related(nested)
        if body is None:
            result.missing_includes.append(p)
            continue
        _add_parsed(ctx, result, nested, body, follow, depth + 1)


def _context_base(ctx: RuleContext) -> str:
    value = ctx.settings.get("build-context")
    return value if isinstance(value, str) and value else ""


def locate(ctx: RuleContext, call: PipCall, written: str) -> tuple[str, str] | str:
    """(path relative to the document's directory, text) of a file a command names, or why not."""
    if ctx.kind != "dockerfile":
        if written.startswith("/"):
            return "it is an absolute path outside the script's directory"
        if call.cwd is None:
            return "the script changes to a directory hardpin cannot follow"
        rel = (
            posixpath.normpath(posixpath.join(call.cwd, written))
            if call.cwd
            else posixpath.normpath(written)
        )
        text = ctx.read_related(rel)
        if text is None:
            return f"{rel} does not exist next to the script"
        return rel, text
    unit = call.unit
    if unit.stage is None or unit.instruction is None:
        return "it is not in a RUN"
    if unit.instruction.inner is not None:
        return "the RUN is an ONBUILD trigger, which runs with the build context of a later image"
    if written.startswith("/"):
        image_path = posixpath.normpath(written)
    elif call.cwd is None:
        return "the working directory is set from a variable"
    else:
        image_path = posixpath.normpath(posixpath.join(call.cwd, written))
    return _from_context(ctx, unit.stage, unit.instruction, image_path)


def context_file(
    ctx: RuleContext, st: Stage, ins: Instruction, image_path: str
) -> tuple[str, str] | str:
    """The build-context file (path relative to the document's directory, text) that the
    COPY/ADD instructions or bind mounts before `ins` put at `image_path`, or why none is
    known: "no COPY or ADD brings …" when nothing could, "no COPY/ADD source … exists in
    the build context" when a COPY could but the context holds no such file, "it is copied
    from another stage …"."""
    return _from_context(ctx, st, ins, image_path)


def _from_context(
    ctx: RuleContext, st: Stage, ins: Instruction, image_path: str
) -> tuple[str, str] | str:
    """Map an image path back to the build context through RUN --mount and COPY/ADD."""
    from hardpin.parsers.dockerfile import expand, stage_env

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    base = _context_base(ctx)

    def read(cand: str) -> tuple[str, str] | None:
        rel = posixpath.normpath(posixpath.join(base, cand)) if base else posixpath.normpath(cand)
        if rel.startswith("/"):
            return None
        text = ctx.read_related(rel)
        return (rel, text) if text is not None else None

    # bind mounts of the RUN itself
    run_wd = workdir(ctx, st, ins)
    for target, source in _bind_mounts(ins):
        if not target.startswith("/"):
            if run_wd is None:
                continue
            target = posixpath.normpath(posixpath.join(run_wd, target))
        for cand in _candidates([source], target, image_path, dest_may_be_file=True):
            got = read(cand)
            if got is not None:
                return got
    covered = False
    for s, i in reversed(_instructions_before(df, st, ins)):
        if i.keyword not in ("COPY", "ADD"):
            continue
        parts = _copy_parts(i)
        if parts is None:
            continue
        from_other, sources, dest, heredocs = parts
        env = stage_env(df, s, i) if "$" in dest or any("$" in x for x in sources) else {}
        if "$" in dest:
            dest, missing = expand(dest, env)
            if missing:
                continue
        wd = workdir(ctx, s, i)
        if not dest.startswith("/"):
            if wd is None:
                continue
            dest_abs = posixpath.normpath(posixpath.join(wd, dest))
        else:
            dest_abs = posixpath.normpath(dest)
        dir_dest = (
            dest.endswith("/")
            or dest in (".", "..")
            or len(sources) > 1
            or any(_glob(x) for x in sources)
        )
        if heredocs:
            if dest_abs == image_path and len(sources) == 1 and sources[0] in heredocs:
                return f"<heredoc in line {i.line}>", heredocs[sources[0]]
            continue
        srcs = []
        for x in sources:
            if "$" in x:
                x, missing = expand(x, env)
                if missing:
                    continue
            if i.keyword == "ADD" and (
                re.match(r"^[a-z]+://", x, re.IGNORECASE) or x.startswith("git@")
            ):
                continue
            srcs.append(x)
        if not srcs:
            continue
        cands = _candidates(srcs, dest_abs, image_path, dest_may_be_file=not dir_dest)
        if not cands:
            continue
        if from_other:
            if any(
                posixpath.basename(image_path) == posixpath.basename(x.rstrip("/")) for x in srcs
            ):
                return f"it is copied from another stage or image in line {i.line}"
            continue
        covered = True
        for cand in cands:
            got = read(cand)
            if got is not None:
                return got
    if covered:
        return f"no COPY/ADD source for {image_path} exists in the build context"
    return f"no COPY or ADD brings {image_path} into the image"


def _glob(p: str) -> bool:
    return any(c in p for c in "*?[")


def _candidates(sources: list[str], dest: str, target: str, *, dest_may_be_file: bool) -> list[str]:
    """Context paths that a COPY of `sources` to `dest` would place at `target`."""
    import fnmatch

    out: list[str] = []
    for raw in sources:
        src = raw.lstrip("/")
        while src.startswith("./"):
            src = src[2:]
        src = posixpath.normpath(src) if src else "."
        if src == ".":
            src = ""
        if target == dest and dest_may_be_file and not _glob(src) and src:
            out.append(src)
        if target == dest or not target.startswith(dest.rstrip("/") + "/"):
            continue
        rel = target[len(dest.rstrip("/")) + 1 :]
        if _glob(src):
            d, pat = posixpath.split(src)
            if "/" not in rel and not _glob(d) and fnmatch.fnmatchcase(rel, pat):
                out.append(posixpath.join(d, rel) if d else rel)
            continue
        out.append(posixpath.join(src, rel) if src else rel)  # src is a directory
        if "/" not in rel and src and posixpath.basename(src) == rel:
            out.append(src)  # a file copied into the directory
    seen: list[str] = []
    for c in out:
        if c not in seen:
            seen.append(c)
    return seen


def _copy_parts(i: Instruction) -> tuple[bool, list[str], str, dict[str, str]] | None:
    """(from another stage?, sources, destination, heredoc bodies by name) of a COPY/ADD."""
    flags, rest = i.flags()
    from_other = any(f.name == "from" for f in flags)
    if not rest:
        return None
    values = [w.value for w in rest]
    if rest[0].value.startswith("["):
        from hardpin.parsers.dockerfile import json_string_array

        arr = json_string_array(i.args[rest[0].index :])
        if arr is not None:
            values = arr
    if len(values) < 2:
        return None
    heredocs: dict[str, str] = {}
    for h in i.heredocs:
        heredocs[h.name] = h.body
    srcs = []
    for v in values[:-1]:
        m = re.match(r"^<<-?[\"']?([A-Za-z0-9_.-]+)[\"']?$", v)
        if m and heredocs:
            srcs.append(m.group(1))
        else:
            srcs.append(v)
    used = {s: heredocs[s] for s in srcs if s in heredocs}
    return from_other, srcs, values[-1], used


def _bind_mounts(ins: Instruction) -> list[tuple[str, str]]:
    """(target, source) of `RUN --mount=type=bind` from the build context."""
    out: list[tuple[str, str]] = []
    for f in ins.flag_prefix()[0]:
        if f.name != "mount" or not f.value:
            continue
        kv: dict[str, str] = {}
        for part in f.value.split(","):
            k, eq, v = part.partition("=")
            kv[k.strip().lower()] = v.strip().strip("\"'") if eq else "true"
        if kv.get("type", "bind") != "bind" or "from" in kv:
            continue
        target = kv.get("target") or kv.get("dst") or kv.get("destination")
        if not target:
            continue
        source = kv.get("source") or kv.get("src") or "."
        out.append((posixpath.normpath(target), source))
    return out


# ---------------------------------------------------------------------------
# what -r / -c files pin


def pinned_by_files(ctx: RuleContext, call: PipCall) -> tuple[set[str], bool]:
    """(canonical names pinned with `==` by the command's -r and -c files, whether some
    constraints file could not be read)."""
    names: set[str] = set()
    unknown = False
    constraint_files = [o.value for o in call.values("--constraint", "--constraints", "--override",
                                                    "--overrides") if o.value is not None]  # fmt: skip
    for env_name in ("PIP_CONSTRAINT", "UV_CONSTRAINT"):
        v = call.env.get(env_name)
        if v:
            constraint_files.extend(v.split())
    for path in constraint_files:
        rf = read_file(ctx, call, path)
        if not rf.found:
            unknown = True
            continue
        for r in rf.requirements:
            if r.name and r.pinned:
                names.add(canonical_name(r.name))
    for o in call.values("--requirement", "--requirements"):
        if o.value is None:
            continue
        rf = read_file(ctx, call, o.value)
        for r in rf.requirements:
            if r.name and r.pinned:
                names.add(canonical_name(r.name))
    return names, unknown


def vcs_problem(url: str) -> str | None:
    """Why a VCS URL does not name an immutable revision, or None when it does."""
    scheme = (url_scheme(url) or "").partition("+")[0]
    ref = git_ref(url)
    shown = redact(url.split("#", 1)[0])
    if scheme != "git":
        names = {"hg": "Mercurial", "svn": "Subversion", "bzr": "Bazaar"}
        vcs = names.get(scheme, scheme)
        return (
            f"`{shown}` is a {vcs} URL: hardpin (like OpenSSF Scorecard) accepts only a full git "
            f"commit hash as an immutable reference; install a release archive with #sha256= instead"
        )
    if ref is None:
        return f"`{shown}` names no revision, so it installs whatever the default branch holds at build time"
    if immutable_commit(ref):
        return None
    if _SHORT_HEX.match(ref):
        return f"`{shown}` uses an abbreviated commit `{ref}`: write the full 40-character hash"
    return f"`{shown}` pins `@{ref}`, a branch or tag that can be moved: use the full commit hash"


def url_problem(url: str) -> str | None:
    """Why an archive URL is not verified, or None when it carries a strong hash."""
    if url_hash(url) is not None or archive_at_commit(url.split("#", 1)[0]):
        return None
    shown = redact(url.split("#", 1)[0])
    frag = url.partition("#")[2].lower()
    if re.search(r"(?:^|&)(?:md5|sha1|sha224)=", frag):
        return f"`{shown}` is checked only with a weak hash: use #sha256=<digest>"
    return f"`{shown}` is downloaded without a checksum: append #sha256=<digest> to the URL"
