"""Find the files to check: the kind table, directory walking, excludes and .gitignore.

`.gitignore` matching is implemented here (no git process): patterns are compiled to
regular expressions following git's wildmatch rules, and each directory's effective
pattern list (info/exclude, then every .gitignore from the work tree's root down to the
directory, later patterns taking precedence) is built once while walking.
"""

from __future__ import annotations

import os
import re

from hardpin._lazy import lazy_re
from hardpin.model import HardpinError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import Any

    from hardpin.settings import Settings

# --------------------------------------------------------------------------- kinds


# extensions that make a `Dockerfile-x` / `dockerfile_x` / `dockerfile.x` name something else:
# source, documentation, data and template files about Dockerfiles
_NOT_DOCKERFILE_EXT = frozenset(
    {"py", "pyc", "go", "rs", "js", "ts", "java", "rb", "c", "h", "cc", "cpp", "cs", "md", "rst",
     "txt", "json", "yml", "yaml", "toml", "xml", "html", "lock", "mod", "sum", "snap", "orig",
     "bak", "swp", "j2", "jinja", "jinja2", "tmpl", "tpl", "template", "in", "erb", "mustache",
     "hbs", "dockerignore", "ps1", "bat", "cmd", "png", "svg", "patch", "diff"}
)  # fmt: skip


def _is_dockerfile(name: str, path: str) -> bool:
    """`Dockerfile`, `Containerfile`, `dockerfile` and `containerfile`, alone or followed by
    `.`, `-` or `_` and a suffix (`Dockerfile.dev`, `Dockerfile-windows`, `Dockerfile_arm`,
    `dockerfile_1`), and `*.Dockerfile`/`*.dockerfile`/`*.Containerfile`. A suffix that is a
    source, documentation, data or template extension (`dockerfile_test.go`,
    `Dockerfile-guide.md`, `Dockerfile.j2`) is not one; `Dockerfile.x` names keep every
    suffix but `.dockerignore`."""
    if name.endswith(".dockerignore"):  # Dockerfile.dockerignore, app.Dockerfile.dockerignore
        return False
    if name in ("Dockerfile", "Containerfile", "dockerfile", "containerfile"):
        return True
    if name.endswith((".Dockerfile", ".dockerfile", ".Containerfile", ".containerfile")):
        return True
    if name.startswith(("Dockerfile.", "Containerfile.")):
        return True
    for stem in ("ockerfile", "ontainerfile"):
        n = len(stem) + 1
        if name[1:n] == stem and name[0] in "DdCc" and len(name) > n + 1 and name[n] in ".-_":
            if (name[0] in "Dd") != (stem == "ockerfile"):
                return False
            ext = name.rpartition(".")[2].lower() if "." in name[n:] else ""
            return ext not in _NOT_DOCKERFILE_EXT
    return False


def _is_shell_script(name: str, path: str) -> bool:
    return name.endswith((".sh", ".bash"))


# pip requirements files; the `requirements-globs` setting replaces these (docs/file-kinds.md)
DEFAULT_REQUIREMENTS_GLOBS: tuple[str, ...] = (
    "*requirements*.txt",
    "requirements*.pip",
    "requirements/*.txt",
    "*.in",
    "constraints*.txt",
)
# `.in` files that are not pip-tools inputs (setuptools, make, autoconf, doxygen)
_NOT_PIP_INPUTS = frozenset(
    {"MANIFEST.in", "Makefile.in", "GNUmakefile.in", "makefile.in", "configure.in", "Doxyfile.in"}
)
# `x.y.in` is the template of a file `x.y` (config.h.in, setup.py.in) when `y` is one of
# these; otherwise (`requirements.dev.in`, `base.prod.in`) it is a pip-tools input
_TEMPLATE_EXT = frozenset(
    {"h", "hpp", "hxx", "c", "cc", "cpp", "py", "cfg", "ini", "toml", "json", "yaml", "yml",
     "xml", "html", "htm", "sh", "bash", "txt", "conf", "service", "desktop", "spec", "pc",
     "cmake", "am", "ac", "m4", "md", "rst", "sql", "js", "ts", "rb", "pl", "php", "java", "go",
     "rs", "mk", "mak", "plist", "properties", "nsi", "iss", "rc", "def", "manifest", "policy",
     "xsl", "svg", "css", "lua", "vim", "el", "csv", "env", "pot", "po", "tex", "1", "2", "3",
     "4", "5", "6", "7", "8", "9", "qrc", "wxs", "in", "tmpl", "template", "dockerfile",
     "nix", "ps1", "bat", "cmd", "lock", "cs", "swift", "kt", "gradle", "pro", "pri"}
)  # fmt: skip


