"""The one explicit list of rules. Adding a rule means adding its class here."""

from __future__ import annotations

from hardpin.rules.base import Rule
from hardpin.rules.meta import HP001, HP002

RULES: tuple[type[Rule], ...] = (
    HP001,
    HP002,
)

BY_CODE: dict[str, type[Rule]] = {r.code: r for r in RULES}
