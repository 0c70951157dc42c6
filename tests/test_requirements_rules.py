"""pip requirements files (HP301–HP306): includes across files, cycles, hash mode, suppressions
over continuations, parse errors, pending hash fixes, discovery, and HP202 sharing HP303's
notion of "hashed"."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardpin import settings as settings_mod
from hardpin.analysis.requirements import closure, hash_state, is_hashed, refusal, sets_hash_mode
from hardpin.discovery import discover, kind_of
from hardpin.engine import lint_text
from hardpin.model import HardpinError, LockKey, PipHashesKey, Source
from hardpin.parsers.requirements import parse
from hardpin.rules.base import RuleContext
from hardpin.settings import Settings, load_settings, settings_for

H1 = "2a6386ad2db20e7f55073f69a98d6da2cf9f168e05e7487d2670baeb9b7601c5"
H2 = "5436c72d52c9c0d011010ce68f4c399702b3b0764adcf282fe0e546f20ebaef6"
SHA = "0d8ef7c3f4b2d9a6e1c5b7a8f9e0d1c2b3a4f5e6"


@pytest.fixture(autouse=True)
def _fresh_caches():
    settings_mod.clear_caches()
    yield
    settings_mod.clear_caches()


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode())
    return p


def lint(path: Path, settings: Settings | None = None) -> list:
    return lint_text(
        path.name,
        "requirements",
        path.read_bytes().decode(),
        settings or Settings(),
        base_dir=str(path.parent),
    )


def got(findings: list, *codes: str) -> list[str]:
    return [f"{f.code} {f.line}:{f.column}" for f in findings if not codes or f.code in codes]


def context(path: Path) -> RuleContext:
    text = path.read_text()
    doc = parse(text, strict=False)
    return RuleContext(Source(path.name, text), doc, Settings(), "requirements", str(path.parent))


# ---------------------------------------------------------------------------
# includes and cycles


def test_includes_are_read_relative_to_the_including_file_once_each(tmp_path: Path) -> None:
    root = write(tmp_path, "requirements.txt", "-r reqs/base.txt\n-c reqs/pins.txt\nflask==3.0.3\n")
    write(tmp_path, "reqs/base.txt", "-r ../requirements.txt\n-r common/extra.txt\nsix==1.16.0\n")
    write(
        tmp_path, "reqs/common/extra.txt", "-r ../base.txt\n-r ../../requirements.txt\nidna==3.7\n"
    )
    write(tmp_path, "reqs/pins.txt", "-r base.txt\nurllib3==2.2.2\n")
    cl = closure(context(root))
    # depth first in file order, like pip; each (file, installed?) once, so the cycles end
    assert [(f.relpath, f.installs) for f in cl.files] == [
        ("requirements.txt", True),
        ("reqs/base.txt", True),
        ("reqs/common/extra.txt", True),
        ("reqs/pins.txt", False),
    ]
    # a -r inside a -c file was read already as a requirement file: not again
    assert cl.complete
    # every file is traced to the include of the document it was reached through
    assert [f.via.line if f.via else None for f in cl.files] == [None, 1, 1, 2]


def test_unreadable_includes_are_recorded_not_reported(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        "requirements.txt",
        "-r missing.txt\n-r https://example.com/r.txt\n-c ${CONSTRAINTS}\nflask==3.0.3\n",
    )
    cl = closure(context(root))
    assert [(inc.path, why) for inc, why in cl.unread] == [
        ("missing.txt", "not found"),
        ("https://example.com/r.txt", "a URL"),
        ("${CONSTRAINTS}", "a variable"),
    ]
    assert got(lint(root)) == ["HP302 4:1"]


def test_hash_mode_from_an_included_file_reaches_the_including_file(tmp_path: Path) -> None:
    root = write(tmp_path, "requirements.txt", "-r locked.txt\nwerkzeug==3.0.3\n")
    write(tmp_path, "locked.txt", f"flask==3.0.3 \\\n    --hash=sha256:{H1}\n")
    fs = lint(root)
    assert got(fs) == ["HP303 2:1"]
    assert fs[0].message.startswith(
        "hash checking is on for this file (`flask==3.0.3` has --hash in locked.txt (included at "
        "line 1)), but `werkzeug==3.0.3` fails it: it has no --hash: pip refuses the whole install"
    )


def test_require_hashes_in_the_including_file_is_reported_at_the_include(tmp_path: Path) -> None:
    root = write(tmp_path, "requirements.txt", "--require-hashes\n-r base.txt\n")
    write(tmp_path, "base.txt", "itsdangerous==2.2.0\nblinker==1.8.2\n-e ./lib\n")
    fs = lint(root)
    assert got(fs) == ["HP303 2:4"]
    assert fs[0].message == (
        "hash checking is on for this file (--require-hashes at line 1), so it applies to "
        "`base.txt` too, but 3 requirements there fail it (`itsdangerous==2.2.0`, `blinker==1.8.2`, "
        "`./lib`): pip refuses the whole install; hash them, or install that file in a separate "
        "pip install"
    )
    # base.txt alone installs without hash checking: only HP302 there
    assert got(lint(tmp_path / "base.txt")) == ["HP302 1:1", "HP302 2:1"]


def test_an_included_file_in_hash_mode_by_itself_reports_its_own_lines(tmp_path: Path) -> None:
    root = write(tmp_path, "requirements.txt", "-r requirements-partial.txt\n")
    part = write(
        tmp_path, "requirements-partial.txt", f"flask==3.0.3 --hash=sha256:{H1}\ngunicorn==22.0.0\n"
    )
    assert got(lint(root)) == []
    assert got(lint(part)) == ["HP303 2:1"]
    # ... unless hardpin would never lint it by itself (its name is not a requirements file)
    root.write_text("-r partial.txt\n")
    write(tmp_path, "partial.txt", part.read_text())
    assert got(lint(root)) == ["HP303 1:4"]


def test_constraints_are_not_installed_but_their_hashes_turn_hash_mode_on(tmp_path: Path) -> None:
    root = write(tmp_path, "requirements.txt", "-c pins.txt\ncertifi==2024.7.4\nidna==3.7\n")
    write(tmp_path, "pins.txt", f"certifi==2024.7.4 --hash=sha256:{H1}\nurllib3==2.2.2\n")
    state = hash_state(context(root))
    assert state.on
    assert state.reason == (
        "`certifi==2024.7.4` has --hash in the constraints file pins.txt (included at line 1)"
    )
    # pip refuses idna; certifi gets its hashes from the constraint (recent pip); the
    # unhashed constraint urllib3 is not installed and needs nothing
    fs = lint(root)
    assert got(fs) == ["HP303 3:1"]
    assert "`idna==3.7` fails it: it has no --hash" in fs[0].message
    # an option line of a constraints file applies to the whole install, as in pip
    write(tmp_path, "pins.txt", "--require-hashes\n")
    assert hash_state(context(root)).reason == (
        "--require-hashes in the constraints file pins.txt (included at line 1)"
    )
    assert got(lint(root)) == ["HP303 2:1", "HP303 3:1"]
    # without hashes or --require-hashes, constraints change nothing
    write(tmp_path, "pins.txt", "certifi==2024.7.4\n")
    assert got(lint(root)) == ["HP302 2:1", "HP302 3:1"]


def test_a_cycle_between_two_files_ends_and_each_reports_its_own_lines(tmp_path: Path) -> None:
    a = write(tmp_path, "requirements-a.txt", "-r requirements-b.txt\nflask==3.0.3\n")
    b = write(
        tmp_path, "requirements-b.txt", f"-r requirements-a.txt\nidna==3.7 --hash=sha256:{H2}\n"
    )
    assert got(lint(a)) == ["HP303 2:1"]
    assert got(lint(b)) == []  # flask is a's line, reported there; b's own lines are fine


# ---------------------------------------------------------------------------
# pip's hash-checking rules


@pytest.mark.parametrize(
    ("line", "refused"),
    [
        (f"flask==3.0.3 --hash=sha256:{H1}", None),
        ("flask==3.0.3", "it has no --hash"),
        (f"flask>=3 --hash=sha256:{H1}", "it has a hash but no single == pin"),
        (f"flask>=3,==3.0.3 --hash=sha256:{H1}", "it has a hash but no single == pin"),
        (f"flask===3.0.3 --hash=sha256:{H1}", None),
        (f"https://example.com/x-1.0.tar.gz#sha256={H1}", None),
        ("https://example.com/x-1.0.tar.gz#md5=d41d8cd98f00b204e9800998ecf8427e", None),
        ("https://example.com/x-1.0.tar.gz", "it has no --hash"),
        (f"./dist/x-1.0-py3-none-any.whl --hash=sha256:{H1}", None),
        ("./libs/common", "a local directory cannot be hashed"),
        (f"git+https://github.com/org/lib@{SHA}#egg=lib", "a VCS checkout cannot be hashed"),
        ("-e .", "an editable requirement cannot be hashed"),
    ],
)
def test_refusal_follows_pip(line: str, refused: str | None) -> None:
    req = parse(line + "\n").requirements[0]
    why = refusal(req)
    assert (why is None) == (refused is None)
    if refused is not None:
        assert why.startswith(refused)


def test_a_url_hash_satisfies_hash_mode_but_does_not_turn_it_on() -> None:
    f = parse(f"https://example.com/x-1.0.tar.gz#sha256={H1}\nflask==3.0.3\n")
    assert is_hashed(f.requirements[0]) and not sets_hash_mode([f])
    assert sets_hash_mode([parse("--require-hashes\nflask==3.0.3\n")])
    assert sets_hash_mode([parse(f"flask==3.0.3 --hash=sha256:{H1}\n")])


# ---------------------------------------------------------------------------
# suppressions over continuation lines


def test_a_suppression_on_the_last_line_covers_the_whole_requirement(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 \\\n    --hash=sha256:{H1}\n"
        f"click>=8 \\\n    --hash=sha256:{H2} \\\n    --hash=sha256:{H1}  # hardpin: ignore=HP303,HP301\n"
        "gunicorn==22.0.0\n",
    )
    assert got(lint(p)) == ["HP303 6:1"]


def test_a_comment_line_ends_a_continuation_and_belongs_to_it(tmp_path: Path) -> None:
    # pip joins `click>=8 \` with the comment line and stops there
    p = write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 --hash=sha256:{H1}\nclick>=8 \\\n    # hardpin: ignore=HP303,HP301\ngunicorn==22.0.0\n",
    )
    assert got(lint(p)) == ["HP303 4:1"]


def test_a_suppression_on_its_own_line_covers_the_next_requirement(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 --hash=sha256:{H1}\n# hardpin: ignore=HP303\ngunicorn \\\n    ==22.0.0\n"
        "# hardpin: ignore=HP304\nwerkzeug==3.0.3\n",
    )
    fs = lint(p)
    assert got(fs) == ["HP002 5:1", "HP303 6:1"]
    assert fs[0].message == "suppression of HP304 suppresses nothing: remove it"


def test_suppressions_work_with_crlf(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 \\\r\n    --hash=sha256:{H1}\r\ngunicorn==22.0.0 \\\r\n"
        "    ; python_version >= '3.8'  # hardpin: ignore=HP303\r\n",
    )
    assert got(lint(p)) == []


# ---------------------------------------------------------------------------
# parse errors


def test_lines_pip_rejects_are_hp001_and_the_rest_is_still_linted(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "requirements.txt",
        "flask>=3\nbadline = 3\n--no-such-option\nrequests==2.32.3 --hash=md5:abc\nclick\n",
    )
    fs = lint(p)
    assert got(fs) == ["HP301 1:1", "HP001 2:1", "HP001 3:1", "HP001 4:18", "HP301 5:1"]
    assert fs[2].message == "no such option: --no-such-option"
    assert fs[3].message.startswith("unsupported hash algorithm 'md5' in --hash")
    # reported once, whichever HP3xx rules are enabled
    some = Settings(select=("HP001", "HP304"))
    assert got(lint(p, some)) == ["HP001 2:1", "HP001 3:1", "HP001 4:18"]


# ---------------------------------------------------------------------------
# HP302's pending fix


def apply(text: str, finding, values: tuple[str, ...]) -> str:
    e = finding.pending.edit(values)
    return text[: e.start] + e.text + text[e.end :]


def test_pending_hashes_lay_out_like_pip_compile_and_keep_comments(tmp_path: Path) -> None:
    text = (
        "--index-url https://pypi.example.com/simple\n--extra-index-url https://a.example.com/simple\n"
        "--index-url https://pypi.internal.example/simple\n--extra-index-url https://b.example.com/simple\n"
        'Flask_Login==0.6.3 ; python_version >= "3.8"  # via -r requirements.in\n'
        "psycopg2==2.9.9 --config-settings=--build-option=--quiet\n"
    )
    p = write(tmp_path, "requirements.txt", text)
    fs = lint(p)
    assert got(fs) == ["HP305 2:19", "HP305 4:19", "HP302 5:1", "HP302 6:1"]
    login, _psycopg = fs[2], fs[3]
    # as in pip, an --index-url line replaces the indexes so far; extra indexes follow
    urls = ("https://pypi.internal.example/simple", "https://b.example.com/simple")
    assert login.pending.kind == "pip-hashes"
    assert login.pending.key == PipHashesKey(urls, "flask-login", "0.6.3")
    assert str(login.fix_availability) == "network"
    fixed = apply(text, login, (f"sha256:{H1}", f"sha256:{H2}"))
    assert fixed.splitlines()[4:8] == [
        'Flask_Login==0.6.3 ; python_version >= "3.8" \\',
        f"    --hash=sha256:{H1} \\",
        f"    --hash=sha256:{H2}  # via -r requirements.in",
        "psycopg2==2.9.9 --config-settings=--build-option=--quiet",
    ]
    # with one requirement hashed, the other is HP303's, with the same pending fix
    p.write_text(fixed)
    [left] = [f for f in lint(p) if f.code in ("HP302", "HP303")]
    assert left.code == "HP303" and left.pending.key == PipHashesKey(urls, "psycopg2", "2.9.9")
    fixed = apply(fixed, left, (f"sha256:{H2}",))
    assert fixed.splitlines()[-2:] == [
        "psycopg2==2.9.9 \\",
        f"    --hash=sha256:{H2} --config-settings=--build-option=--quiet",
    ]
    reparsed = parse(fixed)
    assert [[h.digest for h in r.hashes] for r in reparsed.requirements] == [[H1, H2], [H2]]
    assert reparsed.requirements[1].options[0].name == "--config-settings"
    # the file is fully hashed now: nothing left for HP302/HP303
    p.write_text(fixed)
    assert got(lint(p), "HP302", "HP303") == []


def test_pending_hashes_use_the_file_newline_and_continuations(tmp_path: Path) -> None:
    text = "gunicorn \\\r\n    ==22.0.0\r\nsix==1.16.0\r\n"
    p = write(tmp_path, "requirements.txt", text)
    fs = lint(p)
    assert fs[0].pending.key == PipHashesKey((), "gunicorn", "22.0.0")
    fixed = apply(text, fs[0], (f"sha256:{H1}",))
    assert fixed == f"gunicorn \\\r\n    ==22.0.0 \\\r\n    --hash=sha256:{H1}\r\nsix==1.16.0\r\n"


def test_no_pending_fix_without_an_index_or_a_known_version(tmp_path: Path) -> None:
    p = write(tmp_path, "requirements.txt", "--no-index\n--find-links ./wheels\nflask==3.0.3\n")
    [f] = lint(p)
    assert f.code == "HP302" and f.pending is None and str(f.fix_availability) == "none"
    p = write(
        tmp_path,
        "requirements.txt",
        "--extra-index-url https://x.example.com/simple\nflask==${FLASK_VERSION}\nsix==1.16.0\n",
    )
    fs = [f for f in lint(p) if f.code == "HP302"]
    # a version from a variable cannot be looked up, and hashing six alone would make pip
    # refuse flask: neither is fixable, and six's finding says why
    assert [f.pending is None for f in fs] == [True, True]
    assert [str(f.fix_availability) for f in fs] == ["none", "none"]
    assert fs[1].message.endswith(
        "not hashed: adding hashes would make pip refuse the 1 requirement(s) whose hashes "
        "hardpin cannot look up (flask==${FLASK_VERSION}); make every requirement pinned and "
        "hashed or lock the file with pip-compile --generate-hashes"
    )
    p = write(
        tmp_path,
        "requirements.txt",
        "--extra-index-url https://x.example.com/simple\nsix==1.16.0\n",
    )
    [f] = [f for f in lint(p) if f.code == "HP302"]
    # extra indexes only: None stands for the primary index of the environment
    assert f.pending.key == PipHashesKey((None, "https://x.example.com/simple"), "six", "1.16.0")


def test_hp303_carries_the_same_pending_fix_for_pinned_requirements(tmp_path: Path) -> None:
    p = write(tmp_path, "requirements.txt", f"flask==3.0.3 --hash=sha256:{H1}\nsix==1.16.0\n")
    [f] = lint(p)
    assert f.code == "HP303" and f.pending.key == PipHashesKey((), "six", "1.16.0")
    assert str(f.fix_availability) == "network"
    # an editable cannot be hashed: hashing six would not make the file pass, so no fix
    p = write(tmp_path, "requirements.txt", f"flask==3.0.3 --hash=sha256:{H1}\nsix==1.16.0\n-e .\n")
    fs = lint(p)
    assert got(fs) == ["HP303 2:1", "HP303 3:4"]
    assert [f.pending for f in fs] == [None, None]
    assert [str(f.fix_availability) for f in fs] == ["none", "none"]
    assert fs[0].message.endswith(
        "not hashed: adding hashes would make pip refuse the 1 requirement(s) that cannot be "
        "hashed (-e .); make every requirement pinned and hashed or lock the file with "
        "pip-compile --generate-hashes"
    )


def test_hash_fixes_only_when_every_requirement_can_then_pass(tmp_path: Path) -> None:
    """The issue's example: two pins, two unpinned requirements; with and without an .in."""
    text = "flask==3.0.3\nidna==3.7\nrequests\nurllib3>=2.0\n"
    p = write(tmp_path, "requirements.txt", text)
    fs = lint(p)
    assert got(fs, "HP301", "HP302") == ["HP302 1:1", "HP302 2:1", "HP301 3:1", "HP301 4:1"]
    assert all(f.pending is None and str(f.fix_availability) == "none" for f in fs)
    why = (
        "not hashed: adding hashes would make pip refuse the 2 unpinned requirement(s) "
        "(requests, urllib3>=2.0); pin them or "
    )
    assert fs[0].message.endswith(why + "lock the file with pip-compile --generate-hashes")
    # with the pip-tools input beside it, HP301 re-locks (unsafe) and the message says so
    write(tmp_path, "requirements.in", "flask\nidna\nrequests\nurllib3>=2.0\n")
    fs = lint(p)
    assert fs[0].message.endswith(why + "re-lock from requirements.in (--fix --unsafe-fixes)")
    assert [str(f.fix_availability) for f in fs] == ["none", "none", "network", "network"]
    # includes count: an unpinned requirement in an -r file blocks, a -c file does not
    # (pip asks nothing of constraints), an environment marker does not exempt
    p = write(tmp_path, "req-a.txt", "flask==3.0.3\n-r base.txt\n-c constraints.txt\n")
    write(tmp_path, "base.txt", "idna==3.7\nrequests ; python_version < '3'\n")
    write(tmp_path, "constraints.txt", "urllib3<3\n")
    [f] = [f for f in lint(p) if f.code == "HP302"]
    assert f.pending is None and f.message.endswith(
        "the 1 unpinned requirement(s) (requests ; python_version < '3' in base.txt); pin them "
        "or lock the file with pip-compile --generate-hashes"
    )
    write(tmp_path, "base.txt", "idna==3.7\n")
    [f] = [f for f in lint(p) if f.code == "HP302"]
    assert f.pending is not None  # idna in base.txt is pinned: hashable if fixed too
    # an -r include hardpin cannot read blocks; URLs without a hash fragment cannot be hashed
    p = write(
        tmp_path,
        "req-b.txt",
        "flask==3.0.3\n-r missing.txt\nhttps://example.com/pkg-1.0.tar.gz\n",
    )
    [f] = [f for f in lint(p) if f.code == "HP302"]
    assert (
        f.pending is None
        and "the 1 requirement(s) that cannot be hashed (https://example.com/pkg-1.0.tar.gz) and the 1 include(s) hardpin cannot read (-r missing.txt)"
        in f.message
    )