def matches_requirements_globs(name: str, path: str, globs: Sequence[str]) -> bool:
    """A glob without `/` matches the file name; with `/`, the last as many path components
    (`requirements/*.txt`: a .txt file directly in a directory named requirements). An
    `.in` file is never MANIFEST.in or the like, nor a template of a file with a known
    extension (`config.h.in`, `setup.py.in`; `requirements-3.11.in` and
    `requirements.dev.in` are inputs)."""
    from fnmatch import fnmatchcase

    if name.endswith(".in") and (
        name in _NOT_PIP_INPUTS
        or "." in name[:-3]
        and name[:-3].rpartition(".")[2].lower() in _TEMPLATE_EXT
    ):
        return False
    parts: list[str] | None = None
    for g in globs:
        if "/" not in g:
            if fnmatchcase(name, g):
                return True
            continue
        pat = g.strip("/").split("/")
        if parts is None:
            parts = [p for p in path.split("/") if p not in ("", ".")]
        if len(parts) >= len(pat) and all(
            fnmatchcase(c, p) for c, p in zip(parts[-len(pat) :], pat)
        ):
            return True
    return False


def _is_requirements(name: str, path: str) -> bool:
    return matches_requirements_globs(name, path, DEFAULT_REQUIREMENTS_GLOBS)


# (kind, matcher(basename, posix path)); the first matcher that accepts a file decides.
# A new kind of file is one more row here (and, to be told by content, one in SNIFFERS).
KINDS: list[tuple[str, Callable[[str, str], bool]]] = [
    ("dockerfile", _is_dockerfile),
    ("shell", _is_shell_script),
    ("requirements", _is_requirements),
]

# ---- YAML kinds (analysis/yamldoc.py reads them) ------------------------------------
# By name, in this order; any other .yml/.yaml file is sniffed (`sniff_yaml_kind`).
_YAML_EXT = (".yml", ".yaml")


def _is_workflow(name: str, path: str) -> bool:
    if not name.endswith(_YAML_EXT):
        return False
    d = path[: -len(name)].rstrip("/")
    return d == ".github/workflows" or d.endswith("/.github/workflows")


YAML_NAME_KINDS: list[tuple[str, Callable[[str, str], bool]]] = [
    ("workflow", _is_workflow),
    ("action", lambda name, path: name in ("action.yml", "action.yaml")),
    (
        "pre-commit",
        lambda name, path: name in (".pre-commit-config.yaml", ".pre-commit-config.yml"),
    ),
    ("gitlab-ci", lambda name, path: name == ".gitlab-ci.yml"),
    (
        "compose",
        lambda name, path: (
            name.startswith(("docker-compose", "compose")) and name.endswith(_YAML_EXT)
        ),
    ),
]
KINDS += YAML_NAME_KINDS

# (kind, top-level keys that must all be there): what an unnamed YAML file is, from
# its first 64 KiB; the first row that matches decides
_YAML_SNIFF: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("workflow", ("jobs", "on")),
    ("action", ("runs",)),
    ("kubernetes", ("apiVersion", "kind")),
    ("pre-commit", ("repos",)),
    ("compose", ("services",)),
)
_TOP_KEY_RE = lazy_re(r"""^["']?([A-Za-z_][\w-]*)["']?[ \t]*:(?=[ \t\r\n]|$)""", re.M)


def sniff_yaml_kind(path: str) -> str | None:
    """The kind of a `.yml`/`.yaml` file its name does not give: a workflow (top-level
    `jobs`, without CircleCI's `version` and `workflows`), an action (`runs`), Kubernetes (`apiVersion` and `kind`, in any
    document), pre-commit (`repos`) or compose (`services`); None otherwise."""
    from hardpin.files import read_head

    head = read_head(path, 1 << 16)
    if not head:
        return None
    keys = set(_TOP_KEY_RE.findall(head.decode("utf-8", "replace")))
    if "true" in keys:  # `on:` spelled as YAML 1.1 reads it
        keys.add("on")
    if "jobs" in keys and "workflows" not in keys and "version" not in keys:
        keys.add("on")  # a workflow with its trigger commented out (CircleCI has the others)
    for kind, need in _YAML_SNIFF:
        if all(k in keys for k in need):
            return kind
    return None


