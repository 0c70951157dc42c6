"""What a one-file `hardpin check` does not import: typing (TYPE_CHECKING is a plain
False), argparse (the check command line is read by hardpin._fastcli), pathlib, json
(exec-form arrays are read directly), packaging, the HTTP client, the rules of other
kinds of file."""

from __future__ import annotations

from pathlib import Path

from test_startup_imports import modules_of_check

NEVER = ("typing", "argparse", "pathlib", "packaging", "http.client", "concurrent.futures")


def test_a_dockerfile_check_imports_only_what_it_needs(tmp_path: Path) -> None:
    mods = modules_of_check(tmp_path, "Dockerfile")
    assert "hardpin.rules.hp101" in mods
    for name in NEVER:  # (json: the probe imports it itself; see test_json_array)
        assert name not in mods, name
    assert not [m for m in mods if m.startswith("hardpin.rules.hp3")]


def test_a_requirements_check_imports_only_what_it_needs(tmp_path: Path) -> None:
    mods = modules_of_check(tmp_path, "requirements.txt")
    assert "hardpin.rules.hp302" in mods
    for name in NEVER:
        assert name not in mods, name
    assert not [m for m in mods if m.startswith(("hardpin.rules.hp1", "hardpin.rules.hp4"))]
