"""`hardpin check --fix` never leaves a requirements file pip refuses.

pip turns hash checking on for a whole install as soon as one requirement it reads has
a `--hash`, and then refuses every requirement that is not pinned with `==` and
hashed. So hashes are added only when, after the fix, every requirement pip reads
for the file is pinned and hashed. Each fix here runs through the command line
against a real index on loopback, and pip (`install --dry-run --no-deps -r`) reads
every file before and after it (`stays_installable`)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli
from index_support import (
    IndexModel,
    LocalIndex,
    index_server,
    local_index,
    pip_dry_run,
    start_index,
    stays_installable,
)
from test_lock import HAVE_PIP_COMPILE, HAVE_UV

ISSUE_EXAMPLE = "flask==3.0.3\nidna==3.7\nrequests\nurllib3>=2.0\n"
DOCKERFILE = "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n"


@pytest.fixture(scope="module")
def issue_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """An index with the projects of the issue's example (no dependencies between them)."""
    m = IndexModel(str(tmp_path_factory.mktemp("issue-index")))
    for name, version in [
        ("flask", "3.0.3"),
        ("idna", "3.7"),
        ("requests", "2.32.3"),
        ("urllib3", "2.2.2"),
        ("urllib3", "1.26.19"),
    ]:
        m.release(name, version)
    idx = start_index(m)
    try:
        yield idx
    finally:
        idx.close()


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_INDEX_URL": "",
        "PIP_EXTRA_INDEX_URL": "",
    }


def _fix(
    index: LocalIndex, tmp_path: Path, files: list[Path], *args: str
) -> subprocess.CompletedProcess[str]:
    """`hardpin check --fix ARGS` against `index`, pip reading `files` before and after."""
    with stays_installable(index.url, *files):
        return run_cli(
            "check",
            "--fix",
            "--index-url",
            index.url,
            *args,
            cwd=tmp_path,
            env=_env(tmp_path),
        )


