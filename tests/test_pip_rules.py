"""The pip rules (HP201 HP202 HP203 HP210), their shared command-line analysis, and parity
with hadolint's DL3013 and OpenSSF Scorecard's pip checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import CORPUS, FIXTURES, ROOT, requires_corpus

from hardpin.analysis.options import parse
from hardpin.analysis.pip import (
    PIP,
    _candidates,
    archive_at_commit,
    classify,
    git_ref,
    pip_command,
    url_problem,
    vcs_problem,
)
from hardpin.analysis.shell import UNKNOWN, resolve
from hardpin.discovery import kind_of
from hardpin.engine import lint_text
from hardpin.model import Severity
from hardpin.parsers.shell import parse_commands
from hardpin.settings import Settings
from hardpin.urls import redact

CODES = ("HP201", "HP202", "HP203", "HP210")
SHA = "0123456789abcdef0123456789abcdef01234567"
H1 = "2a6386ad2db20e7f55073f69a98d6da2cf9f168e05e7487d2670baeb9b7601c5"


def lint(text: str, kind: str = "dockerfile", base_dir: str | None = None,
         settings: Settings | None = None):  # fmt: skip
    name = "Dockerfile" if kind == "dockerfile" else "script.sh"
    return lint_text(name, kind, textwrap.dedent(text), settings or Settings(), base_dir=base_dir)


def found(text: str, code: str, **kw) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in lint(text, **kw) if f.code == code]


def words(text: str):
    return parse_commands(text)[0].words


# ---------------------------------------------------------------------------
# the fixtures, read with the fixture directory as the build context
# (tests/test_rule_fixtures.py runs them too; the requirement files next to the HP202
# fixtures are found only when the document's directory is the fixture directory)


FIXTURE_CASES = sorted(
    p
    for code in CODES
    for p in (FIXTURES / "rules" / code).glob("*")
    if kind_of(p) is not None and p.suffix != ".expected"
)


@pytest.mark.parametrize("path", FIXTURE_CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_with_its_directory_as_context(path: Path) -> None:
    code = path.parent.name
    got = lint_text(
        path.name, kind_of(path), path.read_text(), Settings(), base_dir=str(path.parent)
    )
    want = [
        ln.strip()
        for ln in path.with_name(path.name + ".expected").read_text().splitlines()
        if ln.strip()
    ]
    assert [f"{f.code} {f.line}:{f.column}" for f in got if f.code == code] == want


# ---------------------------------------------------------------------------
# command-line analysis


@pytest.mark.parametrize(
    ("cmd", "tool", "first"),
    [
        ("pip install x", "pip", "install"),
        ("pip3 install x", "pip", "install"),
        ("/opt/venv/bin/pip3.12 install x", "pip", "install"),
        ("python -m pip install x", "pip", "install"),
        ("python3.12 -u -m pip install x", "pip", "install"),
        ("pypy3 -m pip install x", "pip", "install"),
        ('"$PYTHON" -m pip install x', "pip", "install"),
        ("python -mpip install x", "pip", "install"),
        ("uv pip install x", "uv", "install"),
        ("uv --no-cache --cache-dir /c pip install x", "uv", "install"),
        ("pipx install x", "pipx", "install"),
    ],
)
def test_pip_spellings(cmd: str, tool: str, first: str) -> None:
    got = pip_command(words(cmd))
    assert got is not None
    assert got[0] == tool and got[1][0].value == first


@pytest.mark.parametrize("cmd", ["python -m venv /v", "python setup.py install", "pipenv install x",
                                 "uv sync", "echo pip install x", "pip-compile x"])  # fmt: skip
def test_not_pip(cmd: str) -> None:
    assert pip_command(words(cmd)) is None


def test_option_parsing_like_optparse() -> None:
    args = words("x -qU -rreq.txt --requirement=dev.txt -c c.txt --no-cache --extra-index u2 -e . "
                 "--target /opt/x --platform any -- --weird")[1:]  # fmt: skip
    parsed = parse(args, PIP)
    opts, operands = parsed.options, parsed.operands
    got = [(o.name, o.value) for o in opts]
    assert ("--quiet", None) in got and ("--upgrade", None) in got
    assert ("--requirement", "req.txt") in got and ("--requirement", "dev.txt") in got
    assert ("--constraint", "c.txt") in got
    assert ("--no-cache-dir", None) in got  # unique prefix
    assert ("--extra-index-url", "u2") in got
    assert ("--editable", ".") in got
    assert ("--target", "/opt/x") in got and ("--platform", "any") in got
    assert [w.value for w in operands] == ["--weird"]


def test_classify() -> None:
    assert classify("flask").kind == "name"
    assert classify("flask[async]").extras == ("async",)
    r = classify("flask>=2,<3")
    assert r.kind == "name" and not r.exact and r.specifier
    assert classify("flask==3.0").exact and classify("x===1").exact
    assert not classify("flask==3.*").exact
    assert classify(f"flask=={UNKNOWN}").exact  # `flask==$VERSION`
    assert classify(UNKNOWN).kind == "unknown"
    assert classify(f"{UNKNOWN}>=1").kind == "unknown"
    assert classify(".").kind == "path" and classify(".[dev]").kind == "path"
    assert classify("/wheels/*.whl").kind == "file" and classify("app.tar.gz").kind == "file"
    assert classify("git+https://x/y.git@main").kind == "vcs"
    assert classify("https://x/y.whl").kind == "url"
    assert classify("file:///x.whl").kind == "path"
    r = classify("tool @ git+https://x/tool.git@main")
    assert r.kind == "vcs" and r.name == "tool" and r.url == "git+https://x/tool.git@main"
    assert classify("readthedocs-ext", editable=True).kind == "path"


def test_git_refs_and_problems() -> None:
    assert git_ref("git+ssh://git@github.com/o/r.git@v1#egg=r") == "v1"
    assert git_ref("git+https://github.com/o/r.git") is None
    assert git_ref("git+https://token@github.com/o/r.git") is None
    assert vcs_problem(f"git+https://github.com/o/r.git@{SHA}") is None
    assert vcs_problem(f"git+https://github.com/o/r.git@{SHA}{SHA[:24]}") is None  # sha256 repos
    assert "abbreviated" in (vcs_problem("git+https://github.com/o/r.git@0123abc") or "")
    assert "Mercurial" in (vcs_problem(f"hg+https://h/r@{SHA}") or "")
    assert url_problem(f"https://x/p.tar.gz#sha256={H1}") is None
    assert "weak" in (url_problem("https://x/p.tar.gz#md5=0123456789abcdef0123456789abcdef") or "")
    assert archive_at_commit(f"https://github.com/o/r/archive/{SHA}.tar.gz")
    assert archive_at_commit(f"https://codeload.github.com/o/r/tar.gz/{SHA}")
    assert not archive_at_commit("https://github.com/o/r/archive/refs/heads/main.zip")


def test_resolve_and_redact() -> None:
    assert (
        resolve("$A-${B:-x}", {"A": "1", "B": None}) == f"1-{UNKNOWN}"
    )  # B may come from the base image
    assert resolve("$A-${B:-x}", {"A": "1", "B": ""}) == "1-x"
    assert resolve("$A", {}) == UNKNOWN
    assert resolve("$(cat f)", {}) == UNKNOWN
    assert resolve("pkg==$1", {}) == f"pkg=={UNKNOWN}"
    assert redact("https://user:s3cret@host/simple") == "https://***@host/simple"
    assert redact("git+ssh://git@github.com/o/r") == "git+ssh://git@github.com/o/r"


def test_copy_candidates() -> None:
    assert _candidates(
        ["requirements.txt"], "/app", "/app/requirements.txt", dest_may_be_file=True
    ) == [
        "requirements.txt/requirements.txt",
        "requirements.txt",
    ]
    assert _candidates(["reqs.txt"], "/app/r.txt", "/app/r.txt", dest_may_be_file=True) == [
        "reqs.txt"
    ]
    assert _candidates(["."], "/app", "/app/sub/r.txt", dest_may_be_file=False) == ["sub/r.txt"]
    assert _candidates(["./src/"], "/app", "/app/r.txt", dest_may_be_file=False) == ["src/r.txt"]
    assert _candidates(["req*.txt"], "/srv", "/srv/req-dev.txt", dest_may_be_file=False) == [
        "req-dev.txt"
    ]
    assert _candidates(["req*.txt"], "/srv", "/srv/other.txt", dest_may_be_file=False) == []


# ---------------------------------------------------------------------------
# HP201


def test_hp201_names_pinned_by_a_copied_requirements_or_constraints_file(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (tmp_path / "constraints.txt").write_text("flask==3.0.3\nclick>=8\n")
    text = """\
        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt constraints.txt ./
        RUN pip install -r requirements.txt gunicorn
        RUN pip install -c constraints.txt flask click
        RUN pip install -c /nowhere.txt anything
        """
    assert found(text, "HP201", base_dir=str(tmp_path)) == [(5, 42)]


def test_hp201_does_not_import_packaging_for_plain_names() -> None:
    code = textwrap.dedent(
        """
        import sys
        from hardpin.engine import lint_text
        from hardpin.settings import Settings
        lint_text("Dockerfile", "dockerfile", "FROM x\\nRUN pip install flask\\nRUN apt-get update\\n", Settings())
        print("packaging.requirements" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")}, check=True)  # fmt: skip
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# HP202


def test_hp202_build_context_setting(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"flask==3.0.3 --hash=sha256:{H1}\n")
    docker = tmp_path / "docker"
    docker.mkdir()
    text = (
        "FROM python:3.12\nCOPY requirements.txt /app/\nRUN pip install -r /app/requirements.txt\n"
    )
    assert found(text, "HP202", base_dir=str(docker)) == [(3, 20)]
    s = Settings(extra=(("build-context", ".."),))
    assert found(text, "HP202", base_dir=str(docker), settings=s) == []


def test_hp202_copy_to_an_existing_directory_without_slash(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"flask==3.0.3 --hash=sha256:{H1}\n")
    text = """\
        FROM python:3.12
        WORKDIR /app
        COPY requirements.txt /app
        RUN pip install -r /app/requirements.txt
        ADD ["requirements.txt", "/srv/"]
        RUN cd /srv && pip install -r ./requirements.txt
        """
    assert found(text, "HP202", base_dir=str(tmp_path)) == []


def test_hp202_unreadable_include_of_a_hashed_file_is_still_enforced(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(f"-r missing.txt\nflask==3.0.3 --hash=sha256:{H1}\n")
    (tmp_path / "only-include.txt").write_text("-r missing.txt\n")
    text = """\
        FROM python:3.12
        COPY . /app/
        WORKDIR /app
        RUN pip install -r requirements.txt
        RUN pip install -r only-include.txt
        """
    assert found(text, "HP202", base_dir=str(tmp_path)) == [(5, 20)]


def test_hp202_script_cd_to_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "requirements.txt").write_text(f"flask==3.0.3 --hash=sha256:{H1}\n")
    text = (
        "cd sub\npip install -r requirements.txt\ncd /elsewhere\npip install -r requirements.txt\n"
    )
    assert found(text, "HP202", kind="shell", base_dir=str(tmp_path)) == [(4, 16)]


def test_hp202_file_written_with_hashes_in_an_earlier_run() -> None:
    text = """\
        FROM python:3.12
        WORKDIR /app
        RUN pip-compile --generate-hashes requirements.in
        RUN pip install -r requirements.txt
        RUN poetry export -f requirements.txt --output /tmp/r.txt --without-hashes
        RUN pip install -r /tmp/r.txt
        """
    assert found(text, "HP202") == [(6, 20)]


# ---------------------------------------------------------------------------
# HP210


def test_hp210_severity_per_finding_and_no_secret_in_output() -> None:
    text = """\
        FROM python:3.12
        RUN pip install -i http://pypi.internal/simple --extra-index-url https://u:s3cret@x.org/simple a==1
        RUN pip install --extra-index-url http://mirror.internal/simple a==1
        """
    got = [(f.line, f.severity) for f in lint(text) if f.code == "HP210"]
    assert got == [(2, Severity.ERROR), (2, Severity.WARNING), (3, Severity.ERROR)]
    for f in lint(text):
        assert "s3cret" not in f.message and "s3cret" not in f.subject


def test_hp210_severity_can_still_be_configured() -> None:
    s = Settings(severity=(("HP210", Severity.INFO),))
    text = "FROM python:3.12\nRUN pip install --extra-index-url https://x.org/simple -i http://y/simple a==1\n"
    assert {f.severity for f in lint(text, settings=s) if f.code == "HP210"} == {Severity.INFO}


# ---------------------------------------------------------------------------
# parity with hadolint DL3013 and OpenSSF Scorecard


def _hadolint() -> str | None:
    cand = Path(sys.executable).with_name("hadolint")
    return str(cand) if cand.exists() else shutil.which("hadolint")


@pytest.mark.skipif(_hadolint() is None, reason="hadolint is not installed")
def test_every_dl3013_finding_is_reported_by_hardpin() -> None:
    exe = _hadolint()
    assert exe is not None
    checked = 0
    for code in ("HP201", "HP202", "HP203"):
        for path in sorted((FIXTURES / "rules" / code).glob("*.Dockerfile")):
            if path.name == "deviations.Dockerfile":
                continue  # documented differences (see HP201's docs)
            out = subprocess.run([exe, "--no-fail", "--format", "json", str(path)],
                                 capture_output=True, text=True, timeout=60)  # fmt: skip
            import json

            try:
                results = json.loads(out.stdout or "[]")
            except ValueError:
                continue  # hadolint cannot parse the file (heredocs)
            lines = {r["line"] for r in results if r.get("code") == "DL3013"}
            ours = {f.line for f in lint_text(path.name, "dockerfile", path.read_text(), Settings(),
                                              base_dir=str(path.parent)) if f.code in CODES}  # fmt: skip
            assert lines <= ours, (path.name, sorted(lines - ours))
            checked += len(lines)
    assert checked >= 10


# Lines of Scorecard's own test files that it reports as unpinned pip installs.
SCORECARD_DOCKERFILE = """\
FROM python:3.7
RUN ["pip", "install", "-r", "requirements.txt"]
RUN ["pip3", "install", "-r", "requirements.txt"]
RUN ["/bin/pip", "install", "-r", "requirements.txt"]
RUN pip install -r any_file
RUN pip3 install -r bla-requirements.txt
RUN ["/bin/pip", "install", "--upgrade", "-r", "requirements.txt"]
RUN pip install somepkg
RUN pip3 install somepkg==1.2.3
RUN /bin/pip3 install -X -H somepkg
RUN python2.7 -m pip install -X -H somepkg \\
    'some-ther==1.2.3' \\
    'somebla<3.4.5'
RUN ["python", "-m", "pip", "install", "-X", "-H", "somepkg", "'some-ther==1.2.3'", "'somebla<3.4.5'"]
RUN python -m pip install bla1.whl 'some-pkg>1.2.3'
RUN python -m pip install "some-pkg>1.2.3" bla2.whl
RUN python -m pip install -r file
RUN python -m pip install 'some-pkg==1.2.3'
RUN python -m pip install 'some-pkg>1.2.3'
RUN pip install --no-deps -e hg+https://github.com/username/repo.git@0123456789abcdef0123456789abcdef01234567#egg=package
RUN pip install --no-deps -e svn+https://github.com/username/repo.git@0123456789abcdef0123456789abcdef01234567#egg=package
RUN pip install --no-deps -e bzr+https://github.com/username/repo.git@0123456789abcdef0123456789abcdef01234567#egg=package
RUN pip install --no-deps -e git+https://github.com/username/repo.git
RUN pip install --no-deps -e git+https://github.com/username/repo.git#egg=package
RUN pip install --no-deps -e git+https://github.com/username/repo.git@v1.0
RUN pip install --no-deps -e git+https://github.com/username/repo.git@v1.0#egg=package
RUN pip install -e git+https://github.com/username/repo.git@0123456789abcdef0123456789abcdef01234567#egg=package
RUN python -m pip install --no-deps -e git+https://github.com/username/repo.git
RUN pip install -e .
RUN pip install --no-cache-dir flask==3.0.3
"""


def test_every_scorecard_pip_finding_is_reported_by_hardpin() -> None:
    found_lines = {f.line for f in lint(SCORECARD_DOCKERFILE) if f.code in CODES}
    lines = SCORECARD_DOCKERFILE.splitlines()
    expected = {i + 1 for i, ln in enumerate(lines) if ln.startswith("RUN")}
    assert expected <= found_lines, sorted(expected - found_lines)
    # the same in a shell script
    script = "\n".join(
        ln[4:] for ln in lines if ln.startswith("RUN ") and not ln.startswith("RUN [")
    )
    script_lines = {
        i + 1
        for i, ln in enumerate(script.splitlines())
        if ln.strip() and not ln.startswith("    ")
    }
    got = {f.line for f in lint(script, kind="shell") if f.code in CODES}
    assert script_lines <= got, sorted(script_lines - got)


SCORECARD_CORPUS = CORPUS / "dockerfiles" / "ossf__scorecard"


@requires_corpus("dockerfiles", "ossf__scorecard")
@pytest.mark.parametrize(
    ("name", "lines"),
    [
        (
            "checks__raw__testdata__Dockerfile-download-lines",
            {42, 46, 47, 48, 49, 50, 51, 52, 60, 64},
        ),
        ("checks__raw__testdata__Dockerfile-download-heredoc", {20, 36, 43}),
    ],
)
def test_scorecard_testdata_in_the_corpus(name: str, lines: set[int]) -> None:
    path = SCORECARD_CORPUS / name
    got = {
        f.line
        for f in lint_text(str(path), "dockerfile", path.read_text(), Settings())
        if f.code in CODES
    }
    assert lines <= got, sorted(lines - got)
