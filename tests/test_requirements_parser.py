"""The pip requirements-file parser: logical lines, spans, options, includes, errors."""

from __future__ import annotations

import os
import random

import pytest
from conftest import CORPUS, requires_corpus

from hardpin.parsers.requirements import (
    ParseError,
    RequirementsFile,
    exact_version,
    looks_like_path,
    parse,
    url_hash,
    url_scheme,
)

H1 = "2a6386ad2db20e7f55073f69a98d6da2cf9f168e05e7487d2670baeb9b7601c5"
H2 = "5436c72d52c9c0d011010ce68f4c399702b3b0764adcf282fe0e546f20ebaef6"
REQUIREMENTS = CORPUS / "requirements"


def span(text: str, start: int, end: int) -> str:
    return text[start:end]


# ---------------------------------------------------------------------------
# logical lines, comments, spans


def test_requirement_with_hashes_on_continuation_lines_keeps_exact_spans() -> None:
    text = f"# header\nflask==3.0.3 \\\n    --hash=sha256:{H1} \\\n    --hash sha256:{H2}  # trailing\nnext==1\n"
    f = parse(text)
    assert [r.text for r in f.requirements] == ["flask==3.0.3", "next==1"]
    r = f.requirements[0]
    assert span(text, r.start, r.end) == "flask==3.0.3"
    assert (r.line, r.end_line) == (2, 4)
    assert [h.digest for h in r.hashes] == [H1, H2]
    assert span(text, r.hashes[0].start, r.hashes[0].end) == f"--hash=sha256:{H1}"
    assert span(text, r.hashes[1].start, r.hashes[1].end) == f"--hash sha256:{H2}"
    assert span(text, r.hashes[1].value_start, r.hashes[1].end) == f"sha256:{H2}"
    assert all(h.well_formed for h in r.hashes)
    # a fixer appends after the last option, before the comment
    assert text[r.content_end - 5 : r.content_end] == H2[-5:]
    assert r.hashed and r.pinned and r.exact_version == "3.0.3"


def test_comments_need_whitespace_before_the_hash_sign() -> None:
    text = f"pkg @ https://example.com/pkg-1.0.tar.gz#sha256={H1}\nother==1.0 # comment\n  # indented comment\n"
    f = parse(text)
    assert [r.text for r in f.requirements] == [
        f"pkg @ https://example.com/pkg-1.0.tar.gz#sha256={H1}",
        "other==1.0",
    ]
    assert f.requirements[0].kind == "url" and f.requirements[0].name == "pkg"
    assert f.requirements[0].hashed  # the URL fragment is a hash pip checks


def test_a_comment_line_ends_a_continuation_like_pip() -> None:
    text = "flask==3.0.3 \\\n# a comment\nwerkzeug==3.0.3\n"
    f = parse(text)
    assert [r.text for r in f.requirements] == ["flask==3.0.3", "werkzeug==3.0.3"]


def test_a_comment_ending_in_backslash_swallows_the_next_line_like_pip() -> None:
    # pip joins first and strips comments afterwards: the next line becomes part of the comment
    text = "flask==3.0.3 # note \\\nwerkzeug==3.0.3\nclick==8.1.7\n"
    assert [r.text for r in parse(text).requirements] == ["flask==3.0.3", "click==8.1.7"]


def test_crlf_bom_and_final_backslash() -> None:
    text = "\ufeffflask==3.0.3\r\nclick==8.1.7 \\\r\n"
    f = parse(text)
    assert [r.text for r in f.requirements] == ["flask==3.0.3", "click==8.1.7"]
    r = f.requirements[0]
    assert span(text, r.start, r.end) == "flask==3.0.3"


def test_markers_extras_and_specifiers() -> None:
    f = parse('uvicorn[standard,http2] >= 0.30, <1 ; python_version >= "3.8"\n')
    r = f.requirements[0]
    assert r.kind == "name" and r.name == "uvicorn"
    assert r.extras == ("http2", "standard")
    assert r.specifier == "<1,>=0.30"
    assert r.marker == 'python_version >= "3.8"'
    assert not r.pinned


@pytest.mark.parametrize(
    ("spec", "version"),
    [("==1.0", "1.0"), ("===1.0-custom", "1.0-custom"), ("==1.0,!=1.1", "1.0"), (">=1.0", None),
     ("==1.*", None), ("~=1.0", None), ("", None), ("<2,==1.5", "1.5")],
)  # fmt: skip
def test_exact_version(spec: str, version: str | None) -> None:
    assert exact_version(spec) == version


# ---------------------------------------------------------------------------
# kinds of requirements