_SHEBANG_SHELLS = frozenset({"sh", "bash", "dash", "ksh", "mksh"})


def _shebang_kind(head: bytes) -> str | None:
    """ "shell" for a shebang naming a POSIX shell, "" for any other shebang, None for none."""
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].decode("latin-1").split()
    if not words:
        return ""
    exe = words[0].rsplit("/", 1)[-1]
    if exe == "env" and len(words) > 1:
        exe = words[1] if words[1] != "-S" or len(words) < 3 else words[2]
        exe = exe.rsplit("/", 1)[-1]
    return "shell" if exe in _SHEBANG_SHELLS else ""


def sniff_kind(path: str) -> str | None:
    """Kind from content, for files without an extension: a shell shebang makes a script."""
    if path.endswith(_YAML_EXT):
        return sniff_yaml_kind(path)
    from hardpin.files import read_head

    head = read_head(path, 128)  # regular files only: a FIFO would block the run
    return _shebang_kind(head) or None if head is not None else None


# what a Dockerfile holds: a FROM line (after directives, comments, ARGs, anywhere in a
# template); what a requirements file holds: every line a requirement, option or include
_FROM_LINE = re.compile(
    r"(?m)^[ \t]*(?:FROM[ \t]+\S|from[ \t]+(?:--\S+[ \t]+)*[\w.${}/:@-]+"
    r"(?:[ \t]+as[ \t]+\S+)?[ \t]*\r?$)"
)
_INSTRUCTION = re.compile(
    r"(?:ADD|ARG|CMD|COPY|ENTRYPOINT|ENV|EXPOSE|FROM|HEALTHCHECK|LABEL|MAINTAINER|ONBUILD|RUN"
    r"|SHELL|STOPSIGNAL|USER|VOLUME|WORKDIR)[ \t]+\S"
)
_OP = r"(?:===|==|!=|~=|>=|<=|>|<)"
_REQ_LINE = re.compile(
    r"(?:-[rcefi][ \t]*=?[ \t]*\S.*"  # -r file, -e path, -i URL, ...
    r"|--[a-z][a-z0-9-]*(?:[ \t]*=?[ \t]*\S+)?.*"  # --hash=..., --index-url URL, ...
    r"|[A-Za-z0-9][A-Za-z0-9._-]*[ \t]*(?:\[[A-Za-z0-9._, -]*\])?[ \t]*"
    rf"(?:{_OP}[ \t]*[^\s,;\\]+(?:[ \t]*,[ \t]*{_OP}[ \t]*[^\s,;\\]+)*)?"
    r"[ \t]*(?:;[^#]*)?(?:[ \t]+--hash[= ]\S+)*"
    r"|[A-Za-z0-9][A-Za-z0-9._-]*(?:\[[^\]]*\])?[ \t]*@[ \t]*\S+.*"  # name @ URL
    r"|(?:git|hg|svn|bzr)\+\S+|https?://\S+|file:\S+|\.{1,2}/\S*)"
    r"[ \t]*\\?"
)


def sniff_text(text: str) -> str | None:
    """The kind of a file told by its content: "shell" for a POSIX shell shebang,
    "requirements" when every line (comments and blank lines aside) is a requirement, an
    option or an include, "dockerfile" for a `FROM image [AS name]` line or a first line
    that is an instruction; None for anything else."""
    head = text[:4096].encode("utf-8", "surrogateescape")
    if _shebang_kind(head) == "shell":
        return "shell"
    lines = 0
    first: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue
        if first is None:
            first = line
        if " #" in line or "\t#" in line:
            line = re.split(r"[ \t]#", line, maxsplit=1)[0].rstrip()
        if not _REQ_LINE.fullmatch(line):
            lines = -1
            break
        lines += 1
        if lines >= 500:
            break
    if lines > 0:
        return "requirements"
    # a FROM line, or a first line that is an instruction (`CMD` before `FROM`: HP001)
    if _FROM_LINE.search(text, 0, 1 << 20) or (first and _INSTRUCTION.match(first)):
        return "dockerfile"
    return None


def sniff_file(path: str, max_bytes: int = 1 << 20) -> str | None:
    """`sniff_text` of the start of the regular file `path` (None when it cannot be read)."""
    from hardpin.files import read_head

    head = read_head(path, max_bytes)
    if head is None:
        return None
    return sniff_text(head.decode("utf-8", "surrogateescape"))


