"""The rule base class and the context a rule reports into."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.context import RuleContext
from hardpin.model import FixAvailability, Severity

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import ClassVar

__all__ = ["DOC_SECTIONS", "Rule", "RuleContext"]
DOC_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead", "Fix safety")
_SECTION_RE = lazy_re(r"^## (.+)$", re.M)  # for the documentation only


class Rule:
    """Base class. Subclasses set the class attributes and implement `check`.

    The docstring of a rule is its documentation: a one-line summary, then the
    sections named in DOC_SECTIONS as `## Heading` blocks (Markdown).
    """

    code: ClassVar[str]
    name: ClassVar[str]
    severity: ClassVar[Severity]
    fix: ClassVar[FixAvailability] = FixAvailability.NONE
    online: ClassVar[bool] = False
    kinds: ClassVar[frozenset[str]] = frozenset({"dockerfile"})

    def check(self, ctx: RuleContext) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def summary(cls) -> str:
        doc = (cls.__doc__ or "").strip()
        return doc.splitlines()[0].strip() if doc else ""

    @classmethod
    def sections(cls) -> dict[str, str]:
        """The docstring's `## Heading` sections, in order, dedented."""
        import inspect

        doc = inspect.cleandoc(cls.__doc__ or "")
        parts = _SECTION_RE.split(doc)
        out: dict[str, str] = {}
        for i in range(1, len(parts) - 1, 2):
            out[parts[i].strip()] = parts[i + 1].strip()
        return out
