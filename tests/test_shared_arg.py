"""An ARG shared by several uses is pinned only when every use is a whole image reference.

`ARG BASE=img:1` with `FROM ${BASE}` and `FROM ${BASE}-slim`: pinning the default would
turn the second into `img:1@sha256:…-slim`. And a digest that reaches a reference through
an ARG that is only part of it (`FROM mirror/${IMAGE}`) was written for another image.
"""

from __future__ import annotations

from hardpin.engine import lint_text
from hardpin.model import Finding
from hardpin.settings import Settings

D = "sha256:" + "0123456789abcdef" * 4


def _hp101(text: str, code: str = "HP101") -> dict[int, Finding]:
    found = lint_text("Dockerfile", "dockerfile", text, Settings(), online=True)
    return {f.line: f for f in found if f.code == code}


def _fixable(f: Finding) -> bool:
    return f.pending is not None


def test_whole_reference_uses_only_keep_the_fix() -> None:
    got = _hp101("ARG BASE=img:1\nFROM ${BASE} AS a\nFROM $BASE AS b\nFROM ${BASE}\n")
    assert sorted(got) == [2, 3, 4]
    assert all(_fixable(f) for f in got.values())
    # every site's edit lands on the ARG default
    assert {(f.pending.start, f.pending.end) for f in got.values()} == {(14, 14)}  # type: ignore[union-attr]


def test_suffix_use_withholds_the_fix_and_names_the_line() -> None:
    got = _hp101("ARG BASE=img:1\nFROM ${BASE} AS a\nFROM ${BASE}-slim\n")
    assert not _fixable(got[2])
    assert "BASE is also used in line 3" in got[2].message
    assert not _fixable(got[3])


def test_every_kind_of_other_use_withholds_the_fix() -> None:
    for other in (
        "FROM ${BASE}\nARG BASE\nRUN echo $BASE\n",
        "FROM ${BASE}\nARG BASE\nENV X=${BASE:-none}\n",
        "FROM ${BASE}\nARG BASE\nLABEL base=$BASE\n",
        "FROM ${BASE}\nARG BASE\nRUN <<EOF\necho $BASE\nEOF\n",
        "FROM --platform=$BASE alpine@" + D + "\nFROM ${BASE}\n",
        "FROM mirror.example/${BASE}\nFROM ${BASE}\n",
    ):
        text = "ARG BASE=img:1\n" + other
        got = _hp101(text)
        site = next(line for line, f in got.items() if "(from ${BASE})" in f.message)
        assert not _fixable(got[site]), other
        assert "BASE is also used in line" in got[site].message, other


def test_another_args_default_is_a_use() -> None:
    got = _hp101("ARG BASE=img:1\nARG FULL=${BASE}-x\nFROM ${BASE}\n")
    assert not _fixable(got[3])
    assert "BASE is also used in line 2" in got[3].message


def test_uses_out_of_scope_do_not_count() -> None:
    # a stage that does not declare BASE sees no value: `$BASE` there is not this ARG
    got = _hp101("ARG BASE=img:1\nFROM ${BASE} AS a\nFROM scratch\nRUN echo $BASE\n")
    assert _fixable(got[2])
    # a stage that declares it again with its own default has another ARG
    got = _hp101("ARG BASE=img:1\nFROM ${BASE} AS a\nARG BASE=other\nRUN echo $BASE\n")
    assert _fixable(got[2])
    # a longer name is another variable
    got = _hp101("ARG BASE=img:1\nARG BASEX=1\nFROM ${BASE} AS a\nRUN echo $BASEX ${BASEX}\n")
    assert _fixable(got[3])


def test_stage_arg_for_copy_from() -> None:
    text = "FROM alpine@" + D + "\nARG T=img:2\nCOPY --from=${T} /a /a\n"
    assert _fixable(_hp101(text)[3])
    got = _hp101(text + "RUN echo ${T}\n")
    assert not _fixable(got[3])
    assert "T is also used in line 4" in got[3].message


def test_malformed_digest_in_a_shared_arg_is_not_rewritten() -> None:
    text = "ARG BASE=img:1@sha256:abc\nFROM ${BASE}\nRUN echo hi\n"
    assert _fixable(_hp101(text)[2])
    got = _hp101("ARG BASE=img:1@sha256:abc\nFROM ${BASE}\nARG BASE\nRUN echo $BASE\n")
    assert not _fixable(got[2])


def test_digest_through_part_of_a_reference_is_not_a_pin() -> None:
    text = f"ARG IMAGE=img@{D}\nFROM ${{IMAGE}} AS a\nFROM host/nodigest/${{IMAGE}}\n"
    got = _hp101(text)
    assert list(got) == [3]
    assert "its digest comes from ARG IMAGE" in got[3].message and not _fixable(got[3])
    got = _hp101(f"ARG REG=r.example\nARG IMAGE=img@{D}\nFROM ${{REG}}/${{IMAGE}}\n")
    assert list(got) == [3] and "from ARG IMAGE" in got[3].message
    # nor is it a pin for the online rules to check or update there
    for code in ("HP601", "HP602"):
        assert list(_hp101(text.replace("img@", "img:1@"), code)) == [2], code


def test_digest_written_at_the_site_still_pins() -> None:
    for text in (
        f"ARG REG=r.example\nFROM ${{REG}}/img:1@{D}\n",
        f'ARG IMAGE=img@{D}\nFROM "${{IMAGE}}"\n',
        f"ARG IMAGE=img@{D}\nFROM ${{IMAGE:-alpine}}\n",
        f"ARG DIG={D}\nFROM img:1@${{DIG}}\n",
        f"ARG REG=docker.io\nARG GO_VER=1.21-alpine@{D}\nFROM ${{REG}}/library/golang:${{GO_VER}}\n",
    ):
        assert _hp101(text) == {}, text
