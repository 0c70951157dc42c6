"""HP501 and HP509 fixes and `hardpin update` against real git repositories.

The tests create bare repositories with lightweight, annotated and moving tags and
reach them through `file://` URLs (`github-url` for actions, the `repo:` of a
pre-commit configuration), so `git ls-remote` runs for real and nothing leaves the
machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import run_cli

from hardpin.online.git import GitError, best_tag, ls_remote, parse_refs, resolve

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    p = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return p.stdout.strip()


class Repo:
    """A work tree pushing to a bare repository `<base>/<owner>/<name>`."""

    def __init__(self, base: Path, owner: str, name: str) -> None:
        self.bare = base / owner / name
        self.bare.mkdir(parents=True)
        git(self.bare, "init", "-q", "--bare")
        self.work = base / "work" / owner / name
        self.work.mkdir(parents=True)
        git(self.work, "init", "-q", "-b", "main")
        git(self.work, "remote", "add", "origin", str(self.bare))
        self.n = 0

    @property
    def url(self) -> str:
        return self.bare.as_uri()

    def commit(self) -> str:
        self.n += 1
        (self.work / "f").write_text(str(self.n))
        git(self.work, "add", "f")
        git(self.work, "commit", "-q", "-m", f"c{self.n}")
        git(self.work, "push", "-q", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")

    def tag(self, name: str, annotated: bool = False) -> None:
        if annotated:
            git(self.work, "tag", "-f", "-a", "-m", name, name)
        else:
            git(self.work, "tag", "-f", name)
        git(self.work, "push", "-q", "-f", "origin", f"refs/tags/{name}")


@pytest.fixture
def repos(tmp_path: Path) -> dict[str, tuple[Repo, dict[str, str]]]:
    base = tmp_path / "git"
    out = {}
    checkout = Repo(base, "actions", "checkout")
    c1 = checkout.commit()
    checkout.tag("v4.1.0", annotated=True)
    c2 = checkout.commit()
    for t in ("v4", "v4.1", "v4.1.1"):
        checkout.tag(t, annotated=t == "v4.1.1")  # v4 and v4.1 lightweight, moving
    out["checkout"] = (checkout, {"c1": c1, "c2": c2})
    cache = Repo(base, "actions", "cache")
    c = cache.commit()
    cache.tag("v3")
    out["cache"] = (cache, {"c": c})
    hooks = Repo(base, "pre-commit", "hooks")
    h = hooks.commit()
    hooks.tag("v4.6.0", annotated=True)
    out["hooks"] = (hooks, {"h": h})
    return out


def env(tmp_path: Path) -> dict[str, str]:
    return {**GIT_ENV, "HARDPIN_OFFLINE": "", "HARDPIN_CACHE_DIR": str(tmp_path / "cache")}


WORKFLOW = """\
name: ci
on: [push]
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: "actions/checkout@v4.1.0"   # v4.1.0
      - uses: actions/cache@v3 # keep this note
      - {uses: actions/cache@v3, with: {path: x}}
      - uses: actions/checkout@main # ratchet:actions/checkout@main
      - uses: ./local
      - run: echo hi
"""


def test_fix_pins_actions_to_peeled_commits_with_the_most_specific_tag(
    tmp_path: Path, repos: dict[str, tuple[Repo, dict[str, str]]]
) -> None:
    checkout, cs = repos["checkout"]
    cache, cc = repos["cache"]
    proj = tmp_path / "proj"
    (proj / ".github" / "workflows").mkdir(parents=True)
    (proj / ".hardpin.toml").write_text(f'github-url = "{(tmp_path / "git").as_uri()}"\n')
    wf = proj / ".github" / "workflows" / "ci.yml"
    wf.write_text(WORKFLOW)
    p = run_cli("check", "--fix", str(proj), env=env(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    c1, c2, c = cs["c1"], cs["c2"], cc["c"]
    assert wf.read_text() == WORKFLOW.replace(
        "actions/checkout@v4\n", f"actions/checkout@{c2} # v4.1.1\n"
    ).replace('"actions/checkout@v4.1.0"   # v4.1.0', f'"actions/checkout@{c1}" # v4.1.0').replace(
        "actions/cache@v3 # keep", f"actions/cache@{c} # v3 # keep"
    ).replace("{uses: actions/cache@v3,", f"{{uses: actions/cache@{c},").replace(
        "actions/checkout@main # ratchet:actions/checkout@main", f"actions/checkout@{c2} # v4.1.1"
    )
    # a second run changes nothing
    again = run_cli("check", "--fix", str(proj), env=env(tmp_path))
    assert again.returncode == 0 and wf.read_text().count(c2) == 2

    # the v4 tag moves: `hardpin update` follows the tag of the comment
    c3 = checkout.commit()
    checkout.tag("v4.1.1")  # a moved tag
    up = run_cli(
        "update", str(proj), env={**env(tmp_path), "HARDPIN_CACHE_DIR": str(tmp_path / "c2")}
    )
    assert up.returncode == 0, up.stdout + up.stderr
    text = wf.read_text()
    assert f"actions/checkout@{c3} # v4.1.1" in text and c2 not in text
    assert f'"actions/checkout@{c1}" # v4.1.0' in text  # its tag did not move


PRECOMMIT = """\
repos:
  - repo: URL
    rev: v4.6.0
    hooks:
      - id: trailing-whitespace
  - repo: URL
    rev: 'main'  # main
    hooks: []
  - repo: local
    hooks: []
