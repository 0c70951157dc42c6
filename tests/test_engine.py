"""The run engine: HP001 from parsing whatever is selected, settings of every file,
progress, writes that never lose an edit, crashes that do not end the run."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from hardpin import cli
from hardpin.engine import (
    NetworkOptions,
    ProgressEvent,
    RunRequest,
    display_path,
    lint_text,
    read_file,
    run,
)
from hardpin.fixer import WriteRefused, write_atomic
from hardpin.settings import Overrides, Settings, clear_caches

# a safe offline fix (HP402: ADD -> COPY) and a network one (HP101) that, offline and
# with an empty cache, fails: the network round still runs
DOCKERFILE = "FROM alpine:3.20\nADD app.py /srv/\n"
FIXED = "FROM alpine:3.20\nCOPY app.py /srv/\n"


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    clear_caches()


def _offline(tmp_path: Path) -> NetworkOptions:
    return NetworkOptions(offline=True, cache_dir=str(tmp_path / "cache"))


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    rc = cli.main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


# -- HP001 comes from parsing, whatever rules are selected ---------------------------


def test_hp001_for_a_run_that_does_not_lex_with_only_hp001_selected(tmp_path: Path) -> None:
    text = "FROM alpine:3.20\nRUN echo 'never closed\n"
    for select in (("HP001",), ("HP",)):
        got = [
            (f.code, f.line, f.column, f.message)
            for f in lint_text("Dockerfile", "dockerfile", text, Settings(select=select))
            if f.code == "HP001"
        ]
        assert got == [
            ("HP001", 2, 10, "cannot parse the shell in RUN: unterminated single quote")
        ], select


def test_hp001_of_a_requirements_file_with_only_hp001_selected() -> None:
    text = "flask==3.0.3\n--no-such-option\n"
    got = [
        (f.code, f.line)
        for f in lint_text("requirements.txt", "requirements", text, Settings(select=("HP001",)))
    ]
    assert got == [("HP001", 2)]


def test_hp001_from_the_command_line_with_select(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text('FROM alpine:3.20\nRUN echo "open\n')
    rc, out, _ = _main(capsys, "check", "--select", "HP001", "--format", "json", str(tmp_path))
    found = [(f["code"], f["line"]) for f in json.loads(out)["findings"]]
    assert found == [("HP001", 2)] and rc == 1


def test_the_rules_see_the_scripts_the_engine_parsed() -> None:
    text = "FROM alpine:3.20\nRUN sudo apk add curl\n"
    assert [f.code for f in lint_text("Dockerfile", "dockerfile", text, Settings())].count(
        "HP404"
    ) == 1


# -- settings of every file ------------------------------------------------------------


def _two_projects(tmp_path: Path) -> tuple[Path, Path]:
    strict = tmp_path / "strict"
    lax = tmp_path / "lax"
    for d in (strict, lax):
        d.mkdir()
    # HP402 (ADD where COPY suffices) is a warning
    (strict / ".hardpin.toml").write_text('fail-on = "warning"\nselect = ["HP402"]\n')
    (lax / ".hardpin.toml").write_text('fail-on = "error"\nselect = ["HP404"]\n')
    return strict, lax


def test_fail_on_comes_from_each_files_own_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict, lax = _two_projects(tmp_path)
    (lax / "Dockerfile").write_text("FROM alpine:3.20\nADD a.py /x/\nRUN sudo true\n")
    (strict / "Dockerfile").write_text("FROM alpine:3.20\nRUN true\n")
    # the warning (HP404) is in the lax project, whose fail-on is error; the strict
    # project (first in order) has no finding
    rc, out, _ = _main(capsys, "check", str(lax), str(strict))
    assert "HP404" in out and rc == 0
    rc, out, _ = _main(capsys, "check", str(strict), str(lax))
    assert rc == 0
    # a warning in the strict project fails the run, wherever its file comes in the order
    (strict / "Dockerfile").write_text("FROM alpine:3.20\nADD a.py /x/\n")
    for order in ((str(lax), str(strict)), (str(strict), str(lax))):
        rc, out, _ = _main(capsys, "check", *order)
        assert "HP402" in out and rc == 1, order
    # --fail-on on the command line applies to every file
    rc, _, _ = _main(capsys, "check", "--fail-on", "error", str(strict), str(lax))
    assert rc == 0


def test_sarif_lists_the_rules_every_files_settings_enable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    strict, lax = _two_projects(tmp_path)
    for d in (strict, lax):
        (d / "Dockerfile").write_text("FROM alpine:3.20\n")
    for order in ((str(lax), str(strict)), (str(strict), str(lax))):
        rc, out, _ = _main(capsys, "check", "--format", "sarif", *order)
        ids = [r["id"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]]
        assert ids == ["HP402", "HP404"], order


# -- progress, and writes that never lose an edit -----------------------------------


def test_progress_is_reported_through_the_callback(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE)
    events: list[ProgressEvent] = []
    result = run(
        RunRequest(paths=(str(df),), fix=True, network=_offline(tmp_path), progress=events.append)
    )
    lookups = [(e.done, e.total) for e in events if e.stage == "lookup"]
    assert lookups == [(0, 1), (1, 1)]
    assert [(e.done, e.total) for e in events if e.stage == "lint"] == [(1, 1)]
    assert df.read_text() == FIXED and result.fixed == 1
    [failure] = result.lookup_failures
    assert (failure.code, failure.line, failure.verb) == ("HP101", 1, "cannot fix")


def test_a_file_changed_during_the_network_round_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE)
    other = tmp_path / "b.Dockerfile"
    other.write_text(DOCKERFILE)
    saved = DOCKERFILE + "# a line saved while hardpin was asking the network\n"

    def save_meanwhile(event: ProgressEvent) -> None:
        if event.stage == "lookup" and event.done == 0:
            df.write_text(saved)

    result = run(
        RunRequest(
            paths=(str(tmp_path),),
            fix=True,
            network=_offline(tmp_path),
            progress=save_meanwhile,
        )
    )
    assert df.read_text() == saved  # the edit is kept
    assert other.read_text() == FIXED  # the other file is still fixed
    assert [r.error for r in result.files if r.error] == [
        f"{display_path(str(df))}: changed while hardpin was running; run again"
    ]
    assert not any(f.endswith("Dockerfile") for f in os.listdir(tmp_path) if f.startswith("."))

    # from the command line: the message, and a non-zero exit code even with --exit-zero
    df.write_text(DOCKERFILE)
    import hardpin.engine as engine
    from hardpin._record import replace

    real_run = engine.run

    def run_saving_meanwhile(request: RunRequest) -> engine.RunResult:
        def both(event: ProgressEvent) -> None:
            assert request.progress is not None
            request.progress(event)  # the command line's own callback still runs
            save_meanwhile(event)

        return real_run(replace(request, progress=both))

    monkeypatch.setattr(engine, "run", run_saving_meanwhile)
    rc, out, err = _main(capsys, "check", "--fix", "--exit-zero", "--offline", str(df))
    assert df.read_text() == saved
    assert f"{display_path(str(df))}: changed while hardpin was running; run again" in err
    assert "Dockerfile:2:1: HP402" in out  # the findings are still printed
    assert rc == 2


def test_write_refuses_a_file_whose_bytes_changed_with_the_same_size_and_mtime(
    tmp_path: Path,
) -> None:
    p = tmp_path / "Dockerfile"
    p.write_text("FROM a:1\n")
    _text, stamp = read_file(str(p))
    st = p.stat()
    p.write_text("FROM b:1\n")  # same size
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    with pytest.raises(WriteRefused, match="changed while hardpin was running"):
        write_atomic(str(p), b"FROM c:1\n", expect=stamp)
    assert p.read_text() == "FROM b:1\n"


# -- atomic writes, symlinks, permissions ------------------------------------------------


def test_fix_replaces_the_file_atomically_a_reader_keeps_the_old_content(
    tmp_path: Path,
) -> None:
    df = tmp_path / "Dockerfile"
    old = DOCKERFILE + "".join(f"# line {i}\n" for i in range(2000))
    df.write_text(old)
    before = df.stat().st_ino
    reader = open(df, "rb")
    try:
        result = run(RunRequest(paths=(str(df),), fix=True, network=_offline(tmp_path)))
        assert result.fixed == 1
        # a new inode: the file was renamed over, not rewritten in place, so a reader
        # holding the old file reads the complete old content
        assert df.stat().st_ino != before
        assert reader.read() == old.encode()
    finally:
        reader.close()
    assert df.read_text() == FIXED + old[len(DOCKERFILE) :]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".hardpin-")] == []


def test_fix_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real" / "Dockerfile"
    real.parent.mkdir()
    real.write_text(DOCKERFILE)
    os.chmod(real, 0o640)
    link = tmp_path / "Dockerfile"
    link.symlink_to(os.path.join("real", "Dockerfile"))
    run(RunRequest(paths=(str(link),), fix=True, network=_offline(tmp_path)))
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "Dockerfile")
    assert real.read_text() == FIXED
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    # the link and its target in one run: written once, no "changed" error
    real.write_text(DOCKERFILE)
    result = run(RunRequest(paths=(str(link), str(real)), fix=True, network=_offline(tmp_path)))
    assert real.read_text() == FIXED and link.is_symlink()
    assert result.write_errors == [] and result.fixed == 1


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_fix_as_root_keeps_owner_and_group(tmp_path: Path) -> None:
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE)
    os.chown(df, 1234, 5678)
    run(RunRequest(paths=(str(df),), fix=True, network=_offline(tmp_path)))
    st = df.stat()
    assert df.read_text() == FIXED and (st.st_uid, st.st_gid) == (1234, 5678)


def test_an_unwritable_file_is_reported_and_skipped_the_others_are_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "a" / "Dockerfile"
    fine = tmp_path / "b" / "Dockerfile"
    for p in (locked, fine):
        p.parent.mkdir()
        p.write_text(DOCKERFILE)
    os.chmod(locked, 0o444)
    try:
        rc, out, err = _main(capsys, "check", "--fix", "--offline", str(tmp_path))
    finally:
        os.chmod(locked, 0o644)
    assert locked.read_text() == DOCKERFILE  # never overwritten
    assert fine.read_text() == FIXED
    assert f"{display_path(str(locked))}: not fixed: the file is not writable" in err
    # the findings are still printed, for both files
    assert display_path(str(locked)) + ":2:1: HP402" in out
    assert display_path(str(fine)) + ":1:6: HP101" in out
    assert rc == 2


# -- a crash in one file does not end the run ------------------------------------------


def test_an_exception_in_a_rule_is_an_internal_error_for_that_file_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardpin.rules.hp404 import HP404

    real_check = HP404.check

    def failing(self: HP404, ctx: object) -> None:
        if "boom" in ctx.source.path:  # type: ignore[attr-defined]
            raise KeyError("injected")
        real_check(self, ctx)  # type: ignore[arg-type]

    monkeypatch.setattr(HP404, "check", failing)
    (tmp_path / "boom.Dockerfile").write_text("FROM alpine:3.20\nRUN sudo true\n")
    (tmp_path / "ok.Dockerfile").write_text("FROM alpine:3.20\nRUN sudo true\n")
    sarif = tmp_path / "out.sarif"
    with open(sarif, "w") as fh:
        monkeypatch.setattr(sys, "stdout", fh)
        rc = cli.main(["check", "--format", "sarif", str(tmp_path)])
    assert rc == 2
    doc = json.loads(sarif.read_text())
    results = [
        (
            r["ruleId"],
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1],
            r["message"]["text"],
        )
        for r in doc["runs"][0]["results"]
    ]
    [crash] = [r for r in results if r[1] == "boom.Dockerfile"]
    assert crash[0] == "HP001" and "KeyError" in crash[2] and "Traceback" not in crash[2]
    assert ("HP404", "ok.Dockerfile") in [(r[0], r[1]) for r in results]
    assert "Traceback" not in capsys.readouterr().err

    # text output, and with --fix: the crashed file is left alone
    before = (tmp_path / "boom.Dockerfile").read_text()
    buf = io.StringIO()
    monkeypatch.setattr(sys, "stdout", buf)
    rc = cli.main(["check", "--fix", "--offline", "--exit-zero", str(tmp_path)])
    assert rc == 2
    assert (
        "boom.Dockerfile:1:1: HP001 error: internal error while checking this file (KeyError"
        in (buf.getvalue())
    )
    assert (tmp_path / "boom.Dockerfile").read_text() == before


def test_internal_error_in_many_files_run_in_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardpin.engine import SourceFile, lint_many
    from hardpin.rules.hp404 import HP404

    def failing(self: HP404, ctx: object) -> None:
        if ctx.source.path.startswith("1"):  # type: ignore[attr-defined]
            raise RecursionError("too deep")

    monkeypatch.setattr(HP404, "check", failing)
    items = []
    for i in range(70):
        p = tmp_path / f"{i}.Dockerfile"
        p.write_text("FROM alpine:3.20\nRUN true\n")
        items.append(SourceFile(str(p), p.name, "dockerfile", Settings(select=("HP404", "HP1"))))
    findings = lint_many(items, jobs=2)
    crashing = {sf.shown for sf in items if sf.shown.startswith("1")}
    crashed = {f.path for f in findings if f.name == "internal-error"}
    assert crashed == crashing and len(crashing) == 11
    assert all("RecursionError" in f.message for f in findings if f.name == "internal-error")
    # the other files are linted as usual; a crashed one has only its internal error
    assert {f.path for f in findings if f.code == "HP101"} == {sf.shown for sf in items} - crashing


def test_overrides_select_reaches_the_engine(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine\nRUN sudo true\n")
    result = run(RunRequest(paths=(str(tmp_path),), overrides=Overrides(select=("HP404",))))
    assert [f.code for f in result.findings] == ["HP404"]


def test_the_network_layer_is_imported_only_for_pending_items(tmp_path: Path) -> None:
    import subprocess

    from conftest import ROOT

    pinned = f"FROM alpine:3.20@sha256:{'ab' * 32}\nADD a.py /x/\n"
    code = (
        "import sys; from hardpin.cli import main; rc = main(sys.argv[1:]); "
        "print(sorted(m for m in sys.modules if m.startswith(('hardpin.online', 'rich'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "HARDPIN_OFFLINE": "1"}
    env["HARDPIN_CACHE_DIR"] = str(tmp_path / "cache")

    def modules(text: str) -> str:
        (tmp_path / "Dockerfile").write_text(text)
        r = subprocess.run(
            [sys.executable, "-c", code, "check", "--fix", "--exit-zero", "Dockerfile"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return r.stdout.strip().splitlines()[-1]

    assert modules(pinned) == "[]"  # fixed offline, nothing asked
    assert (tmp_path / "Dockerfile").read_text().startswith(pinned.splitlines()[0] + "\nCOPY")
    assert "hardpin.online.resolve" in modules("FROM alpine:3.20\n")  # a pin to look up


def test_lock_does_not_overwrite_an_output_edited_while_the_resolver_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hardpin.online.lock as lock_mod

    src = tmp_path / "requirements.in"
    src.write_text("flask\n")
    out = tmp_path / "requirements.txt"
    out.write_text("flask==3.0.0\n")
    edited = "flask==3.0.0\n# edited while locking\n"

    def slow_lock(in_path: str, out_path: str, **kwargs: object) -> str:
        Path(out_path).write_text(edited)  # the user saves meanwhile
        return "flask==3.0.3\n"

    monkeypatch.setattr(lock_mod, "lock", slow_lock)
    monkeypatch.delenv("HARDPIN_OFFLINE", raising=False)
    rc, _out, err = _main(capsys, "lock", str(src))
    assert out.read_text() == edited
    assert f"{out}: changed while hardpin was running; run again" in err and rc == 2
    # unchanged meanwhile: written
    monkeypatch.setattr(lock_mod, "lock", lambda *a, **k: "flask==3.0.3\n")
    rc, _out, err = _main(capsys, "lock", str(src))
    assert out.read_text() == "flask==3.0.3\n" and rc == 0


def test_a_crash_on_the_fixed_text_leaves_the_file_unwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hardpin.rules.hp404 import HP404

    def failing_after_the_fix(self: HP404, ctx: object) -> None:
        if "COPY" in ctx.source.text:  # type: ignore[attr-defined]
            raise IndexError("injected")

    monkeypatch.setattr(HP404, "check", failing_after_the_fix)
    df = tmp_path / "Dockerfile"
    df.write_text(DOCKERFILE)
    result = run(RunRequest(paths=(str(df),), fix=True, network=_offline(tmp_path)))
    assert df.read_text() == DOCKERFILE and result.fixed == 0
    assert result.internal_errors == 1
    # the findings of the file as it is on disk, and the crash
    codes = [f.code for f in result.findings]
    assert "HP402" in codes and [f.name for f in result.findings if f.code == "HP001"] == [
        "internal-error"
    ]