# ---------------------------------------------------------------------------
# HP304 / HP305 / HP306 details


def test_hp305_never_shows_the_password(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "requirements.txt",
        "--extra-index-url https://deploy:hunter2hunter2@pkgs.example.com/simple\n",
    )
    fs = lint(p)
    assert got(fs) == ["HP305 1:19", "HP305 1:19"]
    assert [f.severity.value for f in fs] == ["warning", "error"]
    for f in fs:
        assert (
            "hunter2" not in f.message and "hunter2" not in f.subject and "deploy" not in f.message
        )


def test_hp306_counts_build_tools_pinned_in_an_included_file(tmp_path: Path) -> None:
    block = "\n# The following packages are considered to be unsafe in a requirements file:\n# setuptools\n"
    p = write(
        tmp_path, "requirements.txt", f"-r tools.txt\nsphinx==7.3.7 --hash=sha256:{H1}\n{block}"
    )
    write(tmp_path, "tools.txt", f"setuptools==70.0.0 --hash=sha256:{H2}\n")
    assert got(lint(p)) == []
    write(tmp_path, "tools.txt", "wheel==0.43.0\n")
    fs = lint(p)
    assert got(fs) == ["HP303 1:4", "HP306 5:3"]
    assert "(`sphinx==7.3.7` has --hash at line 2)" in fs[1].message