# `-r`/`-c` includes of a requirements file, for linting the files they name
_INCLUDE = re.compile(
    r"(?m)^[ \t]*(?:-[rc]|--requirement|--constraint)(?:[ \t]*=[ \t]*|[ \t]+|(?=[^\s=-]))"
    r"(\S+)"
)


def requirement_includes(path: str, max_bytes: int = 1 << 20) -> list[str]:
    """The files `path` includes with `-r`/`-c` (paths as written, relative to `path`'s
    directory; URLs and variables left out)."""
    from hardpin.files import read_head

    head = read_head(path, max_bytes)
    if head is None:
        return []
    out = []
    for m in _INCLUDE.finditer(head.decode("utf-8", "surrogateescape")):
        inc = m.group(1)
        if "://" in inc or "$" in inc:
            continue
        out.append(inc)
    return out


def kind_of(path: str | Path, settings: Settings | None = None) -> str | None:
    """The kind of file `path` names ("dockerfile"), or None when hardpin does not check it.

    With `settings`, a `requirements-globs` setting decides which files are requirements.
    """
    s = os.fspath(path)
    if os.sep != "/":
        s = s.replace(os.sep, "/")
    name = s.rsplit("/", 1)[-1]
    globs = settings.get("requirements-globs") if settings is not None else None
    for kind, matches in KINDS:
        if kind == "requirements" and globs is not None:
            if matches_requirements_globs(name, s, globs):  # type: ignore[arg-type]
                return kind
        elif matches(name, s):
            return kind
    return None


# --------------------------------------------------------------------------- gitignore

_NEVER = "(?!)"
_CLASSES = {
    "alnum": "a-zA-Z0-9",
    "alpha": "a-zA-Z",
    "blank": " \\t",
    "cntrl": "\\x00-\\x1f\\x7f",
    "digit": "0-9",
    "graph": "\\x21-\\x7e",
    "lower": "a-z",
    "print": "\\x20-\\x7e",
    "punct": "!-/:-@\\[-`{-~",
    "space": " \\t\\n\\r\\f\\v",
    "upper": "A-Z",
    "xdigit": "0-9A-Fa-f",
}


def _bracket(p: str, i: int) -> tuple[str, int] | None:
    """Translate the bracket expression starting at p[i] == '['; return (regex, index after
    the closing ']'), or None when it is unterminated or malformed (git: never matches)."""
    n = len(p)
    i += 1
    negated = False
    if i < n and p[i] in "!^":
        negated = True
        i += 1
    items: list[str] = []
    prev: str | None = None  # previous literal character, for ranges
    first = True
    while True:
        if i >= n:
            return None
        c = p[i]
        if c == "]" and not first:
            i += 1
            break
        first = False
        if c == "\\":
            i += 1
            if i >= n:
                return None
            c = p[i]
            items.append(re.escape(c))
            prev = c
        elif c == "-" and prev is not None and i + 1 < n and p[i + 1] != "]":
            i += 1
            hi = p[i]
            if hi == "\\":
                i += 1
                if i >= n:
                    return None
                hi = p[i]
            items.pop()  # the range replaces its low end
            if prev <= hi:
                items.append(f"{re.escape(prev)}-{re.escape(hi)}")
            prev = None
        elif c == "[" and i + 1 < n and p[i + 1] == ":":
            end = p.find("]", i + 2)
            if end == -1:
                return None
            body = p[i + 2 : end]
            if not body.endswith(":"):
                # not a [:class:]: '[' is an ordinary member
                items.append(re.escape("["))
                prev = "["
            else:
                cls = _CLASSES.get(body[:-1])
                if cls is None:
                    return None
                items.append(cls)
                prev = None
                i = end
        else:
            items.append(re.escape(c))
            prev = c
        i += 1
    members = "".join(items)
    if negated:
        return f"[^/{members}]", i
    if not members:
        return _NEVER, i
    return f"(?!/)[{members}]", i


