"""Plain `name==version` requirement lines are read without packaging, and give exactly
what the packaging path gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, requires_corpus

from hardpin.parsers import requirements as reqs

REQUIREMENTS = CORPUS / "requirements"


def both(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    def view(rf: reqs.RequirementsFile) -> tuple[object, ...]:
        return (
            rf.requirements,
            rf.options,
            rf.includes,
            rf.warnings,
            [(e.line, e.offset, str(e)) for e in rf.errors],
        )

    fast = view(reqs.parse(text, strict=False))
    with monkeypatch.context() as m:
        m.setattr(reqs, "_FAST_PATH", False)
        slow = view(reqs.parse(text, strict=False))
    return fast, slow


@pytest.mark.parametrize(
    "line,pin",
    [
        ("flask==3.0.3", ("flask", "3.0.3")),
        ("  Flask_SQLAlchemy==3.1.1  ", ("Flask_SQLAlchemy", "3.1.1")),
        ("zope.interface==6.4.post2", ("zope.interface", "6.4.post2")),
        ("torch==2.3.1+cpu", ("torch", "2.3.1+cpu")),
        ("pkg==1.0rc1.dev3", ("pkg", "1.0rc1.dev3")),
        ("a==1", ("a", "1")),
        ("flask>=3", None),
        ("flask == 3.0", None),  # blanks around the operator: packaging's reading
        ("flask[async]==3.0", None),
        ("flask==3.0; python_version < '3.12'", None),
        ("flask===3.0", None),
        ("flask==3.*", None),
        ("flask==v3.0", None),
        ("flask==3.0-1", None),
        ("flask==3.0.RC1", None),
        ("-flask==3.0", None),
        ("flask-==3.0", None),
        ("flask==", None),
        ("flask==3.0,<4", None),
        ("flask @ https://example.com/flask.whl", None),
        ("flask==3.0\n", ("flask", "3.0")),
    ],
)
def test_simple_pin(line: str, pin: tuple[str, str] | None) -> None:
    assert reqs.simple_pin(line) == pin


def test_both_paths_agree_on_hand_written_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "".join(
        f"{line}\n"
        for line in (
            "flask==3.0.3",
            "Flask_SQLAlchemy==3.1.1 # comment",
            "zope.interface==6.4.post2 \\",
            "    --hash=sha256:" + "a" * 64,
            "torch==2.3.1+cpu",
            "flask == 3.0",
            "flask[async]==3.0",
            "flask==3.0; python_version < '3.12'",
            "pkg==${VERSION}",
            "pkg-${NAME}==1.0",
            "flask==3.*",
            "bad==v3.0",
            "bad=1.0",
            "-e ./local",
        )
    )
    fast, slow = both(text, monkeypatch)
    assert fast == slow
    assert fast[0]  # type: ignore[index]


@requires_corpus("requirements")
def test_both_paths_agree_on_every_corpus_requirements_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = sorted(p for p in REQUIREMENTS.rglob("*") if p.is_file())
    assert len(files) > 500
    named = fast_taken = 0
    for path in files:
        text = path.read_bytes().decode("utf-8", "surrogateescape")
        fast, slow = both(text, monkeypatch)
        assert fast == slow, path.name
        for r in reqs.parse(text, strict=False).requirements:
            if r.kind == "name" and not r.has_variables:
                named += 1
                fast_taken += reqs.simple_pin(r.text) is not None
    # the fast path is what most named requirements take (7,373 of 8,856)
    assert fast_taken > 0.75 * named > 5_000


def test_a_file_of_simple_pins_does_not_import_packaging(tmp_path: Path) -> None:
    f = tmp_path / "requirements.txt"
    f.write_text(
        "".join(f"pkg{i}=={i}.0.{i}\n" for i in range(10))
        + "other==1.0 \\\n  --hash=sha256:"
        + "b" * 64
        + "\n"
    )
    probe = (
        "import sys\n"
        "from hardpin.parsers.requirements import parse\n"
        f"rf = parse(open({str(f)!r}).read())\n"
        "assert [r.exact_version for r in rf.requirements][:2] == ['0.0.0', '1.0.1']\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'packaging'))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    p = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