# ---------------------------------------------------------------------------
# HP202 and HP303 agree on what "hashed" means


def test_hp202_uses_the_same_hash_rules_as_hp303(tmp_path: Path) -> None:
    write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 --hash=sha256:{H1}\n"
        "https://example.com/tool-1.0.tar.gz#md5=d41d8cd98f00b204e9800998ecf8427e\n",
    )
    df = write(
        tmp_path,
        "Dockerfile",
        "FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n",
    )
    settings = Settings(select=("HP202", "HP303", "HP304"))
    # pip accepts a URL's #md5= fragment in hash mode: neither pip rule calls the file partial
    assert got(lint_text(str(df), "dockerfile", df.read_text(), settings), "HP202") == []
    assert got(lint(tmp_path / "requirements.txt", settings)) == ["HP304 2:1"]
    # a URL without any hash fails in both
    write(
        tmp_path,
        "requirements.txt",
        f"flask==3.0.3 --hash=sha256:{H1}\nhttps://example.com/t.tar.gz\n",
    )
    assert got(lint_text(str(df), "dockerfile", df.read_text(), settings), "HP202") == [
        "HP202 3:20"
    ]
    assert got(lint(tmp_path / "requirements.txt", settings), "HP303") == ["HP303 2:1"]
    # --require-hashes in the file turns hash mode on for both
    write(tmp_path, "requirements.txt", "--require-hashes\nflask==3.0.3\n")
    [f] = lint_text(str(df), "dockerfile", df.read_text(), settings)
    assert f.message.startswith("1 of the 1 requirement(s) in requirements.txt have no --hash")