def _translate(p: str) -> str:
    """Regex for a wildmatch pattern matched with WM_PATHNAME (wildcards stop at `/`)."""
    out: list[str] = []
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        if c == "*":
            j = i
            while j < n and p[j] == "*":
                j += 1
            at_start = i == 0 or p[i - 1] == "/"
            at_end = j == n or p[j] == "/"
            if j - i >= 2 and at_start and at_end:
                if j == n:
                    out.append(".*")  # trailing "**": everything below
                else:
                    out.append("(?:.*/)?")  # "**/": zero or more directories
                    j += 1
            else:
                out.append("[^/]*")
            i = j
        elif c == "?":
            out.append("[^/]")
            i += 1
        elif c == "[":
            br = _bracket(p, i)
            if br is None:
                return _NEVER
            out.append(br[0])
            i = br[1]
        elif c == "\\":
            if i + 1 >= n:
                return _NEVER  # a trailing backslash never matches
            out.append(re.escape(p[i + 1]))
            i += 2
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


class IgnorePattern:
    """One compiled line of an ignore file (immutable by convention; a plain slotted class
    keeps `dataclasses` off the start-up path)."""

    __slots__ = ("regex", "negated", "dir_only", "basename", "cut", "source")

    def __init__(
        self,
        regex: re.Pattern[str],
        negated: bool,
        dir_only: bool,
        basename: bool,
        cut: int,
        source: str,
    ) -> None:
        self.regex = regex
        self.negated = negated
        self.dir_only = dir_only
        self.basename = basename  # no `/` in the pattern: matched against the last component
        self.cut = cut  # characters to drop from a work-tree-relative path: base dir + "/"
        self.source = source  # the line as written

    def __repr__(self) -> str:
        return f"IgnorePattern({self.source!r}, base_len={self.cut})"


def _trim_trailing_spaces(line: str) -> str:
    """git's trim_trailing_spaces: drop unescaped trailing spaces (not tabs)."""
    last_space = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c == " ":
            if last_space is None:
                last_space = i
        elif c == "\\":
            i += 1
            if i >= n:
                return line
            last_space = None
        else:
            last_space = None
        i += 1
    return line if last_space is None else line[:last_space]


def parse_gitignore(text: str, base: str = "") -> list[IgnorePattern]:
    """The patterns of one ignore file; `base` is its directory relative to the work tree
    root ("" for the root and for info/exclude)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    cut = len(base) + 1 if base else 0
    out: list[IgnorePattern] = []
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        if not line or line.startswith("#"):
            continue
        line = _trim_trailing_spaces(line)
        negated = line.startswith("!")
        p = line[1:] if negated else line
        dir_only = p.endswith("/")
        if dir_only:
            p = p[:-1]
        basename = "/" not in p
        if p.startswith("/"):
            p = p[1:]
        out.append(
            IgnorePattern(
                regex=re.compile(_translate(p), re.S),
                negated=negated,
                dir_only=dir_only,
                basename=basename,
                cut=cut,
                source=raw,
            )
        )
    return out


def is_ignored(patterns: Sequence[IgnorePattern], rel: str, is_dir: bool) -> bool:
    """Whether work-tree-relative `rel` is ignored by `patterns` (all from its directory
    and above, lowest precedence first). Parent directories are not considered: the
    walker never descends into an ignored directory."""
    name = rel.rsplit("/", 1)[-1]
    for pat in reversed(patterns):
        if pat.dir_only and not is_dir:
            continue
        subject = name if pat.basename else rel[pat.cut :]
        if pat.regex.fullmatch(subject):
            return not pat.negated
    return False


def _read_ignore_file(path: str, base: str) -> list[IgnorePattern]:
    try:
        if os.path.islink(path):  # git does not follow a symlinked .gitignore in the tree
            return []
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return []
    return parse_gitignore(data.decode("utf-8", "surrogateescape"), base)


def _git_common_dir(worktree: str) -> str | None:
    dotgit = os.path.join(worktree, ".git")
    if os.path.isdir(dotgit):
        gitdir = dotgit
    else:
        try:
            with open(dotgit, encoding="utf-8", errors="surrogateescape") as f:
                first = f.readline().strip()
        except OSError:
            return None
        if not first.startswith("gitdir:"):
            return None
        gitdir = os.path.join(worktree, first[len("gitdir:") :].strip())
    try:
        with open(os.path.join(gitdir, "commondir"), encoding="utf-8") as f:
            return os.path.normpath(os.path.join(gitdir, f.read().strip()))
    except OSError:
        return gitdir


def _repo_patterns(worktree: str) -> list[IgnorePattern]:
    """info/exclude and the root .gitignore of the work tree at `worktree`."""
    pats: list[IgnorePattern] = []
    common = _git_common_dir(worktree)
    if common is not None:
        pats += _read_ignore_file(os.path.join(common, "info", "exclude"), "")
    pats += _read_ignore_file(os.path.join(worktree, ".gitignore"), "")
    return pats


def _find_worktree(directory: str) -> str | None:
    d = directory
    while True:
        if os.path.lexists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


class _Git:
    """The ignore state of one directory being walked."""

    __slots__ = ("rel", "patterns")

    def __init__(self, rel: str, patterns: tuple[IgnorePattern, ...]) -> None:
        self.rel = rel  # the directory relative to the work tree root ("" at the root)
        self.patterns = patterns


def _git_for_top(abs_top: str) -> _Git | None:
    """Ignore state for an explicitly named directory: every ignore file from its work
    tree's root down to it (the directory itself and its parents are not tested)."""
    worktree = _find_worktree(abs_top)
    if worktree is None:
        return None
    pats = _repo_patterns(worktree)
    rel = "" if abs_top == worktree else os.path.relpath(abs_top, worktree).replace(os.sep, "/")
    if rel:
        parts = rel.split("/")
        d = worktree
        for i, part in enumerate(parts):
            d = os.path.join(d, part)
            pats += _read_ignore_file(os.path.join(d, ".gitignore"), "/".join(parts[: i + 1]))
    return _Git(rel, tuple(pats))


