"""Lock a pip-tools input (`requirements.in`) into a hashed requirements file.

`lock` runs a resolver as a subprocess and returns the text of the locked file;
the caller writes it (atomically) or shows a diff. Backends:

* `uv`: `uv pip compile --generate-hashes --index-strategy unsafe-best-match`
  (pip's way of merging the index and the extra indexes);
* `pip-compile`: `pip-compile --generate-hashes --allow-unsafe --strip-extras`;
* `auto`: uv when it is installed, else pip-compile.

Both resolve for the Python running hardpin and give the same pins and hashes
for the same input, with two known exceptions where uv lists fewer hashes than
pip-compile: a version some of whose files the index publishes no hash for
(pip-compile downloads and hashes every file; uv lists only the file it
downloaded), and a version present on several indexes (pip-compile lists the
files of all of them; uv those of the index it took the version from).

What makes the output stable and reproducible:

* the resolver runs in the input's directory with the input's bare name, so
  `-r`/`-c` includes resolve as in pip-compile and `# via -r base.in`
  annotations do not depend on where hardpin was started;
* the existing output file is handed to the resolver (through a temporary copy
  next to it), so pins already locked stay as they are;
* the header names the command to run again (`hardpin lock X.in`, plus `-o`
  for a non-default output), not a temporary path;
* the resolver's config files, pip's and uv's index variables and pip-tools'
  `[tool.pip-tools]` are ignored: the indexes are exactly `index_urls`;
* index options are written by hardpin, identically for both backends, after
  the header: `--index-url` (unless it is the default PyPI) and
  `--extra-index-url` lines, so `pip install -r` and hardpin itself use the
  same indexes later. When any index URL carries credentials none are written
  (a lock file is committed; the user keeps credentials in the environment).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence

from hardpin.model import HardpinError
from hardpin.online.pypi import DEFAULT_INDEX_URL
from hardpin.urls import redact, redact_text, scrub

BACKENDS = ("auto", "uv", "pip-compile")
TIMEOUT = 900.0
INSTALL_HINT = "install one with: pip install 'hardpin[lock]'"

# variables that would add or replace indexes behind the explicit index URLs
_INDEX_VARS = (
    "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_NO_INDEX", "PIP_FIND_LINKS", "PIP_CONSTRAINT",
    "PIP_REQUIREMENT", "PIP_CONFIG_FILE",
    "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_INDEX", "UV_DEFAULT_INDEX", "UV_FIND_LINKS",
    "UV_NO_INDEX", "UV_INDEX_STRATEGY", "UV_CONSTRAINT", "UV_OVERRIDE", "UV_CONFIG_FILE",
    "UV_CUSTOM_COMPILE_COMMAND", "UV_PYTHON", "CUSTOM_COMPILE_COMMAND",
)  # fmt: skip


class LockError(HardpinError):
    """The backend is missing or failed; the message is one line without credentials."""


def _executable(name: str) -> str | None:
    """`name` next to the running Python (an unactivated virtual environment), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which(name)


def find_backend(backend: str = "auto") -> tuple[str, list[str]]:
    """(backend name, command prefix). Raises LockError when it is not installed."""
    if backend not in BACKENDS:
        raise LockError(f"unknown lock backend {backend!r} (choose from {', '.join(BACKENDS)})")
    if backend in ("auto", "uv"):
        uv = _executable("uv")
        if uv is None:
            try:
                from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]

                uv = find_uv_bin()
            except (ImportError, FileNotFoundError):
                uv = None
        if uv is not None:
            return "uv", [uv, "pip", "compile"]
        if backend == "uv":
            raise LockError(f"uv is not installed; {INSTALL_HINT}")
    import importlib.util

    if importlib.util.find_spec("piptools") is not None:
        return "pip-compile", [sys.executable, "-m", "piptools", "compile"]
    exe = _executable("pip-compile")
    if exe is not None:
        return "pip-compile", [exe]
    if backend == "pip-compile":
        raise LockError(f"pip-compile (pip-tools) is not installed; {INSTALL_HINT}")
    raise LockError(f"neither uv nor pip-compile is installed; {INSTALL_HINT}")


def index_lines(index_urls: Sequence[str]) -> list[str]:
    """The index options written into the locked file (see the module docstring)."""
    urls = list(dict.fromkeys(u.strip() for u in index_urls if u.strip()))
    if not urls or any(redact(u) != u for u in urls):
        return []
    out = []
    for i, url in enumerate(urls):
        if i == 0:
            if url.rstrip("/") != DEFAULT_INDEX_URL.rstrip("/"):
                out.append(f"--index-url {url}")
        else:
            out.append(f"--extra-index-url {url}")
    return out


def compile_command(in_path: str, out_path: str) -> str:
    """The command shown in the header: stable whatever the current directory."""
    in_dir = os.path.dirname(os.path.abspath(in_path))
    name = os.path.basename(in_path)
    default = name[:-3] + ".txt" if name.endswith(".in") else name + ".txt"
    rel_out = os.path.relpath(os.path.abspath(out_path), in_dir)
    cmd = f"hardpin lock {_quote(name)}"
    if rel_out != default:
        cmd += f" -o {_quote(rel_out)}"
    return cmd


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