def test_urls_vcs_paths_and_editables() -> None:
    text = (
        "-e git+https://github.com/org/repo.git@main#egg=repo\n"
        "--editable ./plugins/extra[dev]\n"
        "git+ssh://git@github.com/org/other.git@v1#egg=other\n"
        "https://example.com/lib-1.0.tar.gz#egg=lib\n"
        "./local/pkg\n"
        "dist/app-1.0-py3-none-any.whl\n"
        "mypkg.whl\n"
        "file:///tmp/lib-1.0.tar.gz\n"
        "tool @ git+https://github.com/org/tool.git@0123456789abcdef0123456789abcdef01234567\n"
        ".\n"
    )
    f = parse(text)
    kinds = [(r.kind, r.editable, r.name) for r in f.requirements]
    assert kinds == [
        ("vcs", True, "repo"),
        ("path", True, None),
        ("vcs", False, "other"),
        ("url", False, "lib"),
        ("path", False, None),
        ("path", False, None),
        ("path", False, None),
        ("path", False, None),
        ("vcs", False, "tool"),
        ("path", False, None),
    ]
    e = f.requirements[0]
    assert span(text, e.start, e.end) == "git+https://github.com/org/repo.git@main#egg=repo"
    assert f.requirements[1].extras == ("dev",)
    assert (
        f.requirements[8].url
        == "git+https://github.com/org/tool.git@0123456789abcdef0123456789abcdef01234567"
    )


def test_environment_variables_are_kept_and_flagged() -> None:
    f = parse("django==${DJANGO_VERSION}\nhttps://${TOKEN}@example.com/pkg.whl\n")
    a, b = f.requirements
    assert a.has_variables and a.exact_version == "${DJANGO_VERSION}"
    assert b.kind == "url" and b.has_variables


# ---------------------------------------------------------------------------
# options and includes


def test_global_options_and_includes_with_positions() -> None:
    text = (
        "--index-url https://pypi.org/simple\n"
        "--extra-index-url=https://private.example/simple\n"
        "-i https://mirror.example/simple\n"
        "--no-index\n"
        "--require-hashes\n"
        "-r base.txt\n"
        "-rdev.txt\n"
        "--requirement=test.txt\n"
        "-c constraints.txt\n"
        "--constraint 'with space.txt'\n"
        "--find-links /wheels\n"
        "--extra-index https://abbrev.example/simple\n"
    )
    f = parse(text)
    assert [(i.kind, i.path, i.line) for i in f.includes] == [
        ("requirement", "base.txt", 6),
        ("requirement", "dev.txt", 7),
        ("requirement", "test.txt", 8),
        ("constraint", "constraints.txt", 9),
        ("constraint", "with space.txt", 10),
    ]
    inc = f.includes[0]
    assert span(text, inc.start, inc.end) == "base.txt"
    assert span(text, inc.option_start, inc.end) == "-r base.txt"
    assert span(text, f.includes[1].start, f.includes[1].end) == "dev.txt"
    assert span(text, f.includes[1].option_start, f.includes[1].end) == "-rdev.txt"
    assert f.require_hashes
    assert f.option_values("--index-url") == [
        "https://pypi.org/simple",
        "https://mirror.example/simple",
    ]
    assert f.option_values("--extra-index-url") == [
        "https://private.example/simple",
        "https://abbrev.example/simple",
    ]
    o = f.options[0]
    assert span(text, o.start, o.end) == "--index-url https://pypi.org/simple"
    assert span(text, o.value_start, o.value_end) == "https://pypi.org/simple"


def test_orphan_hash_and_editable_hash_are_warnings() -> None:
    f = parse(f"--hash=sha256:{H1}\n-e . --hash=sha256:{H1}\n")
    assert [ln for ln, _ in f.warnings] == [1, 2]
    assert f.requirements[0].editable and not f.requirements[0].hashes


def test_per_requirement_options_other_than_hash() -> None:
    f = parse('pkg==1.0 --config-settings="--build-option=--x" --global-option=--quiet\n')
    r = f.requirements[0]
    assert [o.name for o in r.options] == ["--config-settings", "--global-option"]
    assert r.options[0].value == "--build-option=--x"


