"""Output formats: exact text, the documented JSON schema, schema-valid SARIF, GitHub commands."""

from __future__ import annotations

import copy
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft7Validator, Draft202012Validator

from hardpin import __version__
from hardpin.model import Finding, FixAvailability, HardpinError, Severity
from hardpin.output import FORMATS, render
from hardpin.output.text import use_color
from hardpin.rules.base import Rule, RuleContext

ROOT = Path(__file__).resolve().parent.parent
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"
DOC = ROOT / "docs" / "output-formats.md"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class DummyError(Rule):
    """Image reference not pinned (test rule).

    ## What it does
    Flags every image without a digest.

    ## Why it matters
    Tags move.

    ## Example
    ```dockerfile
    FROM python:3.12
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12@sha256:abc
    ```

    ## Fix safety
    Needs the registry.
    """

    code = "HP901"
    name = "dummy-unpinned-image"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK

    def check(self, ctx: RuleContext) -> None:  # pragma: no cover - never run
        pass


class DummyWarning(Rule):
    """ADD where COPY would do (test rule).

    ## What it does
    Flags ADD of local files.

    ## Why it matters
    ADD can download and unpack.

    ## Example
    ```dockerfile
    ADD a /a
    ```

    ## Use instead
    ```dockerfile
    COPY a /a
    ```

    ## Fix safety
    Safe.
    """

    code = "HP902"
    name = "dummy-add"
    severity = Severity.WARNING
    fix = FixAvailability.SAFE

    def check(self, ctx: RuleContext) -> None:  # pragma: no cover - never run
        pass


class DummyInfo(Rule):
    """Informational test rule that reports nothing here.

    ## What it does
    Nothing.

    ## Why it matters
    It shows that rules without results are listed too.

    ## Example
    ```dockerfile
    FROM x
    ```

    ## Use instead
    ```dockerfile
    FROM x
    ```

    ## Fix safety
    None.
    """

    code = "HP903"
    name = "dummy-info"
    severity = Severity.INFO

    def check(self, ctx: RuleContext) -> None:  # pragma: no cover - never run
        pass


RULES = [DummyError, DummyWarning, DummyInfo]


def finding(
    code: str,
    name: str,
    severity: Severity,
    message: str,
    path: str,
    pos: tuple[int, int, int, int],
    fix: FixAvailability = FixAvailability.NONE,
    subject: str = "",
) -> Finding:
    line, col, end_line, end_col = pos
    return Finding(
        code=code,
        name=name,
        severity=severity,
        message=message,
        path=path,
        line=line,
        column=col,
        end_line=end_line,
        end_column=end_col,
        fix_availability=fix,
        subject=subject,
    )


def sample() -> list[Finding]:
    return [
        finding(
            "HP901",
            "dummy-unpinned-image",
            Severity.ERROR,
            "image python:3.12 is not pinned",
            "a/Dockerfile",
            (1, 6, 1, 17),
            FixAvailability.NETWORK,
            "python:3.12",
        ),
        finding(
            "HP902",
            "dummy-add",
            Severity.WARNING,
            "use COPY",
            "a/Dockerfile",
            (4, 1, 4, 4),
            FixAvailability.SAFE,
            "ADD",
        ),
        finding(
            "HP902",
            "dummy-add",
            Severity.WARNING,
            "odd 100%, a:b\r\nnext",
            "b dir/Dockerfile",
            (2, 3, 2, 3),
            subject="",
        ),
        finding(
            "HP903",
            "dummy-info",
            Severity.INFO,
            "spans lines",
            "c/Dockerfile",
            (3, 5, 5, 2),
            FixAvailability.UNSAFE,
            "RUN x \\\n  y",
        ),
    ]