"""


def test_fix_freezes_pre_commit_revs(
    tmp_path: Path, repos: dict[str, tuple[Repo, dict[str, str]]]
) -> None:
    hooks, hs = repos["hooks"]
    proj = tmp_path / "proj"
    proj.mkdir()
    cfg = proj / ".pre-commit-config.yaml"
    cfg.write_text(PRECOMMIT.replace("URL", hooks.url))
    p = run_cli("check", "--fix", str(cfg), env=env(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    h = hs["h"]
    assert cfg.read_text() == PRECOMMIT.replace("URL", hooks.url).replace(
        "rev: v4.6.0", f"rev: {h}  # frozen: v4.6.0"
    ).replace("rev: 'main'  # main", f"rev: '{h}'  # frozen: v4.6.0")


def test_failures_are_one_line_and_leave_the_file(
    tmp_path: Path, repos: dict[str, tuple[Repo, dict[str, str]]]
) -> None:
    proj = tmp_path / "proj"
    (proj / ".github" / "workflows").mkdir(parents=True)
    (proj / ".hardpin.toml").write_text(f'github-url = "{(tmp_path / "git").as_uri()}"\n')
    wf = proj / ".github" / "workflows" / "ci.yml"
    text = "on: push\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v9\n      - uses: nobody/nothing@v1\n"
    wf.write_text(text)
    p = run_cli("check", "--fix", str(proj), env=env(tmp_path))
    assert p.returncode == 1
    assert wf.read_text() == text
    errs = [ln for ln in p.stderr.splitlines() if "cannot fix" in ln]
    assert len(errs) == 2 and "no tag or branch 'v9'" in errs[0] and "Traceback" not in p.stderr
    # offline, nothing cached: a clear reason too
    off = run_cli(
        "check",
        "--fix",
        "--offline",
        str(proj),
        env={**env(tmp_path), "HARDPIN_CACHE_DIR": str(tmp_path / "c3")},
    )
    assert off.returncode == 1 and "--offline" in off.stderr and wf.read_text() == text


def test_ls_remote_refuses_what_is_not_a_repository_url(tmp_path: Path) -> None:
    for url in ("--upload-pack=touch /tmp/x", "ext::sh -c touch% /tmp/x", "/etc", "fd::3"):
        with pytest.raises(GitError):
            ls_remote(url)
    with pytest.raises(GitError, match="more than 10 bytes"):
        repo = Repo(tmp_path, "o", "r")
        repo.commit()
        repo.tag("v1")
        ls_remote(repo.url, max_bytes=10)


def test_refs_peel_annotated_tags_and_pick_the_most_specific() -> None:
    a, b, t = "a" * 40, "b" * 40, "c" * 40
    out = f"{a}\trefs/heads/main\n{t}\trefs/tags/v1.2.0\n{a}\trefs/tags/v1.2.0^{{}}\n{a}\trefs/tags/v1\n{a}\trefs/tags/v1.2\n{a}\trefs/tags/v1.2.0-rc1\n{b}\trefs/tags/v2\nbad line\n"
    refs = parse_refs(out)
    assert refs["refs/tags/v1.2.0"] == a  # peeled, not the tag object
    assert resolve(refs, "v1") == a and resolve(refs, "main") == a and resolve(refs, "bbbbbbb") == b
    assert resolve(refs, "v9") is None
    assert best_tag(refs, a, "v1") == "v1.2.0"
    assert best_tag(refs, b, "v2") == "v2" and best_tag(refs, "d" * 40, "x") is None


def test_a_token_in_a_pre_commit_repo_url_is_never_shown(tmp_path: Path) -> None:
    cfg = tmp_path / ".pre-commit-config.yaml"
    cfg.write_text(
        "repos:\n  - repo: https://user:s3cret@127.0.0.1:9/r\n    rev: v1\n    hooks: []\n"
    )
    p = run_cli("check", "--fix", str(cfg), env=env(tmp_path))
    assert p.returncode == 1 and "HP509" in p.stdout
    assert "s3cret" not in p.stdout + p.stderr
    assert "cannot fix" in p.stderr