# --------------------------------------------------------------------------- walking


def _join(a: str, b: str) -> str:
    return f"{a}/{b}" if a else b


def discover(
    paths: Sequence[str | Path],
    *,
    settings_for: Callable[[Path], Settings],
    skipped: list[str] | None = None,
) -> list[tuple[Path, str]]:
    """`discover_files` with `Path` objects in and out."""
    from pathlib import Path

    found = discover_files(paths, settings_for=lambda s: settings_for(Path(s)), skipped=skipped)
    return [(Path(shown), kind) for shown, kind in found]


def discover_files(
    paths: Sequence[str | os.PathLike[str]],
    *,
    settings_for: Callable[[str], Settings],
    skipped: list[str] | None = None,
) -> list[tuple[str, str]]:
    """The files to check under `paths`, with their kinds, sorted and without duplicates.

    Directories are walked (symlinked directories inside them are not followed); a file
    there is returned when `kind_of` knows it and it is neither excluded by the settings
    that apply to it nor ignored by git. A file named in `paths` is always checked: its
    kind comes from its name, or else from its content (`sniff_text`); one that is none
    of the kinds hardpin reads gets a one-line note in `skipped` instead. A directory named
    in `paths` is walked even if it is itself excluded or ignored. Every file a
    requirements file found this way includes with `-r` or `-c` is checked too, as a
    requirements file whatever its name.

    Paths are strings, spelled and ordered as `pathlib.Path` spells and orders them
    (`./a//b` is `a/b`), without importing pathlib; `settings_for` gets that spelling.
    """
    found: dict[str, tuple[Any, str, str]] = {}

    def add(shown: str, abs_path: str, kind: str) -> None:
        key = os.path.normcase(abs_path)
        if key not in found:
            text, parts = path_form(shown)
            found[key] = (parts, text, kind)

    for p in paths:
        s = os.fspath(p)
        if not os.path.exists(s):
            raise HardpinError(f"{s}: no such file or directory")
        abs_s = os.path.abspath(s)
        if os.path.isdir(s):
            _walk(s, abs_s, settings_for, add)
            continue
        kind = kind_of(s, settings_for(path_form(s)[0]))
        if kind is None and s.endswith(_YAML_EXT):
            # YAML named on the command line: its Kubernetes objects, if any, are checked
            kind = sniff_yaml_kind(s) or "kubernetes"
        if kind is None:
            kind = sniff_file(s)
        if kind is None and not os.path.isfile(s):
            kind = "dockerfile"  # not a regular file: reading it skips it with its reason
        if kind is None:
            if skipped is not None:
                skipped.append(f"{s}: skipped: {UNKNOWN_KIND}")
            continue
        add(s, abs_s, kind)
    _add_includes(found, add)
    return [(text, kind) for _parts, text, kind in sorted(found.values())]


UNKNOWN_KIND = "not a Dockerfile, pip requirements file or shell script (by name or content)"


