"""The fix engine's overlap guard: edits that overlap in one pass are not applied together;
the one left out is applied on a later pass, after the text is checked again."""

from __future__ import annotations

from hardpin.fixer import apply_edits, converge
from hardpin.model import Applicability, Edit, Finding, Fix, Severity


def _finding(column: int, *edits: tuple[int, int, str], code: str = "HP999") -> Finding:
    """A finding at line 1, `column`, whose safe fix is `edits` (findings are taken in
    (path, line, column, code) order)."""
    fix = Fix(tuple(Edit(s, e, t) for s, e, t in edits), Applicability.SAFE)
    return Finding(code, "test", Severity.ERROR, "m", "f", 1, column, 1, column, fix=fix)


def test_overlapping_edits_are_split_over_two_passes() -> None:
    text = "abc"
    first = _finding(1, (0, 2, "xy"))
    second = _finding(2, (1, 3, "ZZ"))
    # one pass applies the first finding (in finding order) and leaves the other out
    assert apply_edits(text, [second, first], unsafe=False) == ("xyc", 1)

    def lint(t: str) -> list[Finding]:
        out = []
        if t.startswith("ab"):
            out.append(_finding(1, (0, 2, "xy")))
        for pair in ("bc", "yc"):
            i = t.find(pair)
            if i != -1:
                out.append(_finding(i + 1, (i, i + 2, "ZZ")))
        return out

    # converge applies the left-out fix on the next pass, to the text it was made for
    fixed, n, after = converge(text, lint, unsafe=False)
    assert (fixed, n) == ("xZZ", 2)
    assert after == []


def test_one_character_of_overlap_is_overlap() -> None:
    text = "abcdef"
    a = _finding(1, (0, 3, "X"))
    b = _finding(3, (2, 5, "Y"))
    assert apply_edits(text, [a, b], unsafe=False) == ("Xdef", 1)


def test_touching_edits_are_applied_in_one_pass() -> None:
    text = "abcdef"
    a = _finding(1, (0, 2, "X"))
    b = _finding(3, (2, 4, "Y"))
    c = _finding(5, (4, 6, "Z"))
    assert apply_edits(text, [c, a, b], unsafe=False) == ("XYZ", 3)


def test_insertion_at_the_start_of_a_replacement_waits_a_pass() -> None:
    text = "abcdef"
    replace = _finding(1, (2, 4, "XY"))
    insert = _finding(2, (2, 2, "@"))
    # the replacement comes first: the insertion at its start would be ambiguous
    assert apply_edits(text, [insert, replace], unsafe=False) == ("abXYef", 1)
    # inside the replaced text: overlap
    inside = _finding(2, (3, 3, "@"))
    assert apply_edits(text, [inside, replace], unsafe=False) == ("abXYef", 1)
    # at its end: touching, applied in the same pass
    at_end = _finding(2, (4, 4, "@"))
    assert apply_edits(text, [at_end, replace], unsafe=False) == ("abXY@ef", 2)


def test_two_insertions_at_one_offset_are_not_applied_together() -> None:
    text = "img:1"
    a = _finding(1, (5, 5, "@sha256:a"))
    b = _finding(2, (5, 5, "@sha256:b"))
    assert apply_edits(text, [b, a], unsafe=False) == ("img:1@sha256:a", 1)
    # next to each other they are two places
    c = _finding(2, (4, 4, "!"))
    assert apply_edits(text, [c, a], unsafe=False) == ("img:!1@sha256:a", 2)


def test_edits_of_one_finding_are_checked_against_every_taken_edit() -> None:
    text = "0123456789"
    a = _finding(1, (0, 1, "a"), (8, 9, "b"))
    b = _finding(2, (3, 4, "c"), (8, 10, "d"))  # its second edit overlaps a's second
    c = _finding(3, (5, 6, "e"))
    assert apply_edits(text, [a, b, c], unsafe=False) == ("a1234e67b9", 2)
