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
    assert "hardpin.analysis.powershell" not in mods  # a Linux Dockerfile: no Windows RUN
    assert not [m for m in mods if m == "yaml" or m.startswith(("yaml.", "hardpin.rules.hp5"))]


def test_a_requirements_check_imports_only_what_it_needs(tmp_path: Path) -> None:
    mods = modules_of_check(tmp_path, "requirements.txt")
    assert "hardpin.rules.hp302" in mods
    for name in NEVER:
        assert name not in mods, name
    assert not [m for m in mods if m.startswith(("hardpin.rules.hp1", "hardpin.rules.hp4"))]


def test_yaml_is_imported_only_for_a_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "compose.yaml").write_text("services:\n  db:\n    image: postgres:16\n")
    mods = modules_of_check(tmp_path, "compose.yaml")
    assert "yaml" in mods and "hardpin.rules.hp503" in mods
    for name in NEVER:
        assert name not in mods, name
    assert not [m for m in mods if m.startswith(("hardpin.rules.hp1", "hardpin.rules.hp3"))]
    assert not [m for m in mods if m.startswith("hardpin.online")]


def test_the_command_line_spares_the_collector_pass_at_exit(tmp_path: Path) -> None:
    """Run as the command line (no argv), main freezes the objects the process exits
    with; called with an argv (in-process use), it leaves the collector as it was."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    probe = (
        "import gc, io, sys, contextlib\n"
        "from hardpin.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['check', '--exit-zero', 'Dockerfile'])\n"
        "    kept = gc.get_freeze_count()\n"
        "    sys.argv = ['hardpin', 'check', '--exit-zero', 'Dockerfile']\n"
        "    main()\n"
        "print(kept, gc.get_freeze_count() > 0, gc.isenabled())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "True", "True"]