def _add_includes(
    found: dict[str, tuple[Any, str, str]], add: Callable[[str, str, str], None]
) -> None:
    """Add the files the requirements files include (`-r`, `-c`), transitively."""
    todo = [text for _parts, text, kind in found.values() if kind == "requirements"]
    seen: set[str] = set()
    while todo:
        shown = todo.pop()
        if shown in seen:
            continue
        seen.add(shown)
        base = os.path.dirname(shown)
        for inc in requirement_includes(shown):
            child = os.path.normpath(os.path.join(base, inc))
            if not os.path.isfile(child):
                continue
            key = os.path.normcase(os.path.abspath(child))
            if key not in found:
                add(child, os.path.abspath(child), "requirements")
                todo.append(path_form(child)[0])


def path_form(s: str) -> tuple[str, Any]:
    """(str(Path(s)), a key that sorts as the Path does) for a path string `s`."""
    if os.sep != "/":  # Windows: drives, both separators, case-insensitive order
        from pathlib import Path

        p = Path(s)
        return str(p), p
    root = ""
    if s.startswith("/"):
        # POSIX keeps exactly two leading slashes; one, or three and more, are one root
        root = "//" if s.startswith("//") and not s.startswith("///") else "/"
    parts = [part for part in s.split("/") if part and part != "."]
    return (root + "/".join(parts)) or ".", ([root] if root else []) + parts


def _walk(
    top: str,
    abs_top: str,
    settings_for: Callable[[str], Settings],
    add: Callable[[str, str, str], None],
) -> None:
    # Each stack item: (path as shown, absolute path, settings, git state or None).
    stack: list[tuple[str, str, Settings, _Git | None]] = [
        (top, abs_top, settings_for(path_form(top)[0]), _git_for_top(abs_top))
    ]
    first = True
    while stack:
        shown, abs_dir, settings, git = stack.pop()
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            if first:
                raise HardpinError(f"{top}: cannot read directory: {exc.strerror or exc}") from exc
            continue  # an unreadable directory deeper down is skipped, as git does
        names = {e.name for e in entries}
        if git is not None and not first and ".git" in names:
            # a nested repository: its own ignore files apply, not the outer ones
            git = _Git("", tuple(_repo_patterns(abs_dir)))
        elif git is not None and not first and ".gitignore" in names:
            git = _Git(
                git.rel,
                git.patterns
                + tuple(_read_ignore_file(os.path.join(abs_dir, ".gitignore"), git.rel)),
            )
        elif git is None and ".git" in names:
            git = _Git("", tuple(_repo_patterns(abs_dir)))
        first = False
        root = os.path.abspath(settings.root)
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                if not is_dir:
                    if entry.is_symlink():
                        # a link to a file is checked; links to directories are not
                        # followed and dangling links are skipped
                        if not entry.is_file():
                            continue
                    elif not entry.is_file(follow_symlinks=False):
                        continue  # fifo, socket, device
            except OSError:
                continue
            if git is not None and name == ".git":
                continue  # the repository (a directory, or a file in a worktree/submodule)
            child_shown = os.path.join(shown, name)
            if not is_dir:
                kind = kind_of(child_shown, settings)
                if kind is None and ("." not in name or name.endswith(_YAML_EXT)):
                    kind = sniff_kind(os.path.join(abs_dir, name))
                if kind is None:
                    continue
            child_abs = os.path.join(abs_dir, name)
            # Exclusion is decided by the settings of the directory holding the entry, so
            # a config file inside an excluded directory is never read.
            if settings.excludes_entry(_rel(child_abs, root, name)):
                continue
            if git is not None and is_ignored(git.patterns, _join(git.rel, name), is_dir):
                continue
            if is_dir:
                child_git = None if git is None else _Git(_join(git.rel, name), git.patterns)
                stack.append(
                    (child_shown, child_abs, settings_for(path_form(child_shown)[0]), child_git)
                )
            else:
                add(child_shown, child_abs, kind)  # type: ignore[arg-type]


def _rel(abs_path: str, root: str, name: str) -> str:
    """`abs_path` relative to `root` with `/` separators (its name when it is the root)."""
    if abs_path.startswith(root) and abs_path[len(root) : len(root) + 1] == os.sep:
        rel = abs_path[len(root) + 1 :]
    elif root.endswith(os.sep) and abs_path.startswith(root):
        rel = abs_path[len(root) :]
    else:
        try:
            rel = os.path.relpath(abs_path, root)
        except ValueError:
            return name
    if rel in (".", ""):
        return name
    return rel.replace(os.sep, "/") if os.sep != "/" else rel
