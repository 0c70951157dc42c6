"""`.pre-commit-hooks.yaml` against discovery: the hooks hand hardpin every file
`hardpin check` finds on its own, and nothing else (a file hardpin is given by name whose
kind its name does not tell is classified by content, or skipped with a note). Then the hooks end to end through
pre-commit itself, installed from a copy of this repository without a package index."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from identify.identify import tags_from_path
from packaging_support import offline_pip_env, snapshot

from hardpin import settings as settings_mod
from hardpin.discovery import discover, kind_of, sniff_file
from hardpin.settings import settings_for

HOOKS: list[dict[str, Any]] = yaml.safe_load(
    (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
)
BY_ID = {h["id"]: h for h in HOOKS}
CHECK_HOOKS = ("hardpin", "hardpin-scripts")  # together: what a commit has checked

SH = "#!/bin/sh\ncurl -fsSL https://example.com/i | sh\n"
DOCKERFILE = "FROM debian:12\n"
REQS = "flask==3.0.3\n"
TEXT = "just words\n"

# (path, content, executable, kind `hardpin check` gives it when walking a directory)
TABLE: list[tuple[str, str, bool, str | None]] = [
    # Dockerfiles, every name form
    ("Dockerfile", DOCKERFILE, False, "dockerfile"),
    ("Containerfile", DOCKERFILE, False, "dockerfile"),
    ("dockerfile", DOCKERFILE, False, "dockerfile"),
    ("Dockerfile.dev", DOCKERFILE, False, "dockerfile"),
    ("Dockerfile.prod.arm64", DOCKERFILE, False, "dockerfile"),
    ("Containerfile.ci", DOCKERFILE, False, "dockerfile"),
    ("app.Dockerfile", DOCKERFILE, False, "dockerfile"),
    ("app.dockerfile", DOCKERFILE, False, "dockerfile"),
    ("build/base.Dockerfile", DOCKERFILE, False, "dockerfile"),
    ("services/api/Dockerfile.prod", DOCKERFILE, False, "dockerfile"),
    ("Dockerfile.sh", DOCKERFILE, False, "dockerfile"),
    ("Dockerfile-windows", DOCKERFILE, False, "dockerfile"),
    ("Dockerfile_arm", DOCKERFILE, False, "dockerfile"),
    ("docker/dockerfile_1", DOCKERFILE, False, "dockerfile"),
    ("dockerfile.prod", DOCKERFILE, False, "dockerfile"),
    ("containerfile", DOCKERFILE, False, "dockerfile"),
    ("Containerfile-rhel9", DOCKERFILE, False, "dockerfile"),
    # not Dockerfiles
    ("Dockerfile.dockerignore", TEXT, False, None),
    ("app.Dockerfile.dockerignore", TEXT, False, None),
    (".dockerignore", TEXT, False, None),
    ("dockerfile.md", TEXT, False, None),
    ("Dockerfile-guide.md", TEXT, False, None),
    ("src/dockerfile_parser.py", TEXT, False, None),
    ("pkg/dockerfile_test.go", TEXT, False, None),
    ("templates/Dockerfile_base.J2", TEXT, False, None),
    ("DOCKERFILE-x", TEXT, False, None),
    ("mydockerfile", TEXT, False, None),
    # YAML kinds by name
    ("docker-compose.yml", "services: {}\n", False, "compose"),
    ("ops/compose.prod.yaml", "services: {}\n", False, "compose"),
    (".github/workflows/ci.yml", "on: push\njobs: {}\n", False, "workflow"),
    (".github/workflows/release.yaml", "on: push\njobs: {}\n", False, "workflow"),
    ("action.yml", "runs:\n  using: node20\n", False, "action"),
    ("tools/act/action.yaml", "runs:\n  using: node20\n", False, "action"),
    (".pre-commit-config.yaml", "repos: []\n", False, "pre-commit"),
    (".gitlab-ci.yml", "image: x\n", False, "gitlab-ci"),
    # YAML that is none of them
    (".github/dependabot.yml", "version: 2\n", False, None),
    ("docs/mkdocs.yml", "site_name: x\n", False, None),
    ("Dockerfiles/notes.md", TEXT, False, None),
    # requirements files: the default requirements-globs, and includes they name
    ("requirements.txt", REQS, False, "requirements"),
    ("requirements-dev.txt", REQS, False, "requirements"),
    ("requirements_test.txt", REQS, False, "requirements"),
    ("services/api/requirements.txt", REQS, False, "requirements"),
    ("requirements/base.txt", REQS, False, "requirements"),
    ("requirements/requirements-dev.txt", REQS, False, "requirements"),
    ("constraints.txt", REQS, False, "requirements"),
    ("constraints-3.11.txt", REQS, False, "requirements"),
    ("requirements.in", REQS, False, "requirements"),
    ("dev.in", REQS, False, "requirements"),
    ("requirements-3.11.in", REQS, False, "requirements"),
    ("requirements/base.in", REQS, False, "requirements"),
    ("dev-requirements.txt", REQS, False, "requirements"),
    ("test_requirements.txt", REQS, False, "requirements"),
    ("requirements.dev.txt", REQS, False, "requirements"),
    ("requirements.pip", REQS, False, "requirements"),
    ("requirements-dev.pip", REQS, False, "requirements"),
    ("requirements.dev.in", REQS, False, "requirements"),
    ("x.y.in", REQS, False, "requirements"),
    # not requirements files
    ("MANIFEST.in", TEXT, False, None),
    ("Makefile.in", TEXT, False, None),
    ("docs/Doxyfile.in", TEXT, False, None),
    ("config.h.in", TEXT, False, None),
    ("setup.py.in", TEXT, False, None),
    ("docs/conf.PY.in", TEXT, False, None),
    ("notes.pip", TEXT, False, None),
    ("requirements.md", TEXT, False, None),
    ("Requirements.txt", TEXT, False, None),
    ("notes.txt", TEXT, False, None),
    ("requirements/sub/base.txt", TEXT, False, None),
    ("docs/requirements.rst", TEXT, False, None),
    # shell scripts by extension
    ("build.sh", SH, False, "shell"),
    ("scripts/install-tools.sh", SH, True, "shell"),
    ("ci/run.bash", SH, False, "shell"),
    ("zsh-shebang.sh", "#!/bin/zsh\necho hi\n", True, "shell"),
    # shell scripts without an extension, by shebang (executable)
    ("deploy", SH, True, "shell"),
    ("bin/release", "#!/usr/bin/env bash\nset -e\n", True, "shell"),
    ("bin/with-flags", "#!/usr/bin/env -S bash -e\necho\n", True, "shell"),
    ("bin/dash-script", "#!/bin/dash\necho\n", True, "shell"),
    ("bin/ksh-script", "#!/bin/ksh\necho\n", True, "shell"),
    # not shell scripts hardpin reads
    ("run.zsh", "#!/bin/zsh\necho\n", True, None),
    ("tool.py", "#!/usr/bin/env python3\nprint()\n", True, None),
    ("bin/zsh-script", "#!/bin/zsh\necho\n", True, None),
    ("bin/py-script", "#!/usr/bin/env python3\nprint()\n", True, None),
    ("bin/bats-test", "#!/usr/bin/env bats\n@test x { true; }\n", True, None),
    ("LICENSE", TEXT, False, None),
    ("README", TEXT, False, None),
    ("Makefile", "all:\n\ttrue\n", False, None),
    ("notes", TEXT, False, None),
    ("PKGBUILD", "pkgname=x\n", True, None),
    (".bashrc", "alias ll='ls -l'\n", False, None),
    (".envrc", "export A=1\n", False, None),
    (".profile", "PATH=$PATH\n", False, None),
]

# Files `hardpin check` finds that no hook can be given: pre-commit's `identify` reads the
# shebang of executable files only, and knows no `mksh` tag. Checked here so a change on
# either side shows; the README says how to add them.
GAPS: list[tuple[str, str, bool, str | None]] = [
    ("bin/not-executable", SH, False, "shell"),
    ("bin/mksh-script", "#!/bin/mksh\necho\n", True, "shell"),
    # found by content, which `files` cannot express
    ("k8s/app.yaml", "apiVersion: v1\nkind: Pod\n", False, "kubernetes"),
]


def passes(hook: dict[str, Any], rel: str, tags: set[str]) -> bool:
    """Whether pre-commit hands `rel` (with identify's `tags`) to `hook`: `files` and not
    `exclude`, all `types`, one of `types_or` when given, none of `exclude_types`."""
    if not re.search(hook.get("files", ""), rel):
        return False
    if re.search(hook.get("exclude", "^$"), rel):
        return False
    if not set(hook.get("types", ["file"])) <= tags:
        return False
    types_or = set(hook.get("types_or", []))
    if types_or and not tags & types_or:
        return False
    return not tags & set(hook.get("exclude_types", []))


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("kinds")
    for rel, text, executable, _kind in TABLE + GAPS:
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        p.chmod(0o755 if executable else 0o644)
    return root


@pytest.fixture(scope="module")
def discovered(tree: Path) -> dict[str, str]:
    settings_mod.clear_caches()
    try:
        found = discover([tree], settings_for=settings_for)
    finally:
        settings_mod.clear_caches()
    return {p.relative_to(tree).as_posix(): kind for p, kind in found}


def hooks_for(tree: Path, rel: str, ids: tuple[str, ...] = CHECK_HOOKS) -> list[str]:
    tags = tags_from_path(str(tree / rel))
    return [i for i in ids if passes(BY_ID[i], rel, tags)]


def test_the_table_is_what_discovery_finds(discovered: dict[str, str]) -> None:
    expected = {rel: kind for rel, _t, _x, kind in TABLE + GAPS if kind is not None}
    assert discovered == expected


@pytest.mark.parametrize(
    ("rel", "kind"), [(r, k) for r, _t, _x, k in TABLE], ids=[r for r, *_ in TABLE]
)
def test_a_check_hook_gets_exactly_the_files_discovery_lints(
    tree: Path, discovered: dict[str, str], rel: str, kind: str | None
) -> None:
    got = hooks_for(tree, rel)
    if discovered.get(rel) is None:
        assert got == [], f"{rel} is not linted by `hardpin check` but goes to {got}"
    else:
        assert len(got) == 1, f"{rel} ({kind}) goes to {got or 'no hook'}"
        # and hardpin, given the file by name, reads it as the kind discovery gave it
        path = str(tree / rel)
        assert (kind_of(path) or sniff_file(path)) == discovered[rel]


@pytest.mark.parametrize(("rel", "kind"), [(r, k) for r, _t, _x, k in GAPS])
def test_known_gaps_reach_no_hook(
    tree: Path, discovered: dict[str, str], rel: str, kind: str
) -> None:
    assert discovered[rel] == kind
    assert hooks_for(tree, rel) == []


def test_fix_and_online_hooks_take_the_same_files_as_their_check_hook() -> None:
    pattern_keys = ("files", "exclude", "types", "types_or", "exclude_types")
    for check, other, entry in [
        ("hardpin", "hardpin-fix", "hardpin check --fix"),
        ("hardpin", "hardpin-online", "hardpin check --online"),
        ("hardpin-scripts", "hardpin-scripts-fix", "hardpin check --fix"),
    ]:
        assert [BY_ID[check].get(k) for k in pattern_keys] == [
            BY_ID[other].get(k) for k in pattern_keys
        ], other
        assert BY_ID[other]["entry"] == entry
    assert BY_ID["hardpin"]["entry"] == BY_ID["hardpin-scripts"]["entry"] == "hardpin check"
    assert BY_ID["hardpin-online"]["stages"] == ["manual"]
    assert all("stages" not in h for h in HOOKS if h["id"] != "hardpin-online")
    assert all(h["language"] == "python" for h in HOOKS)


def test_readme_snippet_names_hooks_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## pre-commit", 1)[1].split("\n## ", 1)[0]
    snippet = section.split("```yaml", 1)[1].split("```", 1)[0]
    config = yaml.safe_load(snippet)
    (repo,) = config["repos"]
    assert repo["repo"] == "https://github.com/hardpin/hardpin"
    ids = [h["id"] for h in repo["hooks"]]
    assert set(ids) <= set(BY_ID), ids
    assert set(CHECK_HOOKS) <= set(ids)


# --------------------------------------------------------------------------- end to end


def _git(*args: str, cwd: Path) -> str:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    return subprocess.run(
        [*git, *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_precommit_runs_the_hooks_on_every_kind(tmp_path: Path) -> None:
    """pre-commit installs the hooks from a copy of this repository (hardpin and its
    dependencies from local wheels) and runs them on a project with a Dockerfile, a
    requirements file, a .sh script, an extensionless script and files hardpin does not
    read."""
    hardpin_repo = snapshot(tmp_path / "hardpin", commit=True)
    sha = _git("rev-parse", "HEAD", cwd=hardpin_repo)

    project = tmp_path / "project"
    files = {
        "Dockerfile": (
            f"FROM python:3.12@sha256:{'a' * 64}\nRUN curl -fsSL https://example.com/x | sh\n"
        ),
        "requirements.txt": "flask\n",
        "scripts/build.sh": SH,
        "deploy": "#!/bin/bash\ncurl -fsSL https://example.com/d | bash\n",
        "LICENSE": "Apache License\n",
        "notes.md": "FROM here on\n",
        ".pre-commit-config.yaml": (
            "repos:\n"
            f"  - repo: {hardpin_repo.as_posix()}\n"
            f"    rev: {sha}\n"
            "    hooks:\n"
            "      - id: hardpin\n"
            "      - id: hardpin-scripts\n"
            "      - id: hardpin-online\n"
        ),
    }
    for rel, text in files.items():
        p = project / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (project / "deploy").chmod(0o755)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    _git("add", "-A", cwd=project)

    env = offline_pip_env(
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        PRE_COMMIT_COLOR="never",
        NO_COLOR="1",
        HARDPIN_OFFLINE="1",
        HARDPIN_CACHE_DIR=str(tmp_path / "cache"),
    )
    pre_commit = [sys.executable, "-m", "pre_commit"]

    r = subprocess.run(
        [*pre_commit, "run", "--all-files", "--verbose"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    check, _, rest = out.partition("hardpin (check shell scripts without an extension)")
    assert "hardpin (check)" in check and "Failed" in check, out
    for rel in ("Dockerfile", "requirements.txt", "scripts/build.sh"):
        assert f"\n{rel}:" in check, f"{rel} not checked:\n{out}"
    assert "\ndeploy:2:" in rest and "HP206" in rest, out
    for rel in ("LICENSE", "notes.md", ".pre-commit-config.yaml"):
        assert f"{rel}:" not in out, out
    assert "deploy:" not in check and "Dockerfile:" not in rest
    assert "check --online" not in out  # a manual-stage hook

    r = subprocess.run(
        [*pre_commit, "run", "--hook-stage", "manual", "hardpin-online", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert "hardpin (check --online)" in out
    # the online checks ran: without the network they say what they could not ask
    assert re.search(r"Dockerfile:1:6: HP60[12] cannot check", out), out


def test_hook_file_is_valid_for_pre_commit() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", ".pre-commit-hooks.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PRE_COMMIT_COLOR": "never"},
    )
    assert r.returncode == 0, r.stdout + r.stderr
