"""The GitHub Action (action.yml): its shape, read from the file, and its two shell steps
run as the runner runs them (`bash --noprofile --norc -eo pipefail`), with the install step
taking hardpin's hashed dependencies from local wheels instead of PyPI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging_support import offline_pip_env, snapshot

import hardpin

ACTION_TEXT = (ROOT / "action.yml").read_text(encoding="utf-8")
ACTION: dict[str, Any] = yaml.safe_load(ACTION_TEXT)
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
LOCK = ROOT / ".github" / "action-requirements.txt"
BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]  # the runner's `shell: bash`


def step(step_id: str) -> dict[str, Any]:
    (found,) = [s for s in STEPS if s.get("id") == step_id]
    return found


def test_every_action_used_is_pinned_by_commit() -> None:
    uses = [s["uses"] for s in STEPS if "uses" in s]
    assert uses
    for u in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u), u
    # and says which release the commit is, as `pre-commit autoupdate --freeze` would
    for line in ACTION_TEXT.splitlines():
        if re.match(r"\s*(- )?uses:", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line


def test_inputs_reach_scripts_through_the_environment_and_quoted() -> None:
    for s in STEPS:
        script = s.get("run")
        if script is None:
            continue
        # an expression inside a script is a script injection (and word-splits)
        assert "${{" not in script, s.get("name")
        for var in ("ARGS", "PATHS", "SARIF", "HARDPIN", "PYTHON", "ACTION_PATH"):
            for m in re.finditer(rf"\$\{{?{var}\b", script):
                before = script[: m.start()]
                # inside double quotes: an odd number of quotes on the line before it
                assert before.rsplit("\n", 1)[-1].count('"') % 2 == 1, (var, s.get("name"))
        # the arrays, expanded only in the quoted forms (the `+` form keeps an empty array
        # from tripping `set -u` on old bash)
        rest = re.sub(r'\$\{(\w+)\[@\]\+"\$\{\1\[@\]\}"\}|"\$\{\w+\[@\]\}"', "", script)
        assert not re.search(r"\$\{?(args|paths|arg_list|path_list|pip)\b", rest), rest


def test_the_jobs_python_is_left_alone() -> None:
    for s in STEPS:
        if s.get("uses", "").startswith("actions/setup-python@"):
            assert s["with"]["update-environment"] is False
    install = step("install")["run"]
    assert '"$RUNNER_TEMP/hardpin-venv"' in install
    assert "GITHUB_PATH" not in ACTION_TEXT and "GITHUB_ENV" not in ACTION_TEXT


def test_install_is_hash_checked_from_the_actions_checkout() -> None:
    assert "version" not in ACTION["inputs"]  # hardpin is not installed from an index
    install = step("install")["run"]
    assert re.search(
        r"install --require-hashes --no-deps -r \"\$ACTION_PATH/\.github/action-requirements\.txt\"",
        install,
    )
    assert re.search(r'install --no-deps --no-build-isolation "\$ACTION_PATH"', install)


def _upload_condition(upload: str, exit_code: str) -> bool:
    """Evaluate the upload step's `if:` for a run that succeeded as a step (the run step
    itself exits 0 for hardpin's exit codes 0 and 1)."""
    (s,) = [s for s in STEPS if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    expr = s["if"].strip()
    expr = expr.removeprefix("${{").removesuffix("}}")
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = expr.replace("success()", "True")
    expr = expr.replace("inputs.upload-sarif", repr(upload))
    expr = expr.replace("steps.run.outputs.exit-code", repr(exit_code))
    assert re.fullmatch(r"[\s()'\w=!]*", expr), expr  # nothing left unevaluated
    return bool(eval(expr, {"__builtins__": {}}))


def test_sarif_is_uploaded_only_from_runs_that_did_not_fail() -> None:
    assert _upload_condition("true", "0")
    assert _upload_condition("true", "1")
    assert not _upload_condition("true", "2")
    assert not _upload_condition("false", "1")
    (s,) = [s for s in STEPS if "upload-sarif" in s.get("uses", "")]
    assert "always()" not in s["if"]


def test_lock_pins_every_dependency_with_hashes() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins: dict[str, str] = {}
    for entry in re.sub(r"\\\n", " ", LOCK.read_text(encoding="utf-8")).splitlines():
        entry = entry.split("#", 1)[0].strip()
        if not entry or entry.startswith("-"):
            continue
        m = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)((?:\s+--hash=sha256:[0-9a-f]{64})+)", entry)
        assert m, f"not pinned with hashes: {entry}"
        pins[canonicalize_name(m.group(1))] = m.group(2)
    needed = pyproject["project"]["dependencies"] + pyproject["build-system"]["requires"]
    for spec in needed:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} missing: run scripts/lock_action.sh"
        assert req.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {req}: run scripts/lock_action.sh"
        )