# ---------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("ok==1\n--allow-external psycopg2\n", 2, "no such option: --allow-external"),
        ("-r\n", 1, "requires a value"),
        ("--no-index=1\n", 1, "does not take a value"),
        ("pkg==1 --hash='sha256:abc\n", 1, "unterminated quote"),
        ("ok==1\n\nfoo=1.0\n", 3, "did you mean =="),
        (f"pkg==1 --hash=md5:{H1[:32]}\n", 1, "unsupported hash algorithm 'md5'"),
        ("pkg==1 --hash=sha256\n", 1, "algorithm:digest"),
        ("-e flask\n", 1, "neither a local path nor a VCS URL"),
        ("--req x.txt\n", 1, "ambiguous option --req"),
        ("-Z x\n", 1, "no such option: -Z"),
    ],
)
def test_malformed_lines_raise_parse_error_with_the_line(
    text: str, line: int, fragment: str
) -> None:
    with pytest.raises(ParseError) as info:
        parse(text)
    assert info.value.line == line
    assert fragment in info.value.message
    assert str(info.value).startswith(f"line {line}: ")
    assert "\n" not in str(info.value)


def test_lenient_mode_collects_errors_and_keeps_good_lines() -> None:
    f = parse("a==1\n--bogus\nb==2\nc=3\n", strict=False)
    assert [r.text for r in f.requirements] == ["a==1", "b==2"]
    assert [e.line for e in f.errors] == [2, 4]


def test_garbage_never_raises_anything_but_parse_error() -> None:
    rng = random.Random(1234)
    alphabet = "abc=<>!~;[]@#\\\"' -:/.$\t\n\r{}*\x00\u2028é0123456789"
    for _ in range(1500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        try:
            parse(text)
        except ParseError:
            pass
        got = parse(text, strict=False)
        assert isinstance(got, RequirementsFile)


# ---------------------------------------------------------------------------
# helpers


def test_helpers() -> None:
    assert url_scheme("git+https://x") == "git+https"
    assert url_scheme("HTTPS://x") == "https"
    assert url_scheme("flask>=2") is None
    assert url_scheme("c:/path") is None
    assert looks_like_path("./x") and looks_like_path("x.whl") and looks_like_path("dir/sub")
    assert not looks_like_path("flask[async]")
    assert url_hash(f"https://x/p.whl#sha256={H1}") == ("sha256", H1)
    assert url_hash(f"https://x/p.whl#egg=p&sha256={H1}") == ("sha256", H1)
    assert url_hash("https://x/p.whl#md5=0123456789abcdef0123456789abcdef") is None
    assert url_hash("https://x/p.whl#sha256=abc") is None


# ---------------------------------------------------------------------------
# the real-world corpus


def corpus_files() -> list[str]:
    return sorted(os.path.join(REQUIREMENTS, f) for f in os.listdir(REQUIREMENTS))


@requires_corpus("requirements")
def test_every_corpus_requirements_file_parses_without_exceptions() -> None:
    files = corpus_files()
    assert len(files) > 500
    with_errors = 0
    hashes = 0
    for path in files:
        text = open(path, "rb").read().decode("utf-8", "surrogateescape")
        f = parse(text, strict=False)
        hashes += sum(len(r.hashes) for r in f.requirements)
        with_errors += bool(f.errors)
        for r in f.requirements:
            assert 1 <= r.line <= r.end_line
            assert 0 <= r.start <= r.end <= len(text)
            assert (
                text[r.start : r.end] == r.text
                or "\\" in text[r.start : r.end]
                or "\n" in text[r.start : r.end]
            )
        for e in f.errors:
            assert e.line >= 1 and "\n" not in str(e)
        try:
            parse(text)
        except ParseError:
            pass
    # only other tools' deliberately invalid test fixtures fail (templating, removed options)
    assert with_errors < 20
    assert hashes > 20000


@requires_corpus("requirements")
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_agrees_with_pip_on_requirements_and_hashes() -> None:
    pytest.importorskip("pip._internal.req.req_file")
    from pip._internal.network.session import PipSession
    from pip._internal.req.req_file import parse_requirements

    session = PipSession()
    compared = 0
    for path in corpus_files():
        text = open(path, "rb").read().decode("utf-8", "surrogateescape")
        mine = parse(text, strict=False)
        if mine.errors or mine.includes:
            continue
        try:
            theirs = list(parse_requirements(path, session))
        except Exception:
            continue
        a = [(r.text.strip(), r.editable, sorted(f"{h.algorithm}:{h.digest}" for h in r.hashes))
             for r in mine.requirements]  # fmt: skip
        b = [
            (
                p.requirement.strip(),
                p.is_editable,
                sorted(
                    f"{k}:{v}"
                    for k, vs in ((p.options or {}).get("hashes") or {}).items()
                    for v in vs
                ),
            )
            for p in theirs
        ]
        assert a == b, path
        compared += 1
    assert compared > 500
