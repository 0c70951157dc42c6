"""Finding files: the kind table, excludes, and .gitignore (checked against real git)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hardpin import discovery
from hardpin import settings as settings_mod
from hardpin.discovery import discover, is_ignored, kind_of, parse_gitignore
from hardpin.model import HardpinError
from hardpin.settings import Settings, settings_for

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _fresh_caches():
    settings_mod.clear_caches()
    yield
    settings_mod.clear_caches()


def touch(root: Path, *rels: str, text: str = "FROM a\n") -> None:
    for rel in rels:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def sf(p: Path) -> Settings:
    return settings_for(p)


def found(root: Path, *paths: str | Path, settings=sf) -> list[str]:
    """discover() run from `root`; paths as POSIX strings relative to it."""
    old = os.getcwd()
    os.chdir(root)
    try:
        return [p.as_posix() for p, _kind in discover(list(paths) or ["."], settings_for=settings)]
    finally:
        os.chdir(old)


# --------------------------------------------------------------------------- kinds


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Dockerfile", "dockerfile"),
        ("dockerfile", "dockerfile"),
        ("Dockerfile.prod", "dockerfile"),
        ("Dockerfile.dev.arm64", "dockerfile"),
        ("api.Dockerfile", "dockerfile"),
        ("api.dockerfile", "dockerfile"),
        ("Containerfile", "dockerfile"),
        ("Containerfile.windows", "dockerfile"),
        ("svc/build/base.Dockerfile", "dockerfile"),
        ("/abs/path/Dockerfile", "dockerfile"),
        (Path("a") / "Containerfile", "dockerfile"),
        ("DOCKERFILE", None),
        ("dockerfile.prod", "dockerfile"),
        ("containerfile", "dockerfile"),
        ("MyDockerfile", None),
        ("Dockerfile-prod", "dockerfile"),
        ("Dockerfile-windows", "dockerfile"),
        ("Dockerfile_arm", "dockerfile"),
        ("dockerfile_1", "dockerfile"),
        ("Containerfile-rhel9", "dockerfile"),
        ("dockerfile_test.go", None),  # about Dockerfiles: source, docs, templates
        ("Dockerfile-guide.md", None),
        ("dockerfile.md", None),
        ("Dockerfile_base.j2", None),
        ("dockerfile-parser.py", None),
        ("dev-requirements.txt", "requirements"),
        ("test_requirements.txt", "requirements"),
        ("requirements.dev.txt", "requirements"),
        ("requirements.pip", "requirements"),
        ("requirements-dev.pip", "requirements"),
        ("requirements/prod.txt", "requirements"),
        ("requirements.dev.in", "requirements"),
        ("x.y.in", "requirements"),
        ("config.h.in", None),
        ("setup.py.in", None),
        ("MANIFEST.in", None),
        ("notes.txt", None),
        ("Dockerfile.dockerignore", None),  # BuildKit's per-Dockerfile ignore file
        ("api.Dockerfile.dockerignore", None),
        (".dockerignore", None),
        ("docker-compose.yml", "compose"),
        ("docker-compose.override.yaml", "compose"),
        ("compose.yaml", "compose"),
        ("compose.dev.yml", "compose"),
        ("composer.json", None),
        (".github/workflows/ci.yml", "workflow"),
        ("repo/.github/workflows/release.yaml", "workflow"),
        (".github/workflows/sub/ci.yml", None),  # GitHub reads only the directory itself
        (".github/dependabot.yml", None),
        ("action.yml", "action"),
        ("sub/dir/action.yaml", "action"),
        (".pre-commit-config.yaml", "pre-commit"),
        (".gitlab-ci.yml", "gitlab-ci"),
        ("values.yaml", None),  # sniffed from its content when walking
        ("Dockerfile/README.md", None),
        ("README.md", None),
    ],
)
def test_kind_of(name: str | Path, kind: str | None) -> None:
    assert kind_of(name) == kind


def test_kind_table_is_the_single_place_to_add_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        discovery,
        "KINDS",
        discovery.KINDS
        + [
            (
                "requirements",
                lambda name, path: name.startswith("requirements") and name.endswith(".txt"),
            )
        ],
    )
    assert kind_of("requirements-dev.txt") == "requirements"
    assert kind_of("Dockerfile") == "dockerfile"
    touch(tmp_path, "Dockerfile", "requirements.txt", "notes.txt")
    assert discover([tmp_path], settings_for=sf) == [
        (tmp_path / "Dockerfile", "dockerfile"),
        (tmp_path / "requirements.txt", "requirements"),
    ]


def test_kind_matchers_get_the_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(
        discovery, "KINDS", [("any", lambda name, path: seen.append((name, path)) or True)]
    )
    touch(tmp_path, ".github/workflows/ci.yml")
    found(tmp_path)
    assert ("ci.yml", "./.github/workflows/ci.yml") in seen


# --------------------------------------------------------------------------- walking


def test_walk_finds_dockerfiles_sorted(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "Dockerfile",
        "b/api.Dockerfile",
        "a/Containerfile.win",
        "a/README.md",
        "c/d/Dockerfile.x",
        "notes.txt",
    )
    assert found(tmp_path) == [
        "Dockerfile",
        "a/Containerfile.win",
        "b/api.Dockerfile",
        "c/d/Dockerfile.x",
    ]
    res = discover([tmp_path], settings_for=sf)
    assert res == [
        (tmp_path / "Dockerfile", "dockerfile"),
        (tmp_path / "a" / "Containerfile.win", "dockerfile"),
        (tmp_path / "b" / "api.Dockerfile", "dockerfile"),
        (tmp_path / "c" / "d" / "Dockerfile.x", "dockerfile"),
    ]


def test_default_excludes_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    touch(
        tmp_path,
        "Dockerfile",
        "vendor/Dockerfile",
        "third_party/lib/Dockerfile",
        "node_modules/pkg/Dockerfile",
        ".git/Dockerfile",
        "src/vendor/Dockerfile",
        "src/node_modules/Dockerfile",
        "src/vendored/Dockerfile",
        "src/Dockerfile",
    )
    scanned: list[str] = []
    real = os.scandir

    def spy(path):
        scanned.append(os.path.relpath(path, tmp_path))
        return real(path)

    monkeypatch.setattr(os, "scandir", spy)
    assert found(tmp_path) == ["Dockerfile", "src/Dockerfile", "src/vendored/Dockerfile"]
    # excluded directories are not even read
    assert sorted(scanned) == [".", "src", "src/vendored"]


def test_exclude_and_extend_exclude_from_config(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "vendor/Dockerfile",
        "gen/Dockerfile",
        "a/gen/Dockerfile",
        "old.Dockerfile",
        "x/old.Dockerfile",
        "svc/legacy/Dockerfile",
        "svc/new/Dockerfile",
        "other/svc/legacy/Dockerfile",
    )
    (tmp_path / ".hardpin.toml").write_text("exclude = ['gen']\n")
    assert found(tmp_path) == [
        "old.Dockerfile",
        "other/svc/legacy/Dockerfile",
        "svc/legacy/Dockerfile",
        "svc/new/Dockerfile",
        "vendor/Dockerfile",
        "x/old.Dockerfile",
    ]
    settings_mod.clear_caches()
    (tmp_path / ".hardpin.toml").write_text("extend-exclude = ['old.*', 'svc/legacy']\n")
    assert found(tmp_path) == [
        "a/gen/Dockerfile",
        "gen/Dockerfile",
        "other/svc/legacy/Dockerfile",
        "svc/new/Dockerfile",
    ]


def test_nested_config_excludes_apply_below_it(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "gen/Dockerfile",
        "svc/gen/Dockerfile",
        "svc/out/Dockerfile",
        "out/Dockerfile",
        "svc/Dockerfile",
    )
    (tmp_path / "svc" / ".hardpin.toml").write_text("extend-exclude = ['gen', 'out/']\n")
    assert found(tmp_path) == ["gen/Dockerfile", "out/Dockerfile", "svc/Dockerfile"]


def test_config_inside_an_excluded_directory_is_never_read(tmp_path: Path) -> None:
    touch(tmp_path, "Dockerfile", "vendor/x/Dockerfile")
    (tmp_path / "vendor" / ".hardpin.toml").write_text("this is [ not toml\n")
    assert found(tmp_path) == ["Dockerfile"]


def test_excludes_with_config_outside_the_walk(tmp_path: Path) -> None:
    touch(tmp_path, "proj/Dockerfile", "proj/vendor/Dockerfile", "proj/skip/Dockerfile")
    cfg = tmp_path / "cfg" / "hardpin.toml"
    cfg.parent.mkdir()
    cfg.write_text("extend-exclude = ['skip']\n")
    res = found(tmp_path / "proj", settings=lambda p: settings_for(p, config=cfg))
    assert res == ["Dockerfile"]


def test_explicit_files_are_always_checked(tmp_path: Path) -> None:
    touch(tmp_path, "vendor/Dockerfile", "build.txt", "node_modules/x.Dockerfile")
    (tmp_path / "build.txt").write_text("FROM debian:12\n")
    (tmp_path / ".hardpin.toml").write_text("extend-exclude = ['build.txt']\n")
    res = discover([tmp_path / "vendor" / "Dockerfile", tmp_path / "build.txt"], settings_for=sf)
    assert res == [
        (tmp_path / "build.txt", "dockerfile"),
        (tmp_path / "vendor" / "Dockerfile", "dockerfile"),
    ]
    (tmp_path / "build.txt").write_text("flask==3.0.3 \\\n    --hash=sha256:abc\n-r base.txt\n")
    res = discover([tmp_path / "build.txt"], settings_for=sf)
    assert res == [(tmp_path / "build.txt", "requirements")]


def test_explicitly_named_excluded_directory_is_walked(tmp_path: Path) -> None:
    touch(tmp_path, "vendor/lib/Dockerfile", "vendor/node_modules/Dockerfile", "Dockerfile")
    assert found(tmp_path, "vendor") == ["vendor/lib/Dockerfile"]
    assert found(tmp_path) == ["Dockerfile"]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    touch(tmp_path, "Dockerfile")
    with pytest.raises(HardpinError) as info:
        discover([tmp_path / "Dockerfile", "does/not/exist"], settings_for=sf)
    assert str(info.value) == "does/not/exist: no such file or directory"
    os.symlink(tmp_path / "gone", tmp_path / "dangling")
    with pytest.raises(HardpinError) as info:
        discover([str(tmp_path / "dangling")], settings_for=sf)
    assert str(info.value) == f"{tmp_path / 'dangling'}: no such file or directory"


def test_results_are_deduplicated(tmp_path: Path) -> None:
    touch(tmp_path, "Dockerfile", "a/Dockerfile")
    assert found(
        tmp_path, ".", "Dockerfile", "./Dockerfile", "a", "a/../a/Dockerfile", str(tmp_path / "a")
    ) == [
        "Dockerfile",
        "a/Dockerfile",
    ]


def test_symlinks(tmp_path: Path) -> None:
    touch(tmp_path, "real/Dockerfile", "outside/Dockerfile")
    os.symlink(tmp_path / "outside", tmp_path / "real" / "linkdir")
    os.symlink(tmp_path / "outside" / "Dockerfile", tmp_path / "real" / "link.Dockerfile")
    os.symlink(tmp_path / "nowhere", tmp_path / "real" / "broken.Dockerfile")
    os.symlink(tmp_path / "real", tmp_path / "real" / "loop")
    assert found(tmp_path / "real") == ["Dockerfile", "link.Dockerfile"]
    # a symlinked directory named on the command line is walked
    assert found(tmp_path / "real", "linkdir") == ["linkdir/Dockerfile"]


def test_unreadable_top_directory_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "d").mkdir()

    def deny(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(os, "scandir", deny)
    with pytest.raises(HardpinError) as info:
        discover([str(tmp_path / "d")], settings_for=sf)
    assert str(info.value) == f"{tmp_path / 'd'}: cannot read directory: Permission denied"


# --------------------------------------------------------------------------- gitignore units


def ignored(lines: str, rel: str, is_dir: bool = False, base: str = "") -> bool:
    return is_ignored(parse_gitignore(lines, base), rel, is_dir)


def test_gitignore_pattern_units() -> None:
    assert ignored("*.log", "a/b/x.log") is True
    assert ignored("*.log\n!keep.log", "a/keep.log") is False
    assert ignored("build/", "build", is_dir=True) is True
    assert ignored("build/", "build") is False  # a file named build
    assert ignored("/top.txt", "top.txt") is True
    assert ignored("/top.txt", "a/top.txt") is False
    assert ignored("a/b", "x/a/b") is False
    assert ignored("**/cache", "cache", is_dir=True) is True
    assert ignored("**/cache", "x/y/cache") is True
    assert ignored("logs/**", "logs/a/b.txt") is True
    assert ignored("logs/**", "logs") is False
    assert ignored("a/**/b", "a/b") is True
    assert ignored("a/**/b", "a/x/y/b") is True
    assert ignored("a/**/b", "a/xb") is False
    assert ignored("a**b", "a/x/b") is False
    assert ignored("trail   ", "trail") is True
    assert ignored("trail\\ ", "trail ") is True
    assert ignored("trail\\ ", "trail") is False
    assert ignored("\\#hash", "#hash") is True
    assert ignored("#hash", "#hash") is False
    assert ignored("\\!bang", "!bang") is True
    assert ignored("[abc]x", "bx") is True
    assert ignored("[!abc]x", "bx") is False
    assert ignored("[!abc]x", "dx") is True
    assert ignored("[a-c]x", "dx") is False
    assert ignored("[[:digit:]]n", "7n") is True
    assert ignored("[[:bogus:]]n", "7n") is False
    assert ignored("weird[ch", "weird[ch") is False  # unterminated bracket never matches
    assert ignored("a?c", "a/c") is False
    assert ignored("*.txt", "sub/x.txt", base="sub") is True
    assert ignored("/x.txt", "sub/x.txt", base="sub") is True
    assert ignored("/x.txt", "sub/d/x.txt", base="sub") is False


# --------------------------------------------------------------------------- gitignore vs git


def git_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "_home"
    home.mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "LC_ALL": "C",
    }


def git(repo: Path, env: dict[str, str], *args: str) -> str:
    r = subprocess.run(
        [GIT, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,  # type: ignore[list-item]
        encoding="utf-8",
        errors="surrogateescape",
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


def git_visible(repo: Path, env: dict[str, str], under: str = "") -> list[str]:
    """Untracked files git does not ignore (the oracle)."""
    out = git(
        repo,
        env,
        "ls-files",
        "-z",
        "--others",
        "--cached",
        "--exclude-standard",
        "--",
        under or ".",
    )
    return sorted(p for p in out.split("\0") if p)


def git_ignored(repo: Path, env: dict[str, str]) -> list[str]:
    out = git(repo, env, "ls-files", "-z", "--others", "--ignored", "--exclude-standard")
    return sorted(p for p in out.split("\0") if p)


def walk_all(repo: Path, top: Path | None = None) -> list[str]:
    """Every file discover() returns under `top` when every file has a kind and nothing is
    excluded by settings, relative to `repo`."""
    root = str(repo)
    res = discover([top or repo], settings_for=lambda p: Settings(root=root, exclude=()))
    return sorted(os.path.relpath(p, repo).replace(os.sep, "/") for p, _ in res)


@pytest.fixture
def all_files_have_a_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(discovery, "KINDS", [("any", lambda name, path: True)])


ROOT_GITIGNORE = """\
# a comment
\\#hash
\\!bang
*.log
!keep.log
build/
/rootonly.txt
docs/*.tmp
**/cache
logs/**
!logs/important.txt
a/**/b.txt
trailing\\\x20
trailingspaces.txt\x20\x20\x20
[abc]x.txt
[!a-c]y.txt
?q.txt
dir_only_file/
*.bak
!important.bak
excluded_dir/
!excluded_dir/reinclude.txt
foo/**/
weird[ch
[[:digit:]]num.txt
sub/nested/deep.txt
**foo.txt
\x20\x20
!
/
\\
middle/*/end.txt
sp ace.txt
tab\t
*.[oa]
!lib.a
middle/m[!x]n/end.txt
[]]z.md
[a-]r.md
[\\]]w.md
"""

SUB_GITIGNORE = """\
*.txt
!keep.txt
/anchored.md
inner/
!*.log
nested/**/z.md
"""

CRLF_GITIGNORE = "crlf.txt\r\n!crlf-keep.log\r\n*.md\r\n"

DIRS = [
    "",
    "sub",
    "sub/inner",
    "sub/deeper/x",
    "sub/nested",
    "build",
    "x/build",
    "logs",
    "logs/nested",
    "a",
    "a/b",
    "a/x/y",
    "docs",
    "docs/in",
    "excluded_dir",
    "foo",
    "foo/bar",
    "foo/bar/baz",
    "cache",
    "deep/cache",
    "d/dir_only_file",
    "middle/m",
    "middle/m/n",
    "crlf",
    "dotted.log",
    "q",
]
NAMES = [
    "keep.log",
    "app.log",
    "a.txt",
    "b.txt",
    "keep.txt",
    "anchored.md",
    "z.md",
    "rootonly.txt",
    "#hash",
    "!bang",
    "trailing ",
    "trailing",
    "trailingspaces.txt",
    "ax.txt",
    "dx.txt",
    "ay.txt",
    "dy.txt",
    "1num.txt",
    "qq.txt",
    "q.txt",
    "Dockerfile",
    "important.txt",
    "reinclude.txt",
    "x.bak",
    "important.bak",
    "weird[ch",
    "myfoo.txt",
    "foo.txt",
    "x.tmp",
    "secret.env",
    "deep.txt",
    "end.txt",
    "sp ace.txt",
    "tab\t",
    "lib.a",
    "x.o",
    "crlf.txt",
    "crlf-keep.log",
    "]z.md",
    "-r.md",
    "ar.md",
    "br.md",
    "]w.md",
    "x.tmp2",
]


def make_tricky_repo(repo: Path, env: dict[str, str]) -> None:
    repo.mkdir()
    git(repo, env, "init", "-q")
    for d in DIRS:
        for n in NAMES:
            p = repo / d / n
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("x\n")
    for rel in (
        "files/build",
        "files/dir_only_file",
        "files/cache",
    ):  # files named like dir patterns
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text("x\n")
    (repo / ".gitignore").write_text(ROOT_GITIGNORE)
    (repo / "sub" / ".gitignore").write_text(SUB_GITIGNORE)
    (repo / "sub" / "deeper" / ".gitignore").write_text("!a.txt\n/x/b.txt\n")
    (repo / "crlf" / ".gitignore").write_bytes(CRLF_GITIGNORE.encode())
    (repo / "excluded_dir" / ".gitignore").write_text("!*\n")  # cannot re-include: dir is excluded
    (repo / "q" / ".gitignore").write_bytes("\ufeff*.tmp2\n!x.o\n".encode())  # BOM
    (repo / ".git" / "info").mkdir(exist_ok=True)
    (repo / ".git" / "info" / "exclude").write_text("secret*\n!keep.txt\n")


@needs_git
def test_gitignore_matches_git_on_tricky_patterns(
    tmp_path: Path, all_files_have_a_kind: None
) -> None:
    env = git_env(tmp_path)
    repo = tmp_path / "repo"
    make_tricky_repo(repo, env)
    expected = git_visible(repo, env)
    # sanity: the oracle ignores a good share of the files and keeps a good share
    ign = git_ignored(repo, env)
    assert len(expected) > 150 and len(ign) > 300
    assert walk_all(repo) == expected


@needs_git
def test_gitignore_matches_git_when_walking_a_subdirectory(
    tmp_path: Path, all_files_have_a_kind: None
) -> None:
    env = git_env(tmp_path)
    repo = tmp_path / "repo"
    make_tricky_repo(repo, env)
    for sub in ("sub", "sub/deeper", "logs", "a/x", "middle", "crlf"):
        assert walk_all(repo, repo / sub) == git_visible(repo, env, sub), sub


@needs_git
def test_gitignore_matches_git_check_ignore_on_each_path(
    tmp_path: Path, all_files_have_a_kind: None
) -> None:
    env = git_env(tmp_path)
    repo = tmp_path / "repo"
    make_tricky_repo(repo, env)
    paths = [f"{d}/{n}" if d else n for d in DIRS for n in NAMES]
    r = subprocess.run(
        [GIT, "check-ignore", "-z", "--stdin"],
        cwd=repo,
        env=env,  # type: ignore[list-item]
        input="\0".join(paths) + "\0",
        capture_output=True,
        text=True,
    )
    assert r.returncode in (0, 1), r.stderr
    git_says = {p for p in r.stdout.split("\0") if p}
    visible = set(walk_all(repo))
    assert {p for p in paths if p not in visible} == git_says


@needs_git
def test_gitignore_in_nested_repository_and_repo_below_a_plain_directory(
    tmp_path: Path, all_files_have_a_kind: None
) -> None:
    env = git_env(tmp_path)
    outer = tmp_path / "outer"
    outer.mkdir()
    git(outer, env, "init", "-q")
    (outer / ".gitignore").write_text("*.log\n")
    inner = outer / "inner"
    inner.mkdir()
    git(inner, env, "init", "-q")
    (inner / ".gitignore").write_text("*.tmp\n")
    touch(outer, "a.log", "a.tmp", "inner/b.log", "inner/b.tmp", "inner/c/d.tmp", "inner/keep")
    # git lists the nested repository as "inner/" and does not look inside
    assert git_visible(outer, env) == [".gitignore", "a.tmp", "inner/"]
    assert [p for p in walk_all(outer) if not p.startswith("inner/")] == [".gitignore", "a.tmp"]
    # inside it, its own rules apply and the outer ones do not
    assert git_visible(inner, env) == [".gitignore", "b.log", "keep"]
    assert [p[len("inner/") :] for p in walk_all(outer) if p.startswith("inner/")] == git_visible(
        inner, env
    )
    # a plain directory holding repositories: each repository's rules apply inside it
    assert [p for p in walk_all(tmp_path, tmp_path) if not p.startswith("_home/")] == [
        f"outer/{p}" for p in walk_all(outer)
    ]


@needs_git
def test_gitignore_in_a_worktree_with_a_dotgit_file(
    tmp_path: Path, all_files_have_a_kind: None
) -> None:
    env = git_env(tmp_path)
    main = tmp_path / "main"
    main.mkdir()
    git(main, env, "init", "-q")
    (main / "README").write_text("x\n")
    git(main, env, "add", "README")
    git(main, env, "commit", "-q", "-m", "init")
    git(main, env, "worktree", "add", "-q", str(tmp_path / "wt"))
    wt = tmp_path / "wt"
    assert (wt / ".git").is_file()
    (main / ".git" / "info").mkdir(exist_ok=True)
    (main / ".git" / "info" / "exclude").write_text("*.secret\n")
    (wt / ".gitignore").write_text("out/\n")
    touch(wt, "a.secret", "b.txt", "out/c.txt", "d/out/e.txt", "d/f.txt")
    assert walk_all(wt) == git_visible(wt, env)
    assert "a.secret" not in walk_all(wt) and "d/f.txt" in walk_all(wt)


@needs_git
def test_gitignore_honoured_by_default_discovery(tmp_path: Path) -> None:
    env = git_env(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, env, "init", "-q")
    (repo / ".gitignore").write_text("ignored/\n*.gen.Dockerfile\n")
    touch(
        repo,
        "Dockerfile",
        "ignored/Dockerfile",
        "a/x.gen.Dockerfile",
        "a/Dockerfile",
        "vendor/Dockerfile",
    )
    assert found(repo) == ["Dockerfile", "a/Dockerfile"]
    assert found(repo / "a") == ["Dockerfile"]
    # explicitly named files are checked even when git ignores them
    assert found(repo, "a/x.gen.Dockerfile", "ignored/Dockerfile") == [
        "a/x.gen.Dockerfile",
        "ignored/Dockerfile",
    ]
    # and an explicitly named ignored directory is walked
    assert found(repo, "ignored") == ["ignored/Dockerfile"]


@needs_git
def test_ignore_rules_from_above_the_walked_directory_apply(tmp_path: Path) -> None:
    env = git_env(tmp_path)
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, env, "init", "-q")
    (repo / ".gitignore").write_text("*.old.Dockerfile\n/svc/api/tmp/\n")
    (repo / "svc").mkdir()
    (repo / "svc" / ".gitignore").write_text("gen/\n")
    touch(
        repo,
        "svc/api/Dockerfile",
        "svc/api/x.old.Dockerfile",
        "svc/api/tmp/Dockerfile",
        "svc/api/gen/Dockerfile",
        "svc/api/y/Dockerfile",
    )
    assert found(repo / "svc" / "api") == ["Dockerfile", "y/Dockerfile"]