# ---------------------------------------------------------------------------
# discovery and the requirements-globs setting


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("requirements.txt", "requirements"),
        ("requirements-dev.txt", "requirements"),
        ("requirements_test.txt", "requirements"),
        ("requirements/base.txt", "requirements"),
        ("app/requirements/prod.txt", "requirements"),
        ("requirements/sub/base.txt", None),
        ("requirements.in", "requirements"),
        ("requirements/dev.in", "requirements"),
        ("requirements-3.11.in", "requirements"),
        ("constraints.txt", "requirements"),
        ("constraints-py310.txt", "requirements"),
        ("MANIFEST.in", None),
        ("Makefile.in", None),
        ("config.h.in", None),
        ("setup.py.in", None),
        ("dev-requirements.txt", "requirements"),
        ("notes.txt", None),
    ],
)
def test_kind_of_requirements(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


def test_requirements_globs_setting(tmp_path: Path) -> None:
    write(tmp_path, ".hardpin.toml", 'requirements-globs = ["*requirements*.txt", "deps/*.txt"]\n')
    for rel in (
        "dev-requirements.txt",
        "deps/base.txt",
        "requirements.in",
        "constraints.txt",
        "Dockerfile",
    ):
        write(tmp_path, rel, "FROM a\n")
    found = discover([tmp_path], settings_for=settings_for)
    assert [(p.relative_to(tmp_path).as_posix(), k) for p, k in found] == [
        ("Dockerfile", "dockerfile"),
        ("deps/base.txt", "requirements"),
        ("dev-requirements.txt", "requirements"),
    ]
    # a file named on the command line gets its kind from the same setting
    assert discover([tmp_path / "deps" / "base.txt"], settings_for=settings_for) == [
        (tmp_path / "deps" / "base.txt", "requirements")
    ]


def test_requirements_globs_must_be_a_list_of_strings(tmp_path: Path) -> None:
    cfg = write(tmp_path, ".hardpin.toml", 'requirements-globs = "requirements.txt"\n')
    with pytest.raises(HardpinError) as info:
        load_settings(cfg)
    assert str(info.value).endswith(
        "requirements-globs: expected an array of strings, got a string"
    )


def test_index_options_of_included_files_apply_to_hash_lookups(tmp_path: Path) -> None:
    write(tmp_path, "base.txt", "--index-url https://private.example/simple\n")
    write(tmp_path, "constraints.txt", "--extra-index-url https://extra.example/simple\n")
    p = write(tmp_path, "requirements.txt", "-r base.txt\n-c constraints.txt\nsix==1.16.0\n")
    [f] = [f for f in lint(p) if f.code == "HP302"]
    assert f.pending.key == PipHashesKey(
        ("https://private.example/simple", "https://extra.example/simple"),
        "six",
        "1.16.0",
    )


def test_relock_uses_the_input_files_indexes(tmp_path: Path) -> None:
    write(tmp_path, "requirements.in", "--index-url https://private.example/simple\nflask\n")
    p = write(tmp_path, "requirements.txt", "flask>=3\n")
    [f] = [f for f in lint(p) if f.code == "HP301"]
    assert f.pending.kind == "lock"
    assert f.pending.key == LockKey(
        str(tmp_path / "requirements.in"),
        str(tmp_path / "requirements.txt"),
        ("https://private.example/simple",),
    )
    assert (f.pending.start, f.pending.end) == (0, len("flask>=3\n"))
    # no sibling input: nothing to re-lock from
    (tmp_path / "requirements.in").unlink()
    [f] = [f for f in lint(p) if f.code == "HP301"]
    assert f.pending is None
