"""What a one-file offline check imports: not dockerfile-parse (and the logging it
brings) to strip quotes, not packaging.requirements for plain pins, nothing from
online/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

DATA = ROOT / "bench" / "data"


def modules_of_check(tmp_path: Path, *names: str) -> list[str]:
    for name in ("Dockerfile", "requirements.txt"):
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    probe = (
        "import sys, json, io, contextlib\n"
        f"sys.argv = ['hardpin', 'check', '--exit-zero', *{list(names)!r}]\n"
        "from hardpin.cli import main\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    rc = main()\n"
        "assert rc == 0 and 'Found' in out.getvalue(), out.getvalue()\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert p.returncode == 0, p.stderr
    return list(json.loads(p.stdout.splitlines()[-1]))


def test_a_dockerfile_check(tmp_path: Path) -> None:
    mods = modules_of_check(tmp_path, "Dockerfile")
    assert "hardpin.parsers.dockerfile" in mods  # the probe did lint it
    # the bench Dockerfile has quoted ENV and LABEL values and COPYs requirements.txt
    for name in ("dockerfile_parse", "logging", "packaging"):
        assert not any(m == name or m.startswith(name + ".") for m in mods), name
    assert not [m for m in mods if m.startswith("hardpin.online")]


def test_a_requirements_check(tmp_path: Path) -> None:
    mods = modules_of_check(tmp_path, "requirements.txt")
    assert "hardpin.rules.hp302" in mods
    assert "packaging.requirements" not in mods  # every line is a plain pin
    assert "dockerfile_parse" not in mods
    assert not [m for m in mods if m.startswith("hardpin.online")]