def out(fmt: str, findings: list[Finding], **kw: object) -> str:
    buf = io.StringIO()
    kw.setdefault("rules", RULES)
    render(fmt, findings, stream=buf, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


# ---------------------------------------------------------------- text


def test_text_plain_exact() -> None:
    assert out("text", sample(), color=False, files_checked=5) == (
        "a/Dockerfile:1:6: HP901 error: image python:3.12 is not pinned [fix: network]\n"
        "a/Dockerfile:4:1: HP902 warning: use COPY [fix: safe]\n"
        "b dir/Dockerfile:2:3: HP902 warning: odd 100%, a:b\\r\\nnext\n"
        "c/Dockerfile:3:5: HP903 info: spans lines [fix: unsafe]\n"
        "Found 4 findings (1 error, 2 warnings, 1 info) in 3 files; 1 fixable with --fix, "
        "1 fixable with --unsafe-fixes, 1 fixable with network.\n"
    )


def test_text_summary_singular_no_fixable_and_fixed() -> None:
    one = [sample()[2]]
    assert out("text", one, color=False, files_checked=1, fixed=2) == (
        "b dir/Dockerfile:2:3: HP902 warning: odd 100%, a:b\\r\\nnext\n"
        "Found 1 finding (0 errors, 1 warning, 0 info) in 1 file. Fixed 2.\n"
    )


def test_text_all_checks_passed() -> None:
    assert out("text", [], color=False, files_checked=3) == "All checks passed (3 files).\n"
    assert out("text", [], color=False, files_checked=1, fixed=1) == (
        "All checks passed (1 file). Fixed 1.\n"
    )


def test_text_lone_surrogates_do_not_break_output() -> None:
    f = finding("HP902", "dummy-add", Severity.WARNING, "bad byte \udcff here", "x", (1, 1, 1, 2))
    text = out("text", [f], color=False)
    assert text.splitlines()[0] == "x:1:1: HP902 warning: bad byte \ufffd here"
    text.encode("utf-8")  # encodable


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_decision(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert use_color(FakeTTY(), None) is True
    assert use_color(io.StringIO(), None) is False
    assert use_color(io.StringIO(), True) is True
    assert use_color(FakeTTY(), False) is False
    monkeypatch.setenv("NO_COLOR", "")
    assert use_color(FakeTTY(), None) is True  # empty NO_COLOR does not count
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(FakeTTY(), None) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert use_color(FakeTTY(), None) is False


def test_colour_output_has_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # an explicit --color always still colours
    coloured = out("text", sample(), color=True, files_checked=5)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == out("text", sample(), color=False, files_checked=5)
    tty = FakeTTY()
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "xterm")
    render("text", [], stream=tty, rules=RULES, files_checked=2)
    assert "\x1b[" in tty.getvalue()
    assert ANSI.sub("", tty.getvalue()) == "All checks passed (2 files).\n"


PROBE = r"""
import io, re, sys
from hardpin.model import Finding, FixAvailability, Severity
from hardpin.output import render
f = Finding(code="HP101", name="unpinned-image", severity=Severity.ERROR, message="m", path="p",
            line=1, column=1, end_line=1, end_column=2, fix_availability=FixAvailability.NETWORK)
buf = io.StringIO()
render("text", [f], stream=buf, rules=[], color={color})
text = re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue())
assert text == (
    "p:1:1: HP101 error: m [fix: network]\n"
    "Found 1 finding (1 error, 0 warnings, 0 info) in 1 file; 1 fixable with network.\n"
), text
print(sorted(m for m in sys.modules if m == "rich" or m.startswith("rich.")))
"""


@pytest.mark.parametrize(
    ("color", "imports_rich"), [("None", False), ("False", False), ("True", True)]
)
def test_plain_text_does_not_import_rich(color: str, imports_rich: bool) -> None:
    """Plain output must not pay rich's import time; colour (the control case) does import it."""
    path = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    env.pop("NO_COLOR", None)
    r = subprocess.run(
        [sys.executable, "-c", PROBE.format(color=color)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    loaded = json.loads(r.stdout.strip().replace("'", '"'))
    assert bool(loaded) is imports_rich, loaded


# ---------------------------------------------------------------- json


def json_doc_schema() -> dict[str, object]:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"<!-- hardpin-json-schema -->\s*```json\n(.*?)\n```", text, re.S)
    assert m, "docs/output-formats.md lost its JSON Schema block"
    return json.loads(m.group(1))


def test_json_exact() -> None:
    raw = out("json", sample(), files_checked=5, fixed=1)
    assert raw.endswith("}\n") and raw.startswith('{\n  "version": 1,\n  "tool": {\n    "name"')
    assert raw == out("json", sample(), files_checked=5, fixed=1)  # deterministic
    assert json.loads(raw) == {
        "version": 1,
        "tool": {"name": "hardpin", "version": __version__},
        "findings": [
            {
                "code": "HP901",
                "name": "dummy-unpinned-image",
                "severity": "error",
                "message": "image python:3.12 is not pinned",
                "path": "a/Dockerfile",
                "line": 1,
                "column": 6,
                "end_line": 1,
                "end_column": 17,
                "fix": "network",
            },
            {
                "code": "HP902",
                "name": "dummy-add",
                "severity": "warning",
                "message": "use COPY",
                "path": "a/Dockerfile",
                "line": 4,
                "column": 1,
                "end_line": 4,
                "end_column": 4,
                "fix": "safe",
            },
            {
                "code": "HP902",
                "name": "dummy-add",
                "severity": "warning",
                "message": "odd 100%, a:b\r\nnext",
                "path": "b dir/Dockerfile",
                "line": 2,
                "column": 3,
                "end_line": 2,
                "end_column": 3,
                "fix": None,
            },
            {
                "code": "HP903",
                "name": "dummy-info",
                "severity": "info",
                "message": "spans lines",
                "path": "c/Dockerfile",
                "line": 3,
                "column": 5,
                "end_line": 5,
                "end_column": 2,
                "fix": "unsafe",
            },
        ],
        "summary": {
            "files": 5,
            "findings": 4,
            "by_severity": {"error": 1, "warning": 2, "info": 1},
            "fixed": 1,
        },
    }


def test_json_empty_and_ascii_only() -> None:
    doc = json.loads(out("json", [], files_checked=2))
    assert doc["findings"] == [] and doc["summary"] == {
        "files": 2,
        "findings": 0,
        "by_severity": {"error": 0, "warning": 0, "info": 0},
        "fixed": 0,
    }
    f = finding(
        "HP902", "dummy-add", Severity.WARNING, "naïve \udcff", "ü/Dockerfile", (1, 1, 1, 2)
    )
    raw = out("json", [f])
    raw.encode("ascii")
    assert json.loads(raw)["findings"][0]["message"] == "naïve \ufffd"


def test_json_output_matches_the_documented_schema() -> None:
    schema = json_doc_schema()
    Draft202012Validator.check_schema(schema)
    validator = Draft202012Validator(schema)
    for findings in (sample(), []):
        validator.validate(json.loads(out("json", findings, files_checked=3)))
    # The schema names exactly the keys Finding.to_dict writes.
    item = schema["$defs"]["finding"]  # type: ignore[index]
    assert sorted(item["required"]) == sorted(item["properties"]) == sorted(sample()[0].to_dict())


def test_json_schema_rejects_drift() -> None:
    validator = Draft202012Validator(json_doc_schema())
    good = json.loads(out("json", sample()))
    for mutate in (
        lambda d: d["findings"][0].__setitem__("subject", "x"),
        lambda d: d["findings"][0].__setitem__("fix", "none"),
        lambda d: d["findings"][0].pop("end_column"),
        lambda d: d["summary"]["by_severity"].__setitem__("fatal", 0),
        lambda d: d.__setitem__("version", 2),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not validator.is_valid(bad)


# ---------------------------------------------------------------- sarif


@pytest.fixture(scope="module")
def sarif_validator() -> Draft7Validator:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    # The official OASIS file (errata01), not a hand-written stand-in.
    assert schema["id"] == (
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    )
    assert len(schema["definitions"]) == 52
    return Draft7Validator(schema)


def sarif(findings: list[Finding], root: Path, rules: list[type[Rule]] = RULES) -> dict:
    return json.loads(out("sarif", findings, rules=rules, root=str(root)))


def test_sarif_is_schema_valid_with_exact_key_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator: Draft7Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    log = sarif(sample(), tmp_path)
    sarif_validator.validate(log)
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["informationUri"]) == (
        "hardpin",
        __version__,
        "https://github.com/hardpin/hardpin",
    )
    assert [r["id"] for r in driver["rules"]] == ["HP901", "HP902", "HP903"]
    assert driver["rules"][0] == {
        "id": "HP901",
        "name": "DummyUnpinnedImage",
        "shortDescription": {"text": "Image reference not pinned (test rule)."},
        "fullDescription": {"text": "Flags every image without a digest."},
        "help": {
            "text": (
                "Image reference not pinned (test rule).\n\n"
                "What it does\n\nFlags every image without a digest.\n\n"
                "Why it matters\n\nTags move.\n\n"
                "Example\n\n```dockerfile\nFROM python:3.12\n```\n\n"
                "Use instead\n\n```dockerfile\nFROM python:3.12@sha256:abc\n```\n\n"
                "Fix safety\n\nNeeds the registry."
            ),
            "markdown": (
                "Image reference not pinned (test rule).\n\n"
                "## What it does\n\nFlags every image without a digest.\n\n"
                "## Why it matters\n\nTags move.\n\n"
                "## Example\n\n```dockerfile\nFROM python:3.12\n```\n\n"
                "## Use instead\n\n```dockerfile\nFROM python:3.12@sha256:abc\n```\n\n"
                "## Fix safety\n\nNeeds the registry."
            ),
        },
        "helpUri": "https://github.com/hardpin/hardpin/blob/main/rules/HP901.md",
        "defaultConfiguration": {"level": "error"},
        "properties": {
            "tags": ["security", "supply-chain"],
            "precision": "high",
            "security-severity": "8.0",
        },
    }
    assert [
        (r["defaultConfiguration"]["level"], r["properties"]["security-severity"])
        for r in driver["rules"]
    ] == [("error", "8.0"), ("warning", "5.0"), ("note", "2.0")]
    # no local path in the log unless asked
    assert "originalUriBaseIds" not in run
    assert str(tmp_path) not in json.dumps(log)
    asked = json.loads(out("sarif", sample(), rules=RULES, root=str(tmp_path), srcroot_uri=True))
    sarif_validator.validate(asked)
    root_uri = Path(os.path.abspath(tmp_path)).as_uri() + "/"
    assert asked["runs"][0]["originalUriBaseIds"] == {"%SRCROOT%": {"uri": root_uri}}
    assert run["columnKind"] == "unicodeCodePoints"

    res = run["results"]
    assert [(r["ruleId"], r["ruleIndex"], r["level"]) for r in res] == [
        ("HP901", 0, "error"),
        ("HP902", 1, "warning"),
        ("HP902", 1, "warning"),
        ("HP903", 2, "note"),
    ]
    assert res[0]["message"] == {"text": "image python:3.12 is not pinned"}
    assert res[2]["message"] == {"text": "odd 100%, a:b\r\nnext"}
    phys = [r["locations"][0]["physicalLocation"] for r in res]
    assert [p["artifactLocation"] for p in phys] == [
        {"uri": "a/Dockerfile", "uriBaseId": "%SRCROOT%"},
        {"uri": "a/Dockerfile", "uriBaseId": "%SRCROOT%"},
        {"uri": "b%20dir/Dockerfile", "uriBaseId": "%SRCROOT%"},
        {"uri": "c/Dockerfile", "uriBaseId": "%SRCROOT%"},
    ]
    assert [p["region"] for p in phys] == [
        {"startLine": 1, "startColumn": 6, "endLine": 1, "endColumn": 17},
        {"startLine": 4, "startColumn": 1, "endLine": 4, "endColumn": 4},
        {"startLine": 2, "startColumn": 3, "endLine": 2, "endColumn": 3},
        {"startLine": 3, "startColumn": 5, "endLine": 5, "endColumn": 2},
    ]
    for r in res:
        assert re.fullmatch(r"[0-9a-f]{32}:1", r["partialFingerprints"]["primaryLocationLineHash"])


def test_sarif_lists_rules_without_results_and_empty_runs(
    tmp_path: Path, sarif_validator: Draft7Validator
) -> None:
    log = sarif([], tmp_path)
    sarif_validator.validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["HP901", "HP902", "HP903"]
    assert log["runs"][0]["results"] == []


def test_sarif_fingerprints_ignore_lines_and_keep_duplicates_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def fp(*fs: Finding) -> list[str]:
        results = sarif(list(fs), tmp_path)["runs"][0]["results"]
        return [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]

    base = sample()[0]
    moved = finding(
        base.code,
        base.name,
        base.severity,
        base.message,
        base.path,
        (9, 2, 9, 13),
        base.fix_availability,
        base.subject,
    )
    other = finding(
        base.code,
        base.name,
        base.severity,
        base.message,
        base.path,
        (1, 6, 1, 17),
        base.fix_availability,
        "python:3.13",
    )
    elsewhere = finding(
        base.code,
        base.name,
        base.severity,
        base.message,
        "z/Dockerfile",
        (1, 6, 1, 17),
        base.fix_availability,
        base.subject,
    )
    assert fp(base) == fp(moved)
    assert fp(base) != fp(other) and fp(base) != fp(elsewhere)
    first, second = fp(base, moved)
    assert first.endswith(":1") and second.endswith(":2") and first[:-2] == second[:-2]


def test_sarif_never_writes_the_subject(tmp_path: Path) -> None:
    secret = "s3cr3t-token-value"
    f = finding(
        "HP901",
        "dummy-unpinned-image",
        Severity.ERROR,
        "a secret is set",
        "Dockerfile",
        (1, 1, 1, 5),
        subject=secret,
    )
    assert secret not in out("sarif", [f], rules=RULES, root=str(tmp_path))


def test_sarif_paths_regions_and_unknown_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator: Draft7Validator
) -> None:
    monkeypatch.chdir(tmp_path)
    outside = str(tmp_path.parent / "elsewhere" / "Dockerfile")
    fs = [
        finding(
            "HP901",
            "dummy-unpinned-image",
            Severity.ERROR,
            "m",
            "100%/x y#z.Dockerfile",
            (1, 1, 1, 2),
        ),
        finding(
            "HP901",
            "dummy-unpinned-image",
            Severity.ERROR,
            "m",
            str(tmp_path / "abs" / "Dockerfile"),
            (2, 7, 2, 3),
        ),  # end before start: clamped
        finding("HP001", "unparsable-file", Severity.ERROR, "cannot parse", outside, (1, 1, 1, 1)),
    ]
    log = sarif(fs, tmp_path, rules=[DummyError])
    sarif_validator.validate(log)
    run = log["runs"][0]
    locs = [r["locations"][0]["physicalLocation"] for r in run["results"]]
    assert locs[0]["artifactLocation"] == {
        "uri": "100%25/x%20y%23z.Dockerfile",
        "uriBaseId": "%SRCROOT%",
    }
    assert locs[1]["artifactLocation"] == {"uri": "abs/Dockerfile", "uriBaseId": "%SRCROOT%"}
    assert locs[1]["region"] == {"startLine": 2, "startColumn": 7, "endLine": 2, "endColumn": 7}
    assert locs[2]["artifactLocation"] == {"uri": Path(outside).as_uri()}
    # HP001 was not among the enabled rules: its descriptor (from the registry) is appended.
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["HP901", "HP001"]
    assert rules[1]["name"] == "UnparsableFile"
    assert rules[1]["shortDescription"]["text"] == "File cannot be parsed."
    assert run["results"][2]["ruleIndex"] == 1


def test_sarif_schema_catches_invalid_logs(
    tmp_path: Path, sarif_validator: Draft7Validator
) -> None:
    good = sarif(sample(), tmp_path)
    assert sarif_validator.is_valid(good)
    for mutate in (
        lambda d: d["runs"][0]["results"][0].__setitem__("level", "info"),
        lambda d: d["runs"][0]["results"][0]["locations"][0]["physicalLocation"][
            "region"
        ].__setitem__("startColumn", 0),
        lambda d: d["runs"][0]["tool"]["driver"]["rules"][0].pop("id"),
        lambda d: d.__setitem__("version", "2.0.0"),
    ):
        bad = copy.deepcopy(good)
        mutate(bad)
        assert not sarif_validator.is_valid(bad)


def test_sarif_with_the_real_rules(tmp_path: Path, sarif_validator: Draft7Validator) -> None:
    from hardpin.registry import RULES as REAL

    log = sarif([], tmp_path, rules=list(REAL))
    sarif_validator.validate(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [r.code for r in REAL]
    for r, cls in zip(rules, REAL):
        assert r["shortDescription"]["text"] == cls.summary() != ""
        assert all(f"## {h}" in r["help"]["markdown"] for h in cls.sections())
        assert isinstance(r["properties"]["security-severity"], str)


# ---------------------------------------------------------------- github


def test_github_exact_lines_with_escaping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    fs = sample() + [
        finding(
            "HP902",
            "dummy-add",
            Severity.WARNING,
            "50% done:\nyes, really",
            "we,ird:100%/Dockerfile",
            (7, 2, 7, 9),
        ),
    ]
    assert out("github", fs, root=str(tmp_path)).splitlines() == [
        "::error file=a/Dockerfile,line=1,col=6,endLine=1,endColumn=17,"
        "title=HP901 dummy-unpinned-image::image python:3.12 is not pinned",
        "::warning file=a/Dockerfile,line=4,col=1,endLine=4,endColumn=4,title=HP902 dummy-add"
        "::use COPY",
        "::warning file=b dir/Dockerfile,line=2,col=3,endLine=2,endColumn=3,title=HP902 dummy-add"
        "::odd 100%25, a:b%0D%0Anext",
        # several lines: no columns
        "::notice file=c/Dockerfile,line=3,endLine=5,title=HP903 dummy-info::spans lines",
        "::warning file=we%2Cird%3A100%25/Dockerfile,line=7,col=2,endLine=7,endColumn=9,"
        "title=HP902 dummy-add::50%25 done:%0Ayes, really",
    ]


def test_github_no_findings_prints_nothing(tmp_path: Path) -> None:
    assert out("github", [], root=str(tmp_path)) == ""


# ---------------------------------------------------------------- render


def test_render_knows_exactly_the_formats() -> None:
    assert FORMATS == ("text", "concise", "full", "json", "sarif", "github")
    with pytest.raises(HardpinError, match="unknown output format 'xml'"):
        render("xml", [], stream=io.StringIO(), rules=RULES)


# ---------------------------------------------------------------- full text


def test_full_format_shows_source_lines_with_carets(tmp_path: Path) -> None:
    from hardpin.model import Source

    text = (
        "\ufeffFROM python:3.12\n"  # the BOM counts as a column, shows as nothing
        "RUN\tcurl -fsSL https://x.sh \\\n"
        "   | sh\n"
        "LABEL x=\x1b[31m\n"
    )
    fs = [
        finding("HP901", "dummy-unpinned-image", Severity.ERROR, "m1", "D", (1, 7, 1, 18)),
        finding("HP902", "dummy-add", Severity.WARNING, "m2", "D", (2, 5, 3, 8)),
        finding("HP903", "dummy-info", Severity.INFO, "m3", "D", (4, 9, 4, 14)),
        finding("HP903", "dummy-info", Severity.INFO, "m4", "gone", (1, 1, 1, 2)),
    ]
    got = out("full", fs, color=False, files_checked=1, sources={"D": text})
    assert got == (
        "D:1:7: HP901 error: m1\n"
        "  |\n"
        "1 | FROM python:3.12\n"
        "  |      ^^^^^^^^^^^ HP901\n"
        "  |\n"
        "\n"
        "D:2:5: HP902 warning: m2\n"
        "  |\n"
        "2 | RUN\tcurl -fsSL https://x.sh \\\n"
        "  |    \t^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "3 |    | sh\n"
        "  |    ^^^^ HP902\n"
        "  |\n"
        "\n"
        "D:4:9: HP903 info: m3\n"
        "  |\n"
        "4 | LABEL x=\\x1b[31m\n"
        "  |         ^^^^^^^^ HP903\n"
        "  |\n"
        "\n"
        # a file that cannot be read: the line alone
        "gone:1:1: HP903 info: m4\n"
        "\n"
        "Found 4 findings (1 error, 1 warning, 2 info) in 2 files.\n"
    )
    # the concise format is the plain text format
    assert out("concise", fs, color=False, files_checked=1) == out(
        "text", fs, color=False, files_checked=1
    )
    # a long span shows its first lines and a row of dots
    many = "".join(f"line {i}\n" for i in range(1, 21))
    f = finding("HP902", "dummy-add", Severity.WARNING, "m", "M", (2, 1, 15, 3))
    rows = out("full", [f], color=False, sources={"M": many}).splitlines()
    assert rows[2:4] == ["2 | line 2", "  | ^^^^^^"]
    assert rows[12:14] == ["7 | line 7", "  | ^^^^^^ HP902"]
    assert rows[14] == ". |"
    # files the run does not hold are read from disk
    (tmp_path / "Dockerfile").write_text("FROM a\n")
    f = finding("HP901", "x", Severity.ERROR, "m", str(tmp_path / "Dockerfile"), (1, 6, 1, 7))
    assert out("full", [f], color=False).splitlines()[2:4] == ["1 | FROM a", "  |      ^ HP901"]
    assert Source("x", "a").line_count == 1


def test_full_format_in_colour_has_the_same_text(monkeypatch: pytest.MonkeyPatch) -> None:
    fs = [finding("HP901", "x", Severity.ERROR, "m", "D", (1, 6, 1, 7))]
    src = {"D": "FROM a\n"}
    coloured = out("full", fs, color=True, sources=src)
    assert "\x1b[" in coloured
    assert ANSI.sub("", coloured) == out("full", fs, color=False, sources=src)


# ---------------------------------------------------------------- sarif fixes


def test_sarif_fixes_from_known_edits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_validator: Draft7Validator
) -> None:
    from hardpin.model import Applicability, Edit, Fix
    from hardpin.output.sarif import SCHEMA_URI

    monkeypatch.chdir(tmp_path)
    text = "FROM a\nADD  --chown=1 x /x\nRUN b\n"
    base = sample()

    def with_fix(f: Finding, fix: Fix | None) -> Finding:
        return Finding(
            code=f.code,
            name=f.name,
            severity=f.severity,
            message=f.message,
            path="Dockerfile",
            line=f.line,
            column=f.column,
            end_line=f.end_line,
            end_column=f.end_column,
            fix_availability=f.fix_availability,
            subject=f.subject,
            fix=fix,
        )

    replace_add = Fix((Edit(7, 10, "COPY"),), Applicability.SAFE, "use COPY")
    insert = Fix((Edit(6, 6, "@sha256:" + "0" * 64), Edit(27, 27, "\n")), Applicability.UNSAFE)
    fs = [
        with_fix(base[1], replace_add),
        with_fix(base[0], insert),
        with_fix(base[2], None),
    ]
    log = json.loads(
        out("sarif", fs, rules=RULES, root=str(tmp_path), sources={"Dockerfile": text})
    )
    assert log["$schema"] == SCHEMA_URI
    sarif_validator.validate(log)
    res = log["runs"][0]["results"]
    assert res[0]["fixes"] == [
        {
            "description": {"text": "use COPY (safe fix)"},
            "artifactChanges": [
                {
                    "artifactLocation": {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"},
                    "replacements": [
                        {
                            "deletedRegion": {
                                "startLine": 2,
                                "startColumn": 1,
                                "endLine": 2,
                                "endColumn": 4,
                            },
                            "insertedContent": {"text": "COPY"},
                        }
                    ],
                }
            ],
        }
    ]
    (change,) = res[1]["fixes"][0]["artifactChanges"]
    assert res[1]["fixes"][0]["description"] == {
        "text": "HP901 dummy-unpinned-image (unsafe fix (--unsafe-fixes))"
    }
    assert [r["deletedRegion"] for r in change["replacements"]] == [
        {"startLine": 1, "startColumn": 7, "endLine": 1, "endColumn": 7},  # an insertion
        {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 1},
    ]
    assert "fixes" not in res[2]
    # edits that do not fit the text are left out rather than written wrong
    wrong = [with_fix(base[1], Fix((Edit(7, 999, "x"),), Applicability.SAFE))]
    log = json.loads(
        out("sarif", wrong, rules=RULES, root=str(tmp_path), sources={"Dockerfile": text})
    )
    assert "fixes" not in log["runs"][0]["results"][0]
    # a fix whose file cannot be read has no SARIF fix
    log = json.loads(out("sarif", fs, rules=RULES, root=str(tmp_path)))
    assert all("fixes" not in r for r in log["runs"][0]["results"])


def test_sarif_schema_rejects_a_malformed_fix(
    tmp_path: Path, sarif_validator: Draft7Validator
) -> None:
    from hardpin.model import Applicability, Edit, Fix

    f = sample()[1]
    fixed = Finding(
        code=f.code, name=f.name, severity=f.severity, message=f.message, path="D",
        line=1, column=1, end_line=1, end_column=2, fix=Fix((Edit(0, 1, "y"),), Applicability.SAFE),
    )  # fmt: skip
    log = json.loads(out("sarif", [fixed], rules=RULES, root=str(tmp_path), sources={"D": "x\n"}))
    sarif_validator.validate(log)
    bad = copy.deepcopy(log)
    bad["runs"][0]["results"][0]["fixes"][0].pop("artifactChanges")
    assert not sarif_validator.is_valid(bad)
    bad = copy.deepcopy(log)
    change = bad["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]
    change["replacements"][0].pop("deletedRegion")
    assert not sarif_validator.is_valid(bad)
