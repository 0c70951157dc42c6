"""The layers of src/hardpin, enforced on the import statements of every module.

* network and process modules only in `hardpin/online/`;
* rich only in `hardpin/output/` and `hardpin/cli.py`;
* `hardpin.analysis` (what rules share) never imports `hardpin.rules`;
* a rule module never imports another rule module (`rules.base` is allowed).

Imports inside functions and under `if TYPE_CHECKING:` count as well.
"""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "hardpin"
NETWORK_AND_PROCESS = ("http.client", "socket", "ssl", "subprocess", "urllib.request")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, imported module) for every import in `source`; `from X import Y` gives
    both X and X.Y (Y may be a module), relative imports are resolved."""
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")
                if not is_package:
                    pkg = pkg[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join(pkg + ([base] if base else []))
            out.append((node.lineno, base))
            out.extend((node.lineno, f"{base}.{a.name}") for a in node.names)
    return out


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(module: str, source: str, is_package: bool = False) -> list[str]:
    found = []
    in_online = _within(module, "hardpin.online")
    rich_ok = _within(module, "hardpin.output") or module == "hardpin.cli"
    rule_module = module.startswith("hardpin.rules.") and module != "hardpin.rules.base"
    for line, name in imports(source, module, is_package):
        where = f"{module}:{line} imports {name}"
        if not in_online and any(_within(name, m) for m in NETWORK_AND_PROCESS):
            found.append(f"{where}: network and process modules belong in hardpin/online/")
        if not rich_ok and _within(name, "rich"):
            found.append(f"{where}: rich belongs in hardpin/output/ and cli.py")
        if _within(module, "hardpin.analysis") and _within(name, "hardpin.rules"):
            found.append(f"{where}: analysis/ is under the rules and never imports them")
        if (
            rule_module
            and _within(name, "hardpin.rules")
            and name.count(".") >= 2
            and not _within(name, "hardpin.rules.base")
            and not _within(name, module)
        ):
            found.append(f"{where}: a rule imports analysis/, never another rule")
    return found


def test_every_module_keeps_to_its_layer() -> None:
    problems = []
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50
    for path in modules:
        problems += violations(
            module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py"
        )
    assert problems == []


def test_the_checker_catches_each_kind_of_violation() -> None:
    cases = {
        ("hardpin.discovery", "import subprocess"): "online",
        ("hardpin.engine", "def f():\n    from http import client"): "online",
        ("hardpin.refs", "from urllib.request import urlopen"): "online",
        ("hardpin.settings", "import ssl, socket"): "online",
        ("hardpin.online.resolve", "from rich.progress import Progress"): "rich",
        ("hardpin.engine", "import rich"): "rich",
        (
            "hardpin.analysis.dockerfile",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from hardpin.rules.base import RuleContext",
        ): "analysis",
        ("hardpin.analysis.shell", "from ..rules.meta import HP001"): "analysis",
        ("hardpin.rules.hp102", "from hardpin.rules.hp101 import digest_span"): "rule",
        ("hardpin.rules.hp602", "from hardpin.rules import hp601"): "rule",
        ("hardpin.rules.hp602", "from . import hp601"): "rule",
    }
    for (module, source), what in cases.items():
        found = violations(module, source)
        assert len(found) >= 1 and what in found[0], (module, source, found)
    # allowed
    for module, source in (
        ("hardpin.online.http", "import http.client, socket, ssl"),
        ("hardpin.online.lock", "import subprocess"),
        ("hardpin.output.text", "from rich.console import Console"),
        ("hardpin.cli", "import rich"),
        ("hardpin.rules.hp101", "from hardpin.rules.base import Rule\nfrom hardpin import refs"),
        ("hardpin.output.sarif", "from urllib.parse import quote"),
        ("hardpin.analysis.shell", "from hardpin.context import RuleContext"),
    ):
        assert violations(module, source) == [], (module, source)


def test_pending_kinds_are_spelled_once() -> None:
    """The kind names of pending network work exist only in model.PendingKind."""
    names = ("image-update", "image-exists", "pip-hashes")
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "model.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in names:
                spelled.append(f"{module_name(path)}:{node.lineno} {node.value!r}")
    assert spelled == []