# --------------------------------------------------------------------------- the steps run


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def test_install_step_builds_hardpin_from_the_checkout_with_checked_hashes(
    tmp_path: Path,
) -> None:
    action_path = snapshot(tmp_path / "action")
    out = tmp_path / "github-output"
    out.touch()
    env = offline_pip_env(
        PYTHON=sys.executable,
        ACTION_PATH=str(action_path),
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
        GITHUB_OUTPUT=str(out),
        PIP_NO_COMPILE="1",
    )
    (tmp_path / "runner-temp").mkdir()
    r = subprocess.run(
        [*BASH, "-c", step("install")["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.strip().endswith(f"hardpin {hardpin.__version__}")
    exe = _outputs(out)["hardpin"]
    assert exe == str(tmp_path / "runner-temp" / "hardpin-venv" / "bin" / "hardpin")
    # the installed distributions are hardpin and exactly the locked ones
    lock = LOCK.read_text(encoding="utf-8")
    listing = subprocess.run(
        [
            str(Path(exe).parent / "python"),
            "-c",
            "import importlib.metadata as m\n"
            "for d in m.distributions(): print(d.metadata['Name'], d.version)",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.split("\n")
    installed = dict(line.split() for line in listing if line)
    assert installed.pop("hardpin") == hardpin.__version__
    assert installed
    for name, version in installed.items():
        pin = rf"(?im)^{re.escape(canonicalize_name(name))}=={re.escape(version)} "
        assert re.search(pin, lock), f"{name} {version} is not in the lock"


def test_install_step_refuses_a_file_whose_hash_does_not_match(tmp_path: Path) -> None:
    action_path = snapshot(tmp_path / "action")
    lock = action_path / ".github" / "action-requirements.txt"
    text = lock.read_text(encoding="utf-8")
    # every hash of the first requirement replaced: pip must refuse its file
    first_hashes = re.search(r"^[A-Za-z].*?(?=^[A-Za-z])", text, re.M | re.S)
    assert first_hashes
    block = first_hashes.group(0)
    lock.write_text(text.replace(block, re.sub(r"[0-9a-f]{64}", "0" * 64, block)))
    out = tmp_path / "github-output"
    out.touch()
    (tmp_path / "runner-temp").mkdir()
    env = offline_pip_env(
        PYTHON=sys.executable,
        ACTION_PATH=str(action_path),
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
        GITHUB_OUTPUT=str(out),
    )
    r = subprocess.run(
        [*BASH, "-c", step("install")["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode != 0
    assert "hash" in r.stderr.lower(), r.stderr[-2000:]
    assert "hardpin" not in _outputs(out)


def _run_step(tmp_path: Path, args: str, paths: str) -> tuple[int, dict[str, str], str, Path]:
    out = tmp_path / "github-output"
    out.write_text("")
    sarif = tmp_path / "report.sarif"
    hardpin_exe = Path(sys.executable).parent / "hardpin"
    env = {
        **os.environ,
        "HARDPIN": str(hardpin_exe),
        "ARGS": args,
        "PATHS": paths,
        "SARIF": str(sarif),
        "GITHUB_OUTPUT": str(out),
        "NO_COLOR": "1",
        "HARDPIN_OFFLINE": "1",
    }
    r = subprocess.run(
        [*BASH, "-c", step("run")["run"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return r.returncode, _outputs(out), r.stdout + r.stderr, sarif


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM debian\nUSER nobody\n")
    # a file a glob in the inputs would pick up if the shell expanded it
    (tmp_path / "app-extra.Dockerfile").write_text("FROM busybox\n")
    return tmp_path


def test_run_step_with_findings_writes_sarif_and_annotations(project: Path) -> None:
    code, outputs, log, sarif = _run_step(project, "--select HP102\n--fail-on  warning", "app")
    assert code == 0  # the step succeeds; "Fail on findings" fails the job afterwards
    assert outputs["exit-code"] == "1"
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"HP102"}
    assert "::warning file=app/Dockerfile,line=1" in log or "::error file=app/Dockerfile" in log


def test_run_step_takes_inputs_literally(project: Path) -> None:
    # `app*` is not expanded by the shell: hardpin is told about a path named `app*`
    code, outputs, log, _sarif = _run_step(project, "", "app*")
    assert (code, outputs["exit-code"]) == (2, "2")
    assert "app*: no such file or directory" in log
    assert "::error title=hardpin::" in log
    # an argument with a `$` or a backtick is passed on, not run
    code, outputs, log, _sarif = _run_step(project, "--select $(touch pwned)`touch pwned2`", ".")
    assert not (project / "pwned").exists() and not (project / "pwned2").exists()
    assert outputs["exit-code"] == "2"


def test_run_step_on_a_clean_tree(project: Path) -> None:
    code, outputs, _log, sarif = _run_step(project, "--ignore HP1,HP4", "app")
    assert (code, outputs["exit-code"]) == (0, "0")
    assert json.loads(sarif.read_text())["runs"][0]["results"] == []
