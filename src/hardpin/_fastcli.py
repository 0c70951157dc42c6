"""A pre-dispatch for the common command lines, without argparse.

`hardpin check PATH ...` (what pre-commit and editors run, with `--fix` for the
fixing hook) is most of hardpin's invocations, and building the full argparse
parser (every subcommand, every option, the help formatter and `shutil` it
pulls in) costs more than linting one file. `parse_check` reads exactly that
shape: `check`, then paths that do not start with `-`, the flags in `_FLAGS`
and the options in `_VALUED` followed by their value as the next argument, each
at most once. It returns the namespace argparse would return for the same argv,
or None for anything else (any other option, `--opt=value`, abbreviations,
`-h`, `--`, a value argparse would refuse, another subcommand), which the
caller then hands to argparse, so every error message and every unusual
spelling stays argparse's. A test compares the two namespaces on many command
lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import SimpleNamespace

# `hardpin check` options argparse gives when they are not on the command line
CHECK_DEFAULTS: dict[str, object] = {
    "command": "check",
    "paths": [],
    "format": "text",
    "show_source": False,
    "fail_on": None,
    "select": None,
    "extend_select": None,
    "ignore": None,
    "extend_ignore": None,
    "config": None,
    "fix": False,
    "unsafe_fixes": False,
    "diff": False,
    "stdin_filename": None,
    "baseline": None,
    "write_baseline": None,
    "color": "auto",
    "exit_zero": False,
    "jobs": None,
    "verify": False,
    "online": False,
    "sarif_srcroot": False,
    "offline": False,
    "refresh": False,
    "concurrency": None,
    "index_url": None,
    "cache_dir": None,
    "verbose": False,
}

# boolean flags (store_true) the fast path reads: flag -> destination
_FLAGS = {
    "--fix": "fix",
    "--unsafe-fixes": "unsafe_fixes",
    "--diff": "diff",
    "--exit-zero": "exit_zero",
    "--online": "online",
    "--show-source": "show_source",
    "--sarif-srcroot": "sarif_srcroot",
    "--offline": "offline",
    "--refresh": "refresh",
    "--verbose": "verbose",
}


def _codes(value: str) -> tuple[str, ...]:
    # as cli._csv: comma-separated codes, upper-cased, blanks dropped
    return tuple(v.strip().upper() for v in value.split(",") if v.strip())


# as cli.OUTPUT_FORMATS
_FORMATS = ("text", "concise", "full", "json", "sarif", "github")

# options with a value the fast path reads: option -> (destination, conversion or
# None to keep the text, allowed values or None)
_VALUED: dict[str, tuple[str, Callable[[str], object] | None, tuple[str, ...] | None]] = {
    "--format": ("format", None, _FORMATS),
    "--output-format": ("format", None, _FORMATS),
    "--select": ("select", _codes, None),
    "--extend-select": ("extend_select", _codes, None),
    "--ignore": ("ignore", _codes, None),
    "--extend-ignore": ("extend_ignore", _codes, None),
    "--config": ("config", None, None),
    "--baseline": ("baseline", None, None),
    "--write-baseline": ("write_baseline", None, None),
    "--color": ("color", None, ("auto", "always", "never")),
    "--index-url": ("index_url", None, None),
    "--cache-dir": ("cache_dir", None, None),
}


def parse_check(argv: Sequence[str]) -> SimpleNamespace | None:
    """The namespace of `hardpin check [OPTION|PATH ...]`, or None for any other shape."""
    if not argv or argv[0] != "check":
        return None
    values = dict(CHECK_DEFAULTS)
    paths: list[str] = []
    seen: set[str] = set()
    paths_done = False  # argparse takes the paths as one group: `a --fix b` is an error
    args = iter(argv[1:])
    for arg in args:
        if arg.startswith("-"):
            if arg in _FLAGS:
                dest = _FLAGS[arg]
                value: object = True
            elif arg in _VALUED:
                dest, convert, allowed = _VALUED[arg]
                text = next(args, None)
                # a missing value, one that looks like an option, or one argparse would
                # refuse: argparse says what is wrong
                if text is None or text.startswith("-") or not text:
                    return None
                if allowed is not None and text not in allowed:
                    return None
                value = convert(text) if convert is not None else text
            else:
                return None
            if dest in seen:
                return None
            seen.add(dest)
            values[dest] = value
            paths_done = bool(paths)
        elif paths_done:
            return None
        else:
            paths.append(arg)
    values["paths"] = paths
    return SimpleNamespace(**values)
