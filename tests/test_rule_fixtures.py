"""Every rule's fixtures: where it fires and where it must not, with exact (code, line, column)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES

from hardpin.discovery import kind_of, sniff_kind
from hardpin.engine import lint_text
from hardpin.fixer import converge
from hardpin.registry import BY_CODE, RULES
from hardpin.settings import Settings

RULE_DIR = FIXTURES / "rules"


def fixture_kind(path: Path) -> str | None:
    """The kind discovery gives a fixture; `.txt` and `.in` files are pip requirements files
    whatever their name (`fires.txt`), as `requirements-globs` can make any file one."""
    kind = kind_of(path)
    if kind is None and path.suffix in (".txt", ".in") and path.is_file():
        return "requirements"
    if kind is None and path.suffix in (".yml", ".yaml") and path.is_file():
        return sniff_kind(str(path))  # workflows, manifests: by their content
    return kind


CASES = sorted(
    p for p in RULE_DIR.glob("*/*") if fixture_kind(p) is not None and p.suffix != ".expected"
)


def settings_for_code(code: str) -> Settings:
    if code == "HP103":
        return Settings(allowed_registries=("registry.example.com", "*.gcr.io", "ghcr.io/my-org/*"))
    return Settings()


def expected(path: Path) -> list[str]:
    """`<fixture>.expected`: one `CODE line:column` per line, in output order."""
    text = path.with_name(path.name + ".expected").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture(path: Path) -> None:
    code = path.parent.name
    text = path.read_bytes().decode()
    # An online rule's fixtures show its candidates (what it asks the registry about);
    # the registry's verdicts are tested against a real registry (test_pinning_e2e).
    online = BY_CODE[code].online if code in BY_CODE else False
    findings = lint_text(
        path.name,
        fixture_kind(path),
        text,
        settings_for_code(code),
        base_dir=str(path.parent),
        online=online,
    )
    got = [f"{f.code} {f.line}:{f.column}" for f in findings if f.code == code]
    assert got == expected(path)


# HP603-HP606 judge registry content and SBOM files, not linted files: their verdicts
# are tested against a real registry and real SBOMs (test_verify.py, test_sbom.py)
FILE_RULES = [r for r in RULES if not r.kinds <= {"image", "sbom"}]


@pytest.mark.parametrize("rule", FILE_RULES, ids=lambda r: r.code)
def test_every_rule_has_firing_and_passing_fixtures(rule) -> None:
    d = RULE_DIR / rule.code
    cases = [p for p in CASES if p.parent == d]
    fires = [p for p in cases if expected(p)]
    passes = [p for p in cases if not expected(p)]
    assert fires, f"{rule.code} has no fixture where it fires"
    if rule.code != "HP001":
        assert passes, f"{rule.code} has no fixture where it must not fire"


@pytest.mark.parametrize(
    "path", sorted(RULE_DIR.glob("*/*.fixed")), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_fix_fixtures(path: Path) -> None:
    src = path.with_name(path.name[: -len(".fixed")])
    text = src.read_bytes().decode()
    settings = Settings()

    def lint(t: str):
        return lint_text(src.name, fixture_kind(src), t, settings, base_dir=str(src.parent))

    fixed, n, _ = converge(text, lint, unsafe=False)
    assert fixed == path.read_text()
    assert (n > 0) == (fixed != text)
    again, n2, _ = converge(fixed, lint, unsafe=False)
    assert again == fixed and n2 == 0
    unsafe_file = src.with_name(src.name + ".unsafe-fixed")
    if unsafe_file.exists():
        fixed_u, _, _ = converge(text, lint, unsafe=True)
        assert fixed_u == unsafe_file.read_text()


def test_rule_docstrings_have_all_sections() -> None:
    from hardpin.rules.base import DOC_SECTIONS

    for rule in RULES:
        sections = rule.sections()
        assert list(sections) == list(DOC_SECTIONS), rule.code
        assert all(sections.values()), rule.code
        assert rule.summary()