def _findings(r: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return json.loads(r.stdout)["findings"]  # type: ignore[no-any-return]


def _hashed(index: LocalIndex, name: str, version: str, marker: str = "") -> str:
    lines = "".join(f" \\\n    --hash={h}" for h in index.model.hashes(name, version))
    return f"{name}=={version}{marker}{lines}\n"


def test_the_issue_example_end_to_end(issue_index: LocalIndex, tmp_path: Path) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(ISSUE_EXAMPLE)
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    assert pip_dry_run(req, issue_index.url).returncode == 0  # installs fine as it is
    r = _fix(issue_index, tmp_path, [req], "--select", "HP202,HP301,HP302,HP303", ".")
    # nothing is hashed: pip would refuse the two unpinned requirements
    assert r.returncode == 1 and req.read_text() == ISSUE_EXAMPLE, r.stdout + r.stderr
    why = (
        "not hashed: adding hashes would make pip refuse the 2 unpinned requirement(s) "
        "(requests, urllib3>=2.0); pin them or lock the file with pip-compile --generate-hashes"
    )
    out = [ln for ln in r.stdout.splitlines() if ln.startswith("requirements.txt:")]
    assert len(out) == 4 and all(why in ln for ln in out[:2]), r.stdout
    assert (
        "HP202 warning: none of the 4 requirement(s) in requirements.txt has a --hash" in r.stdout
    )
    assert r.stderr == ""  # no lookup was needed, none failed
    # HP301 has nothing to re-lock from: not fixable, and not shown as fixable
    js = run_cli("check", "--format", "json", "requirements.txt", cwd=tmp_path, env=_env(tmp_path))
    avail = {(f["code"], f["line"]): f["fix"] for f in _findings(js)}  # type: ignore[index]
    assert avail[("HP301", 3)] is avail[("HP301", 4)] is avail[("HP302", 1)] is None, avail
    (tmp_path / "requirements.in").write_text("flask\nidna\nrequests\nurllib3\n")
    js = run_cli("check", "--format", "json", "requirements.txt", cwd=tmp_path, env=_env(tmp_path))
    avail = {(f["code"], f["line"]): f["fix"] for f in _findings(js)}  # type: ignore[index]
    assert avail[("HP301", 3)] == avail[("HP301", 4)] == "network", avail
    (tmp_path / "requirements.in").unlink()

    # pinned by hand: now every requirement gets its hashes, and the Dockerfile's HP202,
    # recomputed on the fixed file, is gone
    pinned = ISSUE_EXAMPLE.replace("requests\n", "requests==2.32.3\n").replace(
        "urllib3>=2.0", "urllib3==2.2.2"
    )
    req.write_text(pinned)
    r = _fix(issue_index, tmp_path, [req], "--select", "HP202,HP301,HP302,HP303", ".")
    assert r.returncode == 0, r.stdout + r.stderr
    assert req.read_text() == "".join(
        _hashed(issue_index, n, v)
        for n, v in [
            ("flask", "3.0.3"),
            ("idna", "3.7"),
            ("requests", "2.32.3"),
            ("urllib3", "2.2.2"),
        ]
    )
    assert "HP202" not in r.stdout and "Fixed 4" in r.stdout + r.stderr, r.stdout + r.stderr
    dry = pip_dry_run(req, issue_index.url)
    assert dry.returncode == 0 and "Would install" in dry.stdout, dry.stdout + dry.stderr
    again = _fix(issue_index, tmp_path, [req], "--select", "HP202,HP301,HP302,HP303", ".")
    assert again.returncode == 0 and "Fixed" not in again.stdout + again.stderr


@pytest.mark.skipif(not (HAVE_PIP_COMPILE or HAVE_UV), reason="needs pip-tools or uv")
def test_the_issue_example_relocks_from_its_input_with_unsafe_fixes(
    issue_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    req.write_text(ISSUE_EXAMPLE)
    (tmp_path / "requirements.in").write_text("flask\nidna\nrequests\nurllib3>=2.0\n")
    plain = _fix(issue_index, tmp_path, [req], "--select", "HP301,HP302", "requirements.txt")
    assert plain.returncode == 1 and req.read_text() == ISSUE_EXAMPLE
    assert "pin them or re-lock from requirements.in (--fix --unsafe-fixes)" in plain.stdout
    fixed = _fix(
        issue_index,
        tmp_path,
        [req],
        "--unsafe-fixes",
        "--select",
        "HP301,HP302",
        "requirements.txt",
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    text = req.read_text()
    # the lock pins and hashes everything: hash edits and re-lock went together
    for name, version in [("flask", "3.0.3"), ("requests", "2.32.3"), ("urllib3", "2.2.2")]:
        assert f"{name}=={version} \\\n    --hash=sha256:" in text, text


def test_an_include_is_fixed_with_the_file_that_names_it(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    base = tmp_path / "requirements-base.txt"
    req.write_text("-r requirements-base.txt\nalpha==1.1\n")
    base.write_text("beta==1.0\n")
    # naming requirements.txt brings in the file it includes: both are hashed together
    r = _fix(local_index, tmp_path, [req, base], "--select", "HP302,HP303", "requirements.txt")
    assert r.returncode == 0, r.stdout + r.stderr
    assert req.read_text() == "-r requirements-base.txt\n" + _hashed(local_index, "alpha", "1.1")
    assert base.read_text() == _hashed(local_index, "beta", "1.0")
    req.write_text("-r requirements-base.txt\nalpha==1.1\n")
    base.write_text("beta==1.0\n")
    # both fixed in one run: both hashed, and a second run changes nothing
    r = _fix(local_index, tmp_path, [req, base], "--select", "HP302,HP303", ".")
    assert r.returncode == 0, r.stdout + r.stderr
    assert req.read_text() == "-r requirements-base.txt\n" + _hashed(local_index, "alpha", "1.1")
    assert base.read_text() == _hashed(local_index, "beta", "1.0")
    assert r.stdout.startswith("All checks passed") or "HP30" not in r.stdout, r.stdout
    again = _fix(local_index, tmp_path, [req, base], "--select", "HP302,HP303", ".")
    assert again.returncode == 0 and "Fixed" not in again.stdout + again.stderr


def test_a_file_is_not_hashed_when_a_file_that_includes_it_cannot_be(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    base = tmp_path / "requirements-base.txt"
    req.write_text("-r requirements-base.txt\nalpha>=1\n")
    base.write_text("beta==1.0\n")
    # requirements-base.txt alone could take hashes, but `pip install -r requirements.txt`
    # reads it too, and would then refuse the unpinned alpha
    r = _fix(local_index, tmp_path, [req, base], "--select", "HP301,HP302,HP303", ".")
    assert base.read_text() == "beta==1.0\n" and r.returncode == 1, r.stdout + r.stderr
    [line] = [ln for ln in r.stdout.splitlines() if ln.startswith("requirements-base.txt:1:1")]
    assert (
        "[not hashed: requirements.txt includes it, and adding hashes would make pip refuse "
        "the 1 unpinned requirement(s) (alpha>=1)" in line
    ), line


def test_one_missing_hash_in_a_hashed_file_is_added_and_pip_accepts_it_again(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    req = tmp_path / "requirements.txt"
    hashed = _hashed(local_index, "alpha", "1.1")
    req.write_text(hashed + "beta==1.0\n")
    with stays_installable(local_index.url, req) as before:
        r = run_cli(
            "check",
            "--fix",
            "--index-url",
            local_index.url,
            "--select",
            "HP303",
            "requirements.txt",
            cwd=tmp_path,
            env=_env(tmp_path),
        )
    assert "all requirements must have" in before[str(req)].stderr or "Hashes are required" in (
        before[str(req)].stderr
    )
    assert before[str(req)].returncode != 0  # pip refuses the half-hashed file
    assert r.returncode == 0, r.stdout + r.stderr
    assert req.read_text() == hashed + _hashed(local_index, "beta", "1.0")
    assert pip_dry_run(req, local_index.url).returncode == 0  # and installs it now


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        # constraints are read, but pip asks no pin or hash of them
        ("alpha==1.1\n-c constraints.txt\n", True),
        # --no-binary: the sdist is installed, and its hash is among those added
        ("--no-binary :all:\nalpha==1.1\nbeta==1.0\n", True),
        # a marker that does not hold here does not exempt an unpinned requirement
        ("alpha==1.1\nbeta ; python_version < '3'\n", False),
        # a URL without a hash fragment cannot be hashed by a lookup
        ("alpha==1.1\n{files}/beta-1.0-py3-none-any.whl\n", False),
        # the same URL with its hash: pip accepts it in hash mode
        ("alpha==1.1\n{files}/beta-1.0-py3-none-any.whl#sha256={beta}\n", True),
        # an editable local project cannot be hashed at all
        ("alpha==1.1\n-e ./project\n", False),
    ],
    ids=["constraints", "no-binary", "marker", "url", "url-hashed", "editable"],
)
def test_what_other_lines_allow(
    local_index: LocalIndex, tmp_path: Path, text: str, fixed: bool
) -> None:
    [wheel] = [d for d in local_index.model.files("beta", "1.0") if d.filename.endswith("-any.whl")]
    files = local_index.url.rsplit("/simple/", 1)[0] + "/files/0"
    text = text.format(files=files, beta=wheel.sha256)
    (tmp_path / "constraints.txt").write_text("beta<2\nMulti-Plat>=0.9\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "project"\nversion = "0.1"\n'
    )
    (project / "project.py").write_text("")
    req = tmp_path / "requirements.txt"
    req.write_text(text)
    assert pip_dry_run(req, local_index.url).returncode == 0, text  # installable before
    r = _fix(local_index, tmp_path, [req], "--select", "HP302,HP303", "requirements.txt")
    assert (req.read_text() != text) is fixed, r.stdout + r.stderr
    if fixed:
        assert r.returncode == 0 and _hashed(local_index, "alpha", "1.1") in req.read_text()
    else:
        assert "not hashed: adding hashes would make pip refuse" in r.stdout, r.stdout


def test_a_pip_tools_input_constrained_by_the_file_does_not_stop_its_hashes(
    local_index: LocalIndex, tmp_path: Path
) -> None:
    """`dev.in` with `-c requirements.txt` (pip-tools' layering) is compiled, not
    installed: hashing requirements.txt is fine, while a `-c` from an installed file
    with unpinned requirements is not (pip would turn hash checking on for it)."""
    req = tmp_path / "requirements.txt"
    req.write_text("alpha==1.1\n")
    (tmp_path / "requirements-dev.in").write_text("-c requirements.txt\nbeta\n")
    r = _fix(local_index, tmp_path, [req], "--select", "HP302,HP303", ".")
    assert r.returncode == 0 and req.read_text() == _hashed(local_index, "alpha", "1.1")
    req.write_text("alpha==1.1\n")
    dev = tmp_path / "requirements-dev.txt"
    dev.write_text("-c requirements.txt\nbeta\n")
    r = _fix(local_index, tmp_path, [req, dev], "--select", "HP302,HP303", ".")
    assert req.read_text() == "alpha==1.1\n", r.stdout
    assert "requirements-dev.txt includes it, and adding hashes would make pip refuse the 1 " in (
        r.stdout
    )
