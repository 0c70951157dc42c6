"""A pre-dispatch for the common command lines, without argparse.

`hardpin check PATH ...` (what pre-commit and editors run, with `--fix` for the
fixing hook) is most of hardpin's invocations, and building the full argparse
parser (every subcommand, every option, the help formatter and `shutil` it
pulls in) costs more than linting one file. `parse_check` reads exactly that
shape: `check`, then paths that do not start with `-` and the flags in
`_FLAGS`, each at most once. It returns the namespace argparse would return for
the same argv, or None for anything else (any other option, `--opt=value`,
abbreviations, `-h`, `--`, another subcommand), which the caller then hands to
argparse, so every error message and every unusual spelling stays argparse's.
A test compares the two namespaces on many command lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

# `hardpin check` options argparse gives when they are not on the command line
CHECK_DEFAULTS: dict[str, object] = {
    "command": "check",
    "paths": [],
    "format": "text",
    "fail_on": None,
    "select": None,
    "extend_select": None,
    "ignore": None,
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
    "online": False,
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
    "--offline": "offline",
    "--refresh": "refresh",
    "--verbose": "verbose",
}


def parse_check(argv: Sequence[str]) -> SimpleNamespace | None:
    """The namespace of `hardpin check [FLAG|PATH ...]`, or None for any other shape."""
    if not argv or argv[0] != "check":
        return None
    values = dict(CHECK_DEFAULTS)
    paths: list[str] = []
    seen: set[str] = set()
    paths_done = False  # argparse takes the paths as one group: `a --fix b` is an error
    for arg in argv[1:]:
        if arg.startswith("-"):
            dest = _FLAGS.get(arg)
            if dest is None or dest in seen:
                return None
            seen.add(dest)
            values[dest] = True
            paths_done = bool(paths)
        elif paths_done:
            return None
        else:
            paths.append(arg)
    values["paths"] = paths
    return SimpleNamespace(**values)