def _subprocess_env(environ: Mapping[str, str] | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in (os.environ if environ is None else environ).items()
        if k not in _INDEX_VARS
    }
    env["PIP_CONFIG_FILE"] = os.devnull  # no index, find-links or constraint from pip.conf
    env["UV_NO_CONFIG"] = "1"
    env.setdefault("PIP_DISABLE_PIP_VERSION_CHECK", "1")
    env.setdefault("PIP_NO_INPUT", "1")
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    return env


_BOX = "×╰─▶│├└┌┐┘┤┬┴┼ \t"


def error_line(stderr: str) -> str:
    """The last meaningful line of a resolver's error output."""
    lines = [ln.strip().lstrip(_BOX).strip() for ln in stderr.splitlines()]
    lines = [ln for ln in lines if ln and not set(ln) <= set("^~ ")]
    if not lines:
        return "no error message"
    line = lines[-1]
    for p in ("ERROR:", "error:", "cause:", "Caused by:", "hint:"):
        if line.startswith(p):
            line = line[len(p) :].strip()
    m = re.match(
        r"^(?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*(?:Error|Exception|NotFound|Conflict)\w*: (.+)$", line
    )
    if m:
        line = m.group(1)
    return redact_text(line)


_INDEX_OPTION = re.compile(
    r"^\s*(-i\b|--index-url\b|--extra-index-url\b|--find-links\b|-f\b|--no-index\b"
    r"|--trusted-host\b)"
)


def _preferences(out_abs: str) -> str:
    """The existing output (its pins are preferences for the resolver), without index options:
    those come from `index_urls` only."""
    try:
        with open(out_abs, encoding="utf-8", errors="surrogateescape", newline="") as fh:
            old = fh.read()
    except (FileNotFoundError, IsADirectoryError):
        return ""
    except OSError as exc:
        raise LockError(f"cannot read {out_abs}: {exc.strerror}") from None
    return "".join(ln for ln in old.splitlines(keepends=True) if not _INDEX_OPTION.match(ln))


def _insert_index_lines(text: str, lines: list[str]) -> str:
    if not lines:
        return text
    body = text.splitlines(keepends=True)
    i = 0
    while i < len(body) and body[i].startswith("#"):
        i += 1
    rest = body[i:]
    sep = [] if rest and rest[0].strip() == "" else ["\n"]
    return "".join(body[:i] + [ln + "\n" for ln in lines] + sep + rest)


def lock(
    in_path: str,
    out_path: str,
    *,
    index_urls: Sequence[str],
    backend: str = "auto",
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> str:
    """Resolve `in_path` with hashes; return the new text for `out_path` (nothing is written there).

    `index_urls`: the primary index first, then the extra indexes (see
    `pypi.index_urls_for`). `env` is the environment to start from (default:
    os.environ); index and config variables are removed from it.
    """
    name, prefix = find_backend(backend)
    in_abs = os.path.abspath(in_path)
    if not os.path.isfile(in_abs):
        raise LockError(f"{in_path}: no such file")
    in_dir = os.path.dirname(in_abs)
    out_abs = os.path.abspath(out_path)
    out_dir = os.path.dirname(out_abs)
    urls = list(dict.fromkeys(u.strip() for u in index_urls if u.strip())) or [DEFAULT_INDEX_URL]
    command = compile_command(in_path, out_path)
    run_env = _subprocess_env(env)

    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{os.path.basename(out_abs)}.",
            suffix=".hardpin-lock",
            dir=out_dir if os.path.isdir(out_dir) else None,
        )
    except OSError as exc:
        raise LockError(
            f"cannot create a temporary file next to {out_path}: {exc.strerror}"
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogateescape", newline="") as fh:
            fh.write(_preferences(out_abs))
        # the indexes go through the environment, not the command line, where `ps`
        # would show any credentials they carry to every user of the machine
        if name == "uv":
            run_env["UV_INDEX_URL"] = urls[0]
            run_env["UV_EXTRA_INDEX_URL"] = " ".join(urls[1:])
        else:
            run_env["PIP_INDEX_URL"] = urls[0]
            run_env["PIP_EXTRA_INDEX_URL"] = " ".join(urls[1:])
        if name == "uv":
            args = [
                *prefix,
                "--generate-hashes",
                "--index-strategy",
                "unsafe-best-match",
                "--python",
                sys.executable,
                "--custom-compile-command",
                command,
                "--quiet",
                "--output-file",
                tmp,
                os.path.basename(in_abs),
            ]
        else:
            run_env["CUSTOM_COMPILE_COMMAND"] = command
            args = [
                *prefix,
                "--generate-hashes",
                "--allow-unsafe",
                "--strip-extras",
                "--no-config",
                "--no-emit-index-url",
                "--no-emit-trusted-host",
                "--quiet",
                "--output-file",
                tmp,
                os.path.basename(in_abs),
            ]
        try:
            proc = subprocess.run(  # the resolver the user installed, with its arguments as a list
                args,
                cwd=in_dir,
                env=run_env,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LockError(f"{name} did not finish in {timeout:g} s") from None
        except OSError as exc:
            raise LockError(f"cannot run {name}: {exc.strerror}") from None
        if proc.returncode != 0:
            why = scrub(error_line(proc.stderr or proc.stdout), urls)
            raise LockError(f"{name} failed: {why}")
        with open(tmp, encoding="utf-8", newline="") as fh:
            text = fh.read()
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return _insert_index_lines(text, index_lines(urls))
