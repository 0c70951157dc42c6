"""The Dockerfile parser: exact spans through continuations, escapes, CRLF, heredocs, stages, ARGs."""

from __future__ import annotations

import pytest

from hardpin.analysis.dockerfile import image_sites
from hardpin.model import Source
from hardpin.parsers.dockerfile import ParseError, expand, global_env, parse, stage_env


def P(text: str):
    return parse(Source("Dockerfile", text))


def span_text(df, start: int, end: int) -> str:
    return df.source.text[start:end]


def test_directives_and_backtick_escape() -> None:
    df = P(
        "# syntax=docker/dockerfile:1.7\n# escape=`\n# check=skip=all\nFROM a:1 `\n  AS x\nRUN dir C:\\ \n"
    )
    assert df.directives == {
        "syntax": ("docker/dockerfile:1.7", 1),
        "escape": ("`", 2),
        "check": ("skip=all", 3),
    }
    assert df.escape == "`"
    assert [i.keyword for i in df.instructions] == ["FROM", "RUN"]
    assert df.stages[0].name == "x"
    run = df.instructions[1]
    assert run.args == "dir C:\\"  # a backslash is not an escape here
    assert (run.line, run.end_line) == (6, 6)


def test_directive_after_comment_is_a_comment() -> None:
    df = P("# hello\n# escape=`\nFROM a:1 \\\n  AS x\n")
    assert df.directives == {}
    assert df.escape == "\\"
    assert df.stages[0].name == "x"


def test_continuations_with_comments_and_blank_lines_keep_offsets() -> None:
    text = "FROM alpine:3.20\nRUN apk add \\\n    # a comment\n\n    curl \\\n    git\nUSER app\n"
    df = P(text)
    run = df.instructions[1]
    assert (run.line, run.end_line) == (2, 6)
    assert run.args == "apk add     curl     git"
    i = run.args.index("curl")
    s, e = run.span(i, i + 4)
    assert span_text(df, s, e) == "curl"
    assert Source("x", text).position(s) == (5, 5)
    assert df.instructions[2].line == 7


def test_crlf_and_bom() -> None:
    text = "\ufeffFROM alpine:3.20 \\\r\n  AS base\r\nCOPY --from=nginx:1.27 /a /b\r\n"
    df = P(text)
    assert df.stages[0].name == "base"
    sites = image_sites(df)
    assert [(s.raw, span_text(df, s.start, s.end)) for s in sites] == [
        ("alpine:3.20", "alpine:3.20"),
        ("nginx:1.27", "nginx:1.27"),
    ]
    src = Source("x", text)
    assert src.position(sites[1].start) == (3, 13)


def test_lowercase_and_json_exec_form() -> None:
    df = P('from alpine:3.20\nrun ["echo", "a b"]\ncmd echo [not json\nshell ["/bin/bash", "-c"]\n')
    kws = [(i.keyword, i.raw_keyword) for i in df.instructions]
    assert kws == [("FROM", "from"), ("RUN", "run"), ("CMD", "cmd"), ("SHELL", "shell")]
    assert df.instructions[1].json_args == ["echo", "a b"]
    assert df.instructions[2].json_args is None
    assert df.instructions[3].json_args == ["/bin/bash", "-c"]


def test_heredocs() -> None:
    text = (
        "FROM alpine:3.20\n"
        "RUN <<EOF\n"
        "echo one\n"
        "EOF\n"
        "RUN <<-'A' <<\"B\" bash\n"
        "\techo a\n"
        "\tA\n"
        "echo b\n"
        "B\n"
        "COPY <<EOF /etc/motd\n"
        "FROM not:me\n"
        "EOF\n"
        "RUN echo $((1<<2)) && cat <<<word\n"
        "USER app\n"
    )
    df = P(text)
    kws = [i.keyword for i in df.instructions]
    assert kws == ["FROM", "RUN", "RUN", "COPY", "RUN", "USER"]
    r1, r2, cp = df.instructions[1], df.instructions[2], df.instructions[3]
    assert [(h.name, h.body) for h in r1.heredocs] == [("EOF", "echo one\n")]
    assert (r1.line, r1.end_line) == (2, 4)
    assert [(h.name, h.strip_tabs, h.quoted, h.body) for h in r2.heredocs] == [
        ("A", True, True, "echo a\n"),
        ("B", False, True, "echo b\n"),
    ]
    assert (r2.line, r2.end_line) == (5, 9)
    assert cp.heredocs[0].body == "FROM not:me\n"
    assert df.instructions[4].heredocs == []
    assert df.instructions[5].line == 14


