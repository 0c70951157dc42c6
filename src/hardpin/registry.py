"""The one explicit list of rules. Adding a rule means adding its row to `TABLE`.

`TABLE` names every rule with the module that defines it, the kinds of file it
checks and whether it is an online check, in documentation order; the classes
are imported only when a run needs them, so linting a requirements file never
imports the Dockerfile rules (nor the analysis modules they use), and an offline
run never imports the online ones. `hardpin rules`, the docs and SARIF see every
rule through `all_rules()` (also `RULES` and `BY_CODE`, computed on first use).
A test checks that the table agrees with the classes (codes, kinds, online).
"""

from __future__ import annotations

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.rules.base import Rule

_ALL = frozenset({"*"})
_DOCKERFILE = frozenset({"dockerfile"})
_SHELL = frozenset({"dockerfile", "shell", "workflow", "action"})
_REQUIREMENTS = frozenset({"requirements"})
_GITHUB = frozenset({"workflow", "action"})
_YAML = frozenset({"workflow", "action", "compose", "kubernetes", "gitlab-ci", "pre-commit"})
# checked by `hardpin verify` / `hardpin sbom` (registry discovery, SBOM files), never by a lint run
_IMAGE = frozenset({"image"})
_IMAGE_SBOM = frozenset({"image", "sbom"})

TABLE: tuple[tuple[str, str, frozenset[str], bool], ...] = (
    # (code, module under hardpin.rules, kinds ("*": every kind), online)
    ("HP001", "meta", _ALL, False),
    ("HP002", "meta", _ALL, False),
    ("HP003", "meta", _DOCKERFILE, False),
    ("HP101", "hp101", _DOCKERFILE, False),
    ("HP102", "hp102", _DOCKERFILE, False),
    ("HP103", "hp103", _DOCKERFILE, False),
    ("HP104", "hp104", _DOCKERFILE, False),
    # HP2xx: pip family
    ("HP201", "hp201", _SHELL, False),
    ("HP202", "hp202", _SHELL, False),
    ("HP203", "hp203", _SHELL, False),
    ("HP210", "hp210", _SHELL, False),
    # HP2xx: other package managers
    ("HP204", "hp204", _SHELL, False),
    ("HP205", "hp205", _SHELL, False),
    ("HP209", "hp209", _SHELL, False),
    ("HP211", "hp211", _SHELL, False),
    ("HP212", "hp212", frozenset({"dockerfile", "shell"}), False),
    # HP2xx: downloads and TLS
    ("HP206", "hp206", _SHELL, False),
    ("HP207", "hp207", _DOCKERFILE, False),
    ("HP208", "hp208", _SHELL, False),
    # HP3xx: pip requirements files
    ("HP301", "hp301", _REQUIREMENTS, False),
    ("HP302", "hp302", _REQUIREMENTS, False),
    ("HP303", "hp303", _REQUIREMENTS, False),
    ("HP304", "hp304", _REQUIREMENTS, False),
    ("HP305", "hp305", _REQUIREMENTS, False),
    ("HP306", "hp306", _REQUIREMENTS, False),
    # HP4xx: Dockerfile hardening
    ("HP401", "hp401", _DOCKERFILE, False),
    ("HP402", "hp402", _DOCKERFILE, False),
    ("HP403", "hp403", _DOCKERFILE, False),
    ("HP404", "hp404", _DOCKERFILE, False),
    ("HP405", "hp405", _DOCKERFILE, False),
    # HP5xx: CI workflows, compose, Kubernetes, pre-commit
    ("HP501", "hp501", _GITHUB, False),
    ("HP502", "hp502", frozenset({"workflow", "action", "gitlab-ci"}), False),
    ("HP503", "hp503", frozenset({"compose", "kubernetes"}), False),
    ("HP504", "hp504", _GITHUB, False),
    ("HP505", "hp505", _GITHUB, False),
    ("HP506", "hp506", frozenset({"workflow"}), False),
    ("HP507", "hp507", frozenset({"workflow", "action", "kubernetes"}), False),
    ("HP508", "hp508", frozenset({"kubernetes"}), False),
    ("HP509", "hp509", frozenset({"pre-commit"}), False),
    # HP6xx: online checks of what is published
    ("HP601", "hp601", _DOCKERFILE, True),
    ("HP602", "hp602", _DOCKERFILE | _YAML, True),
    ("HP603", "hp603", _IMAGE, True),
    ("HP604", "hp604", _IMAGE, True),
    ("HP605", "hp605", _IMAGE, True),
    ("HP606", "hp606", _IMAGE_SBOM, True),
)

CODES: tuple[str, ...] = tuple(row[0] for row in TABLE)
_ROW = {row[0]: row for row in TABLE}
_CLASSES: dict[str, type[Rule]] = {}
_FOR_KIND: dict[tuple[str, bool], tuple[type[Rule], ...]] = {}


def is_code(code: str) -> bool:
    """Whether `code` names a hardpin rule (imports nothing)."""
    return code in _ROW


def rule_class(code: str) -> type[Rule]:
    """The class of rule `code` (KeyError for an unknown code); imports its module."""
    cls = _CLASSES.get(code)
    if cls is None:
        # __import__ rather than importlib.import_module: the same import, and it
        # shows in `python -X importtime`, which import_module's does not
        module = __import__(f"hardpin.rules.{_ROW[code][1]}", fromlist=[code])
        cls = _CLASSES[code] = getattr(module, code)
    return cls


def get(code: str) -> type[Rule] | None:
    """The class of rule `code`, or None when no rule has that code."""
    return rule_class(code) if code in _ROW else None


def codes_for_kind(kind: str, online: bool = False) -> tuple[str, ...]:
    """The codes of the rules that check files of `kind`, in table order (imports
    nothing)."""
    return tuple(
        code
        for code, _module, kinds, is_online in TABLE
        if (kind in kinds or "*" in kinds) and (online or not is_online)
    )


def rules_for_kind(kind: str, online: bool = False) -> tuple[type[Rule], ...]:
    """The rules that check files of `kind`, in table order; online rules only with
    `online`. Imports only their modules."""
    key = (kind, online)
    out = _FOR_KIND.get(key)
    if out is None:
        out = _FOR_KIND[key] = tuple(
            rule_class(code)
            for code, _module, kinds, is_online in TABLE
            if (kind in kinds or "*" in kinds) and (online or not is_online)
        )
    return out


def all_rules() -> tuple[type[Rule], ...]:
    """Every rule class, in table order (imports every rule module)."""
    return tuple(rule_class(code) for code in CODES)


if TYPE_CHECKING:
    RULES: tuple[type[Rule], ...]
    BY_CODE: dict[str, type[Rule]]


def __getattr__(name: str) -> object:
    # `RULES` and `BY_CODE` import every rule module: computed on first use only
    if name == "RULES":
        value: object = all_rules()
    elif name == "BY_CODE":
        value = {r.code: r for r in all_rules()}
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value
