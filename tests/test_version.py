"""One version everywhere: pyproject.toml, `hardpin.__version__`, `hardpin --version` and
the newest release in CHANGELOG.md (the wheel's metadata: tests/test_packaging.py)."""

from __future__ import annotations

import re
import tomllib
from datetime import date

from conftest import ROOT, run_cli
from packaging.version import Version

import hardpin

CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\S+))?[ \t]*$", re.M)


def releases() -> list[tuple[str, str | None]]:
    return [(m["name"], m["date"]) for m in HEADING.finditer(CHANGELOG)]


def test_package_pyproject_and_command_line_agree() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["version"] == hardpin.__version__
    r = run_cli("--version")
    assert (r.returncode, r.stdout.strip()) == (0, f"hardpin {hardpin.__version__}")


def test_newest_changelog_release_is_the_package_version() -> None:
    found = releases()
    assert found[0] == ("Unreleased", None), "the first section is [Unreleased]"
    released = found[1:]
    assert released, "no released version in CHANGELOG.md"
    assert released[0][0] == hardpin.__version__


def test_changelog_releases_are_dated_ordered_and_linked() -> None:
    released = releases()[1:]
    versions = [Version(name) for name, _ in released]
    assert versions == sorted(versions, reverse=True)
    assert len(set(versions)) == len(versions)
    for name, day in released:
        assert day is not None, f"[{name}] has no date"
        date.fromisoformat(day)
        assert re.search(
            rf"^\[{re.escape(name)}\]: https://\S+v{re.escape(name)}\b", CHANGELOG, re.M
        )
    assert re.search(r"^\[Unreleased\]: https://\S+$", CHANGELOG, re.M)