def test_unterminated_heredoc_is_a_parse_error_at_its_line() -> None:
    with pytest.raises(ParseError) as exc:
        P("FROM a:1\nRUN cat <<EOF\nx\n")
    src = Source("x", "FROM a:1\nRUN cat <<EOF\nx\n")
    assert src.position(exc.value.offset) == (2, 9)
    assert "never terminated" in exc.value.message


def test_onbuild_inner_instruction() -> None:
    df = P("FROM a:1\nONBUILD COPY --from=b:2 /x /y\nONBUILD run echo hi\n")
    ob = df.instructions[1]
    assert ob.keyword == "ONBUILD" and ob.inner is not None
    assert ob.inner.keyword == "COPY"
    f = ob.inner.flag("from")
    assert f is not None and f.value == "b:2"
    assert span_text(df, f.value_start, f.word.end) == "b:2"
    assert df.instructions[2].inner.keyword == "RUN"
    with pytest.raises(ParseError):
        P("FROM a:1\nONBUILD FROM b:1\n")


def test_stages_and_references() -> None:
    text = (
        "ARG BASE=golang:1.22\n"
        "FROM ${BASE} AS Build\n"
        "FROM build AS test\n"
        "COPY --from=Build /a /a\n"
        "COPY --from=0 /a /b\n"
        "COPY --from=later /a /c\n"
        "FROM alpine:3.20 AS later\n"
        "RUN --mount=type=bind,from=test,target=/t --mount=type=cache,target=/c,from=redis:7 ls\n"
        "FROM scratch\n"
    )
    df = P(text)
    assert [s.name for s in df.stages] == ["build", "test", "later", None]
    sites = image_sites(df)
    assert [(s.kind, s.expanded) for s in sites] == [
        ("from", "golang:1.22"),
        ("from", "alpine:3.20"),
        ("mount", "redis:7"),
    ]
    mount = sites[2]
    assert span_text(df, mount.start, mount.end) == "redis:7"


def test_arg_scoping() -> None:
    text = "ARG A=1\nARG B\nARG C=x${A}\nFROM img:$A\nARG A\nARG D=local\nENV E=${D}-e\nRUN true\n"
    df = P(text)
    assert global_env(df) == {"A": "1", "B": None, "C": "x1"}
    st = df.stages[0]
    env = stage_env(df, st, st.instructions[-1])
    assert env == {"A": "1", "D": "local", "E": "local-e"}
    # a global ARG is not visible inside a stage unless redeclared
    assert "C" not in env


@pytest.mark.parametrize(
    ("text", "env", "want", "missing"),
    [
        ("$A", {"A": "1"}, "1", []),
        ("${A}x", {"A": "1"}, "1x", []),
        ("${A:-d}", {"A": None}, "d", []),
        ("${A:-d}", {"A": ""}, "d", []),
        ("${A-d}", {"A": ""}, "", []),
        ("${A:-$B}", {"B": "2"}, "2", []),
        ("${A:+alt}", {"A": "1"}, "alt", []),
        ("${A:+alt}", {}, "", []),
        ("$A", {"A": None}, "", ["A"]),
        ("${NOPE}", {}, "", ["NOPE"]),
        ("\\$A", {"A": "1"}, "$A", []),
    ],
)
def test_expand(text: str, env: dict, want: str, missing: list[str]) -> None:
    assert expand(text, env) == (want, missing)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ("FROOM a\n", 1, 1, "unknown instruction"),
        ("FROM a:1\n  bogus\n", 2, 3, "unknown instruction"),
        ("CMD x\nFROM a:1\n", 1, 1, "before the first FROM"),
        ("", 1, 1, "empty Dockerfile"),
        ("FROM a AS\n", 1, 1, "FROM expects"),
        ("# escape=x\nFROM a\n", 1, 1, "invalid escape"),
        ("FROM a:1\nENV A=1 # not a comment\n", 2, 9, "KEY=VALUE"),
    ],
)
def test_parse_errors_have_positions(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(ParseError) as exc:
        P(text)
    assert fragment in exc.value.message
    assert Source("x", text).position(exc.value.offset) == (line, col)


def test_the_plain_word_path_splits_as_the_general_one() -> None:
    import random

    from hardpin.parsers.dockerfile import _split_quoted, split_words

    rng = random.Random(7)
    alphabet = "ab-=:/@.$ \t\r\n"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        offsets = list(range(len(text) + 1))
        for flags_only in (False, True):
            assert split_words(text, offsets, flags_only) == _split_quoted(
                text, offsets, flags_only
            ), text
