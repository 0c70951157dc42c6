"""Configuration: `.hardpin.toml`, `hardpin.toml` or `[tool.hardpin]` in pyproject.toml, plus
command-line options.

The nearest directory holding one of them wins (no merging across directories, as
ruff); within one directory `.hardpin.toml` beats `hardpin.toml`, which beats a
pyproject.toml with a `[tool.hardpin]` table.

Rule selection follows ruff's: the configuration file is one layer (`select`,
`extend-select`, `ignore`) and the command line another (`--select`,
`--extend-select`, `--ignore`, `--extend-ignore`), applied in that order. Within a
layer the most specific selector matching a code decides (`HP401` beats `HP4`, which
beats `HP`), and at equal specificity an ignore beats a select. A layer with a
`select` replaces what the layers before it enabled; a layer without one only
adjusts it. So `--select HP209` turns HP209 on even when the configuration ignores
it, and `--extend-select HP209` does too (it is more specific than nothing), while a
configuration's `ignore` still applies under `--extend-select HP2`.
`per-file-ignores` apply last, to whatever is enabled.

Every configuration key is listed in KNOWN_KEYS with the validator that checks and
normalises its value. Keys that are not fields of Settings are kept in
`Settings.extra` and read with `Settings.get(key)`, so a feature that needs a new
option adds one entry to KNOWN_KEYS (and, if it wants, a helper validator here).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fnmatch import fnmatchcase
from functools import lru_cache

from hardpin._lazy import lazy_re
from hardpin._record import record, replace
from hardpin.files import parse_size
from hardpin.model import HardpinError, Severity

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from pathlib import Path

DEFAULT_EXCLUDE: tuple[str, ...] = ("vendor", "third_party", "node_modules", ".git")
CONFIG_FILE = ".hardpin.toml"
# config file names in the order they win within one directory (pyproject.toml last,
# and only when it has a [tool.hardpin] table)
CONFIG_FILES = (CONFIG_FILE, "hardpin.toml")
PYPROJECT = "pyproject.toml"

_CODE_RE = lazy_re(r"HP[0-9]{0,3}\Z")
# what a ruff user writes for every rule
ALL = "ALL"
_SEVERITIES = {s.value: s for s in Severity}


# --------------------------------------------------------------------------- validators
# A validator takes the raw TOML value and returns the normalised (hashable) value, or
# raises ValueError with a message that says what is wrong; the loader prefixes it with
# the file and the key.


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def check_code(value: object) -> str:
    """A rule code or prefix that names at least one rule: HP followed by 0-3 digits
    (HP, HP1, HP10, HP101), or ALL (the same as HP)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a rule code or prefix, got {_describe(value)}")
    if value == ALL:
        return "HP"
    if not _CODE_RE.match(value):
        raise ValueError(
            f"{value!r} is not a rule code or prefix (expected HP followed by up to 3 digits, "
            f"e.g. HP1 or HP101)"
        )
    from hardpin.registry import CODES

    if not any(code.startswith(value) for code in CODES):
        what = "rule code" if len(value) == 5 else "prefix"
        raise ValueError(f"unknown {what} {value!r}: no rule has it (`hardpin rules` lists them)")
    return value


def code_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected an array of rule codes, got {_describe(value)}")
    return tuple(check_code(v) for v in value)


def str_list(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"expected an array of strings, got {_describe(value)}")
    out = []
    for v in value:
        if not isinstance(v, str):
            raise ValueError(f"expected an array of strings, found {_describe(v)}")
        if not v:
            raise ValueError("empty string in array")
        out.append(v)
    return tuple(out)


def severity_value(value: object) -> Severity:
    if not isinstance(value, str):
        raise ValueError(f'expected "error", "warning" or "info", got {_describe(value)}')
    sev = _SEVERITIES.get(value)
    if sev is None:
        raise ValueError(f'unknown severity {value!r} (expected "error", "warning" or "info")')
    return sev


def positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected a whole number of at least 1, got {_describe(value)}")
    if value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value}")
    return value


def positive_seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError(f"expected a number of seconds above 0, got {_describe(value)}")
    return float(value)


def str_value(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {_describe(value)}")
    return value


def _per_file_ignores(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table of glob = [codes], got {_describe(value)}")
    out = []
    for glob, codes in value.items():
        if not glob.lstrip("!"):
            raise ValueError("empty glob")
        try:
            out.append((glob, code_list(codes)))
        except ValueError as exc:
            raise ValueError(f"{glob!r}: {exc}") from None
    return tuple(out)


def _severity_table(value: object) -> tuple[tuple[str, Severity], ...]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table of code = severity, got {_describe(value)}")
    out = []
    for code, sev in value.items():
        try:
            out.append((check_code(code), severity_value(sev)))
        except ValueError as exc:
            raise ValueError(f"{code!r}: {exc}") from None
    return tuple(out)


def _table(value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        raise ValueError(f"expected a table, got {_describe(value)}")
    return value


Validator = Callable[[object], object]

# Configuration key -> validator. Keys that name a Settings field (see _FIELDS) set it;
# the others are stored in Settings.extra for the feature that owns them.
KNOWN_KEYS: dict[str, Validator] = {
    "select": code_list,
    "extend-select": code_list,
    "ignore": code_list,
    "per-file-ignores": _per_file_ignores,
    "extend-per-file-ignores": _per_file_ignores,
    "exclude": str_list,
    "extend-exclude": str_list,
    "fail-on": severity_value,
    "allowed-registries": str_list,
    # base images that run unprivileged (HP401): replaces, or adds to, the default list
    "nonroot-images": str_list,
    "extend-nonroot-images": str_list,
    "severity": _severity_table,
    # Dockerfile build context, relative to the Dockerfile's directory (HP202 reads COPY'd files there)
    "build-context": str_value,
    # which files are pip requirements files (HP3xx); globs without `/` match the file name,
    # globs with `/` its last path components (see discovery.DEFAULT_REQUIREMENTS_GLOBS)
    "requirements-globs": str_list,
    # registries reached over plain HTTP (host or host:port); loopback only when listed
    "insecure-registries": str_list,
    # concurrent network lookups (registry, package index)
    "concurrency": positive_int,
    # CA certificates (PEM) that registries' and indexes' TLS certificates are checked
    # against instead of the system's; relative to the configuration file's directory
    "ca-file": str_value,
    # seconds one network request may take in all (retries, redirects, the body)
    "request-timeout": positive_seconds,
    # where actions' repositories live (GitHub Enterprise: https://github.example.com);
    # HP501 resolves `owner/repo@tag` with `git ls-remote <github-url>/owner/repo`
    "github-url": str_value,
    # larger files are skipped with a note (bytes, or "4 MiB"; see hardpin.files)
    "max-file-size": parse_size,
    # `hardpin verify` / `check --verify` policies (read by hardpin.verify.policy)
    "verify": _table,
}

_FIELDS: dict[str, str] = {
    "select": "select",
    "extend-select": "extend_select",
    "ignore": "ignore",
    "per-file-ignores": "per_file_ignores",
    "extend-per-file-ignores": "extend_per_file_ignores",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "fail-on": "fail_on",
    "allowed-registries": "allowed_registries",
    "severity": "severity",
}


# --------------------------------------------------------------------------- matching


def _longest(code: str, prefixes: tuple[str, ...]) -> int:
    """Length of the longest prefix in `prefixes` that `code` starts with; -1 if none."""
    best = -1
    for p in prefixes:
        if len(p) > best and code.startswith(p):
            best = len(p)
    return best


def _decide(code: str, selects: tuple[str, ...], ignores: tuple[str, ...]) -> bool | None:
    """One layer's verdict on `code`: the most specific (longest) matching selector
    decides, an ignore winning a tie; None when no selector of the layer matches."""
    s, i = _longest(code, selects), _longest(code, ignores)
    if s < 0 and i < 0:
        return None
    return s > i


def _selected(
    code: str,
    layers: tuple[tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]], ...],
) -> bool:
    """Whether `code` is enabled after the (select, extend-select, ignore) layers, in
    order, as ruff resolves them (see the module docstring)."""
    on = True  # the default selection: every rule
    carried: tuple[str, ...] = ()
    for select, extend, ignore in layers:
        verdict = _decide(code, (select or ()) + extend, ignore + carried)
        carried = ()
        if select is not None:
            on = bool(verdict)
            if not select and not extend and ignore:
                # `select = []` with an ignore: ruff hands the ignore to the next layer
                carried = ignore
        elif verdict is not None:
            on = verdict
    return on


def _norm_glob(pattern: str) -> str:
    pattern = pattern.replace("\\", "/") if os.sep == "\\" else pattern
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern


@lru_cache(maxsize=256)
def _split_excludes(patterns: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(component patterns, path patterns): a pattern with a `/` (other than a trailing
    one) is matched against the path from the root; the others against each component."""
    names: list[str] = []
    paths: list[str] = []
    for raw in patterns:
        p = _norm_glob(raw).rstrip("/")
        if not p:
            continue
        if "/" in p:
            paths.append(p.lstrip("/"))
        else:
            names.append(p)
    return tuple(names), tuple(paths)


@record(frozen=True)
class Settings:
    select: tuple[str, ...] = ("HP",)
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    extend_per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # the command line's layer (see the module docstring); None: no --select
    cli_select: tuple[str, ...] | None = None
    cli_extend_select: tuple[str, ...] = ()
    cli_ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    fail_on: Severity = Severity.WARNING
    allowed_registries: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    root: str = "."
    config_path: str | None = None
    extra: tuple[tuple[str, object], ...] = ()

    # ---- paths

    def relative(self, path: str | os.PathLike[str]) -> str:
        """`path` relative to `root`, with `/` separators.

        An absolute path is made relative to root. A relative path is taken relative to
        the current directory (as the command line names files) when that puts it under
        root, else as already relative to root.
        """
        s = os.fspath(path)
        root = os.path.abspath(self.root)
        if os.path.isabs(s):
            rel = _rel_to(os.path.normpath(s), root)
        else:
            rel = _rel_to(os.path.abspath(s), root)
            if rel == ".." or rel.startswith(".." + os.sep):
                rel = os.path.normpath(s)
        return rel.replace(os.sep, "/") if os.sep != "/" else rel

    def is_excluded(self, path: str | os.PathLike[str]) -> bool:
        """True when a component of `path` matches an exclude pattern without `/`, or the
        path (or one of its parent directories) matches a pattern with `/`."""
        names, paths = _split_excludes(self.exclude + self.extend_exclude)
        rel = self.relative(path)
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        outside = bool(parts) and parts[0] == ".."
        parts = [p for p in parts if p != ".."]
        for part in parts:
            for pat in names:
                if fnmatchcase(part, pat):
                    return True
        if paths and not outside:
            prefix = ""
            for part in parts:
                prefix = f"{prefix}/{part}" if prefix else part
                for pat in paths:
                    if fnmatchcase(prefix, pat):
                        return True
        return False

    def excludes_entry(self, rel: str) -> bool:
        """Exclusion of one directory entry met while walking (its parents were already
        checked): its last component, or its whole root-relative path `rel` for patterns
        with `/`."""
        names, paths = _split_excludes(self.exclude + self.extend_exclude)
        name = rel.rsplit("/", 1)[-1]
        for pat in names:
            if fnmatchcase(name, pat):
                return True
        if paths and not rel.startswith("../") and rel != "..":
            for pat in paths:
                if fnmatchcase(rel, pat):
                    return True
        return False

    # ---- rules

    def is_enabled(self, code: str, path: str | os.PathLike[str] | None = None) -> bool:
        """Whether rule `code` runs (for the file `path`, when given: per-file-ignores)."""
        # verdicts per code, kept on the instance (a new Settings is a new instance)
        cache: dict[str, bool] | None = self.__dict__.get("_verdicts")
        if cache is None:
            cache = self.__dict__["_verdicts"] = {}
        on = cache.get(code)
        if on is None:
            layers = (
                (self.select, self.extend_select, self.ignore),
                (self.cli_select, self.cli_extend_select, self.cli_ignore),
            )
            on = cache[code] = _selected(code, layers)
        if not on:
            return False
        ignores = self.per_file_ignores + self.extend_per_file_ignores
        if path is not None and ignores:
            rel = self.relative(path)
            base = rel.rsplit("/", 1)[-1]
            for glob, codes in ignores:
                negated = glob.startswith("!")
                g = _norm_glob(glob[1:] if negated else glob)
                matched = fnmatchcase(rel, g) or ("/" not in g and fnmatchcase(base, g))
                if matched is not negated and _longest(code, codes) >= 0:
                    return False
        return True

    def severity_for(self, code: str, default: Severity) -> Severity:
        """The configured severity for `code` (the longest matching code or prefix in
        `severity`), else `default`."""
        best, found = -1, default
        for prefix, sev in self.severity:
            if len(prefix) > best and code.startswith(prefix):
                best, found = len(prefix), sev
        return found

    def get(self, key: str, default: object = None) -> object:
        """The value of a configuration key stored in `extra` (kebab-case name)."""
        key = key.replace("_", "-")
        for k, v in self.extra:
            if k == key:
                return v
        return default


def _rel_to(abs_path: str, root: str) -> str:
    if abs_path == root:
        return "."
    if root.endswith(os.sep):
        if abs_path.startswith(root):
            return abs_path[len(root) :]
    elif abs_path.startswith(root + os.sep):
        return abs_path[len(root) + 1 :]
    try:
        return os.path.relpath(abs_path, root)
    except ValueError:  # another drive on Windows
        return abs_path


@record(frozen=True)
class Overrides:
    """Options given on the command line; None means "not given"."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] | None = None
    fail_on: Severity | None = None
    extend_ignore: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("select", "extend_select", "ignore", "extend_ignore"):
            v = getattr(self, name)
            if v is not None and not isinstance(v, tuple):
                object.__setattr__(self, name, tuple(v))


# --------------------------------------------------------------------------- loading


def _display(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _read_bytes(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise HardpinError(f"{_display(path)}: cannot read: {exc.strerror or exc}") from exc


# The plain subset of TOML a `.hardpin.toml` is usually written in, read without
# importing tomllib (a fifth of a one-file check's start-up): `key = value` lines with
# bare keys, values that are basic strings without escapes, literal strings, decimal
# integers, booleans, or one-line arrays of those; `[table]` headers of bare keys;
# comments and blank lines. Any other line (escapes, floats, dates, inline tables,
# multi-line values, dotted or quoted keys, arrays of tables, a repeated key or
# table) sends the whole file to tomllib, which decides; tests compare the two.
_TOML_FREE = r"[^\x00-\x08\x0a-\x1f\x7f"
_TOML_SCALAR = rf'"{_TOML_FREE}"\\]*"|\'{_TOML_FREE}\']*\'|true(?![\w-])|false(?![\w-])|0(?![\w-])|-?[1-9][0-9]*(?![\w.-])'
_TOML_TOKEN_RE = lazy_re(_TOML_SCALAR)
_TOML_LINE_RE = lazy_re(
    rf"[ \t]*(?:(?P<key>[A-Za-z0-9_-]+)[ \t]*=[ \t]*(?P<value>(?:{_TOML_SCALAR})"
    rf"|\[[ \t]*(?:(?:{_TOML_SCALAR})[ \t]*(?:,[ \t]*(?:{_TOML_SCALAR})[ \t]*)*,?[ \t]*)?\])"
    r"|\[[ \t]*(?P<table>[A-Za-z0-9_-]+(?:[ \t]*\.[ \t]*[A-Za-z0-9_-]+)*)[ \t]*\])?"
    rf"[ \t]*(?:#{_TOML_FREE}]*)?"
)


def _toml_scalar(token: str) -> object:
    if token[0] in "\"'":
        return token[1:-1]
    if token in ("true", "false"):
        return token == "true"
    return int(token)


def simple_toml(text: str) -> dict[str, object] | None:
    """`text` read as TOML when every line is in the plain subset (see above), else
    None (then tomllib must read it)."""
    root: dict[str, object] = {}
    table = root
    defined: set[tuple[str, ...]] = set()
    lines = text.split("\n")
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if line.endswith("\r") and i < last:  # CRLF (a CR anywhere else is an error)
            line = line[:-1]
        m = _TOML_LINE_RE.fullmatch(line)
        if m is None:
            return None
        key, value, header = m.group("key"), m.group("value"), m.group("table")
        if header is not None:
            path = tuple(part.strip() for part in header.split("."))
            if path in defined:
                return None
            defined.add(path)
            table = root
            for part in path:
                nxt = table.setdefault(part, {})
                if not isinstance(nxt, dict):
                    return None
                table = nxt
            continue
        if key is None:
            continue
        if key in table:
            return None
        if value.startswith("["):
            table[key] = [_toml_scalar(t.group()) for t in _TOML_TOKEN_RE.finditer(value)]
        else:
            table[key] = _toml_scalar(value)
    return root


def _parse_toml(path: str, raw: bytes) -> dict[str, object]:
    shown = _display(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HardpinError(f"{shown}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    simple = simple_toml(text)
    if simple is not None:
        return simple
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HardpinError(f"{shown}: invalid TOML: {exc}") from exc


def _hardpin_table(path: str, data: dict[str, object]) -> dict[str, object] | None:
    """The hardpin table of a parsed config file: the whole `.hardpin.toml` (or any file
    not named pyproject.toml), or `[tool.hardpin]` of a pyproject.toml (None if absent)."""
    if os.path.basename(path) != PYPROJECT:
        tool = data.get("tool")
        if isinstance(tool, dict) and "hardpin" in tool:
            name = os.path.basename(path)
            raise HardpinError(
                f"{_display(path)}: [tool.hardpin] is the table of pyproject.toml; in {name} "
                f"write the settings at the top level, without the [tool.hardpin] header"
            )
        return data
    tool = data.get("tool")
    if not isinstance(tool, dict) or "hardpin" not in tool:
        return None
    table = tool["hardpin"]
    if not isinstance(table, dict):
        raise HardpinError(
            f"{_display(path)}: [tool.hardpin] must be a table, not {_describe(table)}"
        )
    return table


def _has_hardpin_table(path: str) -> bool:
    raw = _read_bytes(path)
    if b"hardpin" not in raw:  # no [tool.hardpin] in any TOML spelling: skip parsing
        return False
    return _hardpin_table(path, _parse_toml(path, raw)) is not None


_NEAREST: dict[str, str | None] = {}


def _nearest_config(directory: str) -> str | None:
    """Absolute path of the config file nearest to absolute `directory` (cached per dir)."""
    seen: list[str] = []
    d = directory
    found: str | None = None
    while True:
        if d in _NEAREST:
            found = _NEAREST[d]
            break
        seen.append(d)
        for name in CONFIG_FILES:
            candidate = os.path.join(d, name)
            if os.path.isfile(candidate):
                found = candidate
                break
        if found is not None:
            break
        candidate = os.path.join(d, PYPROJECT)
        if os.path.isfile(candidate) and _has_hardpin_table(candidate):
            found = candidate
            break
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    for s in seen:
        _NEAREST[s] = found
    return found


def find_config(start: str | Path) -> Path | None:
    """The nearest `.hardpin.toml`, `hardpin.toml`, or `pyproject.toml` with a
    `[tool.hardpin]` table, in `start` (a directory, or a file's directory) or any
    directory above it; within one directory in that order."""
    s = os.path.abspath(start)
    if not os.path.isdir(s):
        s = os.path.dirname(s)
    found = _nearest_config(s)
    if found is None:
        return None
    from pathlib import Path

    return Path(found)


def _check_override(flag: str, codes: tuple[str, ...]) -> tuple[str, ...]:
    out = []
    for c in codes:
        try:
            out.append(check_code(c))
        except ValueError as exc:
            raise HardpinError(f"{flag}: {exc}") from None
    return tuple(out)


def _apply(settings: Settings, overrides: Overrides | None) -> Settings:
    """The command line's layer on top of the configuration (see the module docstring)."""
    if overrides is None:
        return settings

    changes: dict[str, object] = {}
    if overrides.select is not None:
        changes["cli_select"] = _check_override("--select", overrides.select)
    if overrides.extend_select is not None:
        changes["cli_extend_select"] = _check_override("--extend-select", overrides.extend_select)
    ignore: tuple[str, ...] = ()
    if overrides.ignore is not None:
        ignore += _check_override("--ignore", overrides.ignore)
    if overrides.extend_ignore is not None:
        ignore += _check_override("--extend-ignore", overrides.extend_ignore)
    if ignore:
        changes["cli_ignore"] = ignore
    if overrides.fail_on is not None:
        changes["fail_on"] = Severity(overrides.fail_on)
    return replace(settings, **changes) if changes else settings


def _load_file(path: str) -> Settings:
    table = _hardpin_table(path, _parse_toml(path, _read_bytes(path)))
    shown = _display(path)
    where = f"{shown}: [tool.hardpin]" if os.path.basename(path) == PYPROJECT else f"{shown}:"
    values: dict[str, object] = {}
    extra: list[tuple[str, object]] = []
    for key, raw in (table or {}).items():
        validator = KNOWN_KEYS.get(key)
        if validator is None:
            import difflib

            close = difflib.get_close_matches(key, list(KNOWN_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise HardpinError(f"{where} unknown key {key!r}{hint}")
        try:
            value = validator(raw)
        except ValueError as exc:
            raise HardpinError(f"{where} {key}: {exc}") from None
        if key in _FIELDS:
            values[_FIELDS[key]] = value
        else:
            extra.append((key, value))
    return Settings(
        root=os.path.dirname(path),
        config_path=path,
        extra=tuple(sorted(extra, key=lambda kv: kv[0])),
        **values,  # type: ignore[arg-type]
    )


def load_settings(config: str | Path | None, *, overrides: Overrides | None = None) -> Settings:
    """Settings from the config file `config` (defaults when None), then `overrides`.

    A file named pyproject.toml is read from its `[tool.hardpin]` table (defaults when it
    has none); any other file from its top-level keys. `root` is the file's directory.
    """
    if config is None:
        return _apply(Settings(), overrides)
    return _apply(_load_file(os.path.abspath(config)), overrides)


_LOADED: dict[tuple[str | None, Overrides | None], Settings] = {}


def _loaded(config: str | None, overrides: Overrides | None) -> Settings:
    key = (config, overrides)
    s = _LOADED.get(key)
    if s is None:
        s = _LOADED[key] = load_settings(config, overrides=overrides)
    return s


def settings_for(
    path: str | Path, *, config: str | Path | None = None, overrides: Overrides | None = None
) -> Settings:
    """The settings that apply to `path` (a file or a directory): from `config` when
    given, else from the config file nearest to it, else the defaults (root = cwd).
    Cached per directory and config file."""
    if config is not None:
        return _loaded(os.path.abspath(config), overrides)
    p = os.path.abspath(path)
    d = p if os.path.isdir(p) else os.path.dirname(p)
    return _loaded(_nearest_config(d), overrides)


def clear_caches() -> None:
    """Forget parsed config files and config discovery (for long-lived processes, tests)."""
    _NEAREST.clear()
    _LOADED.clear()
