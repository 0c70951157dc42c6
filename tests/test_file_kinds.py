"""Which files are checked, and as what: names, content for named files of unknown name,
and the files requirements files include."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from hardpin import settings as settings_mod
from hardpin.discovery import UNKNOWN_KIND, discover_files, sniff_text
from hardpin.settings import settings_for


def found(paths: list[str], cwd: Path) -> tuple[list[tuple[str, str]], list[str]]:
    import os

    notes: list[str] = []
    old = os.getcwd()
    os.chdir(cwd)
    settings_mod.clear_caches()
    try:
        return discover_files(paths, settings_for=settings_for, skipped=notes), notes
    finally:
        os.chdir(old)
        settings_mod.clear_caches()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("flask==3.0.3\nrequests>=2 ; python_version > '3.8'\n", "requirements"),
        ("# pinned\n-r base.txt\n-c constraints.txt\nDjango[argon2]~=5.0  # web\n", "requirements"),
        (
            "--index-url https://pypi.example/simple\nflask==3.0.3 \\\n    --hash=sha256:ab\n",
            "requirements",
        ),
        (
            "-e ./lib\ngit+https://example.com/x.git@v1#egg=x\npkg @ https://e.com/p.whl\n",
            "requirements",
        ),
        ("# syntax=docker/dockerfile:1\nARG V=1\nFROM debian:12\nRUN true\n", "dockerfile"),
        ("{{if x}}\nFROM debian:12\n{{end}}\n", "dockerfile"),
        ("#!/bin/sh\ncurl x | sh\n", "shell"),
        ("#!/usr/bin/env bash\nset -e\n", "shell"),
        ("#!/usr/bin/env python3\nprint('FROM x')\n", None),
        (
            "#!/usr/bin/env python3\n# a comment in a Dockerfile\nFROM python:3.13-alpine\n",
            "dockerfile",
        ),
        ('CMD ["echo"]\nFROM busybox\n', "dockerfile"),
        ('CMD ["echo"]\n', "dockerfile"),
        ("From here on, the notes say\nfrom what we know\n", None),
        ('[build-system]\nrequires = ["setuptools"]\n', None),
        ("import os\nprint(os.name)\n", None),
        ("", None),
        ("# only a comment\n", None),
    ],
)
def test_sniff_text(text: str, kind: str | None) -> None:
    assert sniff_text(text) == kind


def test_named_files_of_unknown_name_are_classified_by_content(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "app.py").write_text("import os\n")
    (tmp_path / "deps").write_text("flask==3.0.3\n")
    (tmp_path / "build").write_text("FROM debian:12\n")
    (tmp_path / "setup").write_text("#!/bin/bash\necho\n")
    got, notes = found(["pyproject.toml", "app.py", "deps", "build", "setup"], tmp_path)
    assert got == [("build", "dockerfile"), ("deps", "requirements"), ("setup", "shell")]
    assert notes == [f"pyproject.toml: skipped: {UNKNOWN_KIND}", f"app.py: skipped: {UNKNOWN_KIND}"]


def test_cli_skips_what_it_cannot_read_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "app.py").write_text("import os\n")
    r = run_cli("check", "pyproject.toml", "app.py", cwd=tmp_path)
    assert "HP001" not in r.stdout and "unknown instruction" not in r.stdout, r.stdout
    assert r.stderr.count("skipped: not a Dockerfile") == 2, r.stderr
    assert r.returncode == 0, r.stdout + r.stderr


def test_stdin_filename_is_classified_by_content(tmp_path: Path) -> None:
    r = run_cli("check", "--stdin-filename", "deps", cwd=tmp_path, stdin="flask\n")
    assert "deps:1:1: HP301" in r.stdout, r.stdout + r.stderr
    r = run_cli("check", "--stdin-filename", "notes", cwd=tmp_path, stdin="just words\n")
    assert r.stdout.strip().startswith("All checks passed") or "HP" not in r.stdout, r.stdout
    assert f"notes: skipped: {UNKNOWN_KIND}" in r.stderr


def test_files_included_by_requirements_files_are_checked_whatever_their_name(
    tmp_path: Path,
) -> None:
    (tmp_path / "requirements.txt").write_text("-r deps/base.pip-list\n-c pins.cfg\nflask\n")
    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "base.pip-list").write_text("-r ../more.list\nrequests\n")
    (tmp_path / "more.list").write_text("idna==3.7\n")
    (tmp_path / "pins.cfg").write_text("flask==3.0.3\n")
    (tmp_path / "notes.txt").write_text("not included\n")
    got, _ = found(["."], tmp_path)
    assert got == [
        ("deps/base.pip-list", "requirements"),
        ("more.list", "requirements"),
        ("pins.cfg", "requirements"),
        ("requirements.txt", "requirements"),
    ]
    # a named file's includes too
    got, _ = found(["deps/base.pip-list"], tmp_path)
    assert got == [("deps/base.pip-list", "requirements"), ("more.list", "requirements")]


def test_walking_finds_the_usual_requirements_and_dockerfile_names(tmp_path: Path) -> None:
    names = [
        "dev-requirements.txt", "test_requirements.txt", "requirements.dev.txt",
        "requirements.pip", "requirements/prod.txt", "tools/requirements.dev.in",
        "Dockerfile-windows", "Dockerfile_arm", "docker/dockerfile_1",
        "docs/Dockerfile-guide.md", "src/dockerfile_parser.py", "config.h.in",
    ]  # fmt: skip
    for n in names:
        p = tmp_path / n
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("x\n")
    got, _ = found(["."], tmp_path)
    assert {p for p, _k in got} == set(names[:9]), got
