"""The static rule table of hardpin.registry agrees with the rule classes, and a run
imports only the rule modules of the kinds it lints."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hardpin import registry
from hardpin.rules.base import Rule

ROOT = Path(__file__).resolve().parent.parent
RULES_DIR = ROOT / "src" / "hardpin" / "rules"


def defined_rules() -> dict[str, tuple[str, type[Rule]]]:
    """Every Rule subclass with a code defined in a module of hardpin.rules:
    code -> (module name, class)."""
    out: dict[str, tuple[str, type[Rule]]] = {}
    for path in sorted(RULES_DIR.glob("*.py")):
        name = path.stem
        if name.startswith("_") or name == "base":
            continue
        mod = importlib.import_module(f"hardpin.rules.{name}")
        for obj in vars(mod).values():
            if (
                inspect.isclass(obj)
                and issubclass(obj, Rule)
                and obj.__module__ == mod.__name__
                and "code" in vars(obj)
            ):
                assert obj.code not in out, f"{obj.code} defined twice"
                out[obj.code] = (name, obj)
    return out


def test_table_agrees_with_the_classes() -> None:
    defined = defined_rules()
    codes = [row[0] for row in registry.TABLE]
    assert len(set(codes)) == len(codes), "a code is listed twice"
    assert sorted(codes) == sorted(defined), "table and rule modules list different codes"
    for code, module, kinds, online in registry.TABLE:
        mod_name, cls = defined[code]
        assert module == mod_name, code
        assert cls.__name__ == code
        assert cls.code == code
        assert cls.kinds == kinds, f"{code}: kinds {sorted(cls.kinds)} != {sorted(kinds)}"
        assert cls.online is online, code


def test_every_view_keeps_the_table_order() -> None:
    order = [row[0] for row in registry.TABLE]
    assert [r.code for r in registry.all_rules()] == order
    assert [r.code for r in registry.RULES] == order
    assert list(registry.BY_CODE) == order
    assert registry.CODES == tuple(order)
    for kind in ("dockerfile", "shell", "requirements", "other"):
        for online in (False, True):
            got = [r.code for r in registry.rules_for_kind(kind, online)]
            want = [
                c
                for c, _m, kinds, on in registry.TABLE
                if (kind in kinds or "*" in kinds) and (online or not on)
            ]
            assert got == want, (kind, online)
            # the same as filtering every class by its own attributes
            assert got == [
                r.code
                for r in registry.all_rules()
                if (kind in r.kinds or "*" in r.kinds) and (online or not r.online)
            ]


def test_lookup_by_code() -> None:
    assert registry.get("HP101") is registry.BY_CODE["HP101"]
    assert registry.get("HP999") is None
    assert registry.is_code("HP405") and not registry.is_code("HP999")
    with pytest.raises(KeyError):
        registry.rule_class("HP999")
    with pytest.raises(AttributeError):
        registry.NOT_THERE  # type: ignore[attr-defined]  # noqa: B018


def _modules_after(code: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPROFILE")}
    env["PYTHONPATH"] = str(ROOT / "src")
    probe = (
        "import sys, json\n"
        f"{code}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('hardpin.rules.'))))\n"
    )
    p = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return list(json.loads(p.stdout.splitlines()[-1]))


def test_a_kind_imports_only_its_rule_modules() -> None:
    mods = _modules_after("from hardpin import registry\nregistry.rules_for_kind('requirements')")
    assert mods == [
        "hardpin.rules.base",
        "hardpin.rules.hp301",
        "hardpin.rules.hp302",
        "hardpin.rules.hp303",
        "hardpin.rules.hp304",
        "hardpin.rules.hp305",
        "hardpin.rules.hp306",
        "hardpin.rules.meta",
    ]
    offline = _modules_after("from hardpin import registry\nregistry.rules_for_kind('dockerfile')")
    assert "hardpin.rules.hp601" not in offline and "hardpin.rules.hp301" not in offline
    assert "hardpin.rules.hp101" in offline
    online = _modules_after(
        "from hardpin import registry\nregistry.rules_for_kind('dockerfile', online=True)"
    )
    assert "hardpin.rules.hp601" in online and "hardpin.rules.hp602" in online
    assert _modules_after("import hardpin.registry") == []
