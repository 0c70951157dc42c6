"""PowerShell and cmd RUNs: the tokenizer, and what HP206 and the pip rules find there."""

from __future__ import annotations

import os

import pytest
from conftest import CORPUS, requires_corpus

from hardpin.analysis.powershell import (
    Scope,
    _tree,
    path_key,
    split_cmd,
    statements,
    tokenize,
)
from hardpin.engine import lint_text, read_text
from hardpin.settings import Settings

HEAD = (
    "# escape=`\n"
    "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
    'SHELL ["powershell", "-Command", "$ProgressPreference = \'SilentlyContinue\';"]\n'
)


def toks(text: str) -> list[tuple[str, str]]:
    return [(t.kind, t.value) for t in tokenize(text, [], 0, len(text))]


def findings(text: str, code: str = "HP206") -> list[tuple[int, int, str]]:
    out = lint_text("Dockerfile", "dockerfile", text, Settings())
    return [(f.line, f.column, f.message) for f in out if f.code == code]


# -- tokenizer ------------------------------------------------------------------


def test_words_strings_and_operators() -> None:
    assert toks("iwr -Uri 'https://x/a''b' -OutFile \"C:\\`\"q`\".zip\"; & $p") == [
        ("word", "iwr"),
        ("word", "-Uri"),
        ("str", "https://x/a'b"),
        ("word", "-OutFile"),
        ("str", 'C:\\"q".zip'),
        ("op", ";"),
        ("op", "&"),
        ("word", "$p"),
    ]


def test_variables_types_and_members_stay_in_their_word() -> None:
    assert toks("C:/$env:zip ${env:TEMP}/m.zip [Net.WebClient]::new().DownloadFile($u, $f)") == [
        ("word", "C:/$env:zip"),
        ("word", "${env:TEMP}/m.zip"),
        ("word", "[Net.WebClient]::new"),
        ("op", "("),
        ("op", ")"),
        ("word", ".DownloadFile"),
        ("op", "("),
        ("word", "$u"),
        ("op", ","),
        ("word", "$f"),
        ("op", ")"),
    ]


def test_assignments_comments_and_escaped_quotes() -> None:
    assert toks("$x='a'; <# block #> $y += 1 # rest\nWrite-Error \\\"bad $($x)\\\"") == [
        ("word", "$x"),
        ("op", "="),
        ("str", "a"),
        ("op", ";"),
        ("word", "$y"),
        ("op", "+="),
        ("word", "1"),
        ("op", ";"),
        ("word", "Write-Error"),
        ("str", "bad $($x)"),
    ]


def test_spans_map_to_the_source_through_offsets() -> None:
    text = "iwr 'u' -OutFile f.zip"
    offsets = [100 + 2 * i for i in range(len(text))]  # any increasing map
    t = tokenize(text, offsets, 0, len(text))
    assert [(x.start, x.end) for x in t] == [(100, 105), (108, 113), (116, 131), (134, 143)]


def test_groups_statements_and_bounded_nesting() -> None:
    text = "if ((Get-FileHash f).Hash -ne $s) { exit 1 }; x"
    tree = _tree(tokenize(text, [], 0, len(text)))
    stmts = statements(tree)
    assert len(stmts) == 2
    deep = "(" * 5000 + "x" + ")" * 5000
    assert statements(_tree(tokenize(deep, [], 0, len(deep))))  # no RecursionError


def test_unterminated_text_never_raises() -> None:
    for text in ('"open', "'open", "$(", "${env:", "[Type", "`", "\\", "@{ a = "):
        statements(_tree(tokenize(text, [], 0, len(text))))


def test_windows_paths_compare_case_and_separator_blind() -> None:
    scope = Scope({"JAVA_HOME": "C:\\\\openjdk"}, cwd="c:\\app")
    assert path_key("C:/Tools//bin/", scope) == "c:\\tools\\bin"
    assert path_key(".\\x.exe", scope) == "c:\\app\\x.exe"
    assert path_key("$env:JAVA_HOME\\bin", scope) == "c:\\openjdk\\bin"
    assert path_key("\\x", scope) == "c:\\x"
    assert path_key("$MsiFile", scope) == "$msifile"  # unknown: compared as written


def test_cmd_words_and_operators() -> None:
    text = 'curl.exe -o "C:\\a b.exe" URL && "C:\\a b.exe" /S ^& x | more'
    got = [[w.value for w in c] for c in split_cmd(text, [], 0, len(text))]
    assert got == [
        ["curl.exe", "-o", "C:\\a b.exe", "URL"],
        ["C:\\a b.exe", "/S", "&", "x"],
        ["more"],
    ]


# -- HP206 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check", "gates"),
    [
        ("if ((Get-FileHash t.exe -Algorithm SHA256).Hash -ne $env:T_SHA) { throw 'bad' }", True),
        ("if ((Get-FileHash t.exe).Hash -ne $env:T_SHA) { Write-Host 'bad'; exit 1 }", True),
        ("$h = (Get-FileHash t.exe).Hash; if ($h -ne $env:T_SHA) { exit 2 }", True),
        ("if ((Get-FileHash t.exe).Hash -eq $env:T_SHA) { 'ok' } else { throw 'bad' }", True),
        (
            "$ErrorActionPreference = 'Stop'; "
            "if ((Get-FileHash t.exe).Hash -ne $env:T_SHA) { Write-Error 'bad' }",
            True,
        ),
        # what does not stop the build, or does not check enough
        ("if ((Get-FileHash t.exe).Hash -ne $env:T_SHA) { Write-Host 'bad' }", False),
        ("if ((Get-FileHash t.exe).Hash -ne $env:T_SHA) { Write-Error 'bad' }", False),
        ("if ((Get-FileHash t.exe).Hash -ne $env:T_SHA) { exit 0 }", False),
        ("(Get-FileHash t.exe).Hash -ne $env:T_SHA", False),
        ("if ((Get-FileHash t.exe -Algorithm MD5).Hash -ne $env:T_MD5) { throw 'x' }", False),
        ("if ((Get-FileHash t.exe).Hash -eq $env:T_SHA) { 'ok' }", False),
    ],
)
def test_gating_checks(check: str, gates: bool) -> None:
    text = HEAD + f"RUN iwr https://example.com/t.exe -OutFile t.exe; {check}; .\\t.exe /S\n"
    got = findings(text)
    assert (got == []) is gates, got
    if not gates:
        assert got[0][0] == 4 and "`t.exe` downloaded by Invoke-WebRequest is run" in got[0][2]
        assert ("MD5" in check) == ("an MD5 or SHA-1 check does not count" in got[0][2])


def test_a_check_in_an_earlier_run_covers_later_runs_and_stages() -> None:
    text = HEAD.replace("ltsc2022", "ltsc2022 AS build") + (
        "RUN iwr https://example.com/a.exe -OutFile C:\\a.exe\n"
        "RUN iwr https://example.com/b.exe -OutFile C:\\b.exe; "
        "if ((Get-FileHash C:\\b.exe).Hash -ne $env:B) { throw 'x' }\n"
        "FROM build\n"
        "RUN & C:\\b.exe; & C:\\a.exe\n"
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022 AS other\n"
        "RUN & C:\\a.exe\n"
    )
    got = findings(text)
    # a.exe: downloaded in `build`, run in the stage built FROM it; `other` is unrelated
    assert [(ln, col) for ln, col, _ in got] == [(7, 19)]
    assert "`C:\\a.exe` downloaded by Invoke-WebRequest (line 4) is run" in got[0][2]


def test_files_are_followed_through_moves_and_renames_and_forgotten_when_removed() -> None:
    text = HEAD + (
        "RUN iwr https://example.com/t.exe -OutFile C:\\t.exe; "
        "Move-Item C:\\t.exe -Destination C:\\tools\\t.exe; & C:\\tools\\t.exe\n"
        "RUN iwr https://example.com/u.exe -OutFile C:\\u.exe; Remove-Item C:\\u.exe; "
        "& C:\\u.exe\n"
        "RUN iwr https://example.com/v.zip -OutFile v.zip; Expand-Archive v.zip C:\\tmp; "
        "Rename-Item C:\\tmp C:\\v; setx /M PATH 'C:\\v\\bin'\n"
    )
    got = findings(text)
    assert [(ln, col) for ln, col, _ in got] == [(4, 104), (6, 51)]
    assert "extracted by Expand-Archive into c:\\v, and c:\\v\\bin is on PATH" in got[1][2]


def test_commit_pinned_urls_and_data_downloads_are_not_reported() -> None:
    url = "https://raw.githubusercontent.com/o/r/" + "a" * 40 + "/i.ps1"
    text = HEAD + (
        f"RUN iwr {url} -OutFile i.ps1; & .\\i.ps1\n"
        "RUN iwr https://example.com/m.onnx -OutFile C:\\m.onnx; Get-Item C:\\m.onnx\n"
        "RUN iwr https://example.com/d.zip -OutFile d.zip; Expand-Archive d.zip C:\\data\n"
    )
    assert findings(text) == []


def test_exec_form_and_posix_runs_are_left_to_the_other_analyses() -> None:
    text = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'RUN ["powershell", "iwr https://example.com/a.exe -OutFile a.exe; .\\\\a.exe"]\n'
        "FROM debian:12\n"
        "RUN curl -o /a.exe https://example.com/a.exe && /a.exe\n"
    )
    got = findings(text)
    assert [(ln, col) for ln, col, _ in got] == [(4, 49)]
    assert "curl downloaded it" in got[0][2]  # the POSIX message


def test_cmd_runs_hand_powershell_bodies_over_with_exact_columns() -> None:
    text = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'RUN powershell -NoProfile -Command "iwr https://e.com/x.exe -OutFile C:\\x.exe" '
        "&& C:\\x.exe /S\n"
        'RUN powershell -Command "iwr https://e.com/s.ps1 | iex"\n'
    )
    got = findings(text)
    assert [(ln, col) for ln, col, _ in got] == [(2, 83), (3, 52)]
    assert "`iex` runs code downloaded by Invoke-WebRequest from https://e.com/s.ps1" in got[1][2]


def test_hp003_notes_only_cmd_runs_that_are_not_handed_to_powershell() -> None:
    ps = (
        "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
        'RUN powershell -Command "Write-Host hi"\n'
    )
    assert findings(ps, "HP003") == []
    got = findings(ps + "RUN echo hi\n", "HP003")
    assert [(ln, col) for ln, col, _ in got] == [(3, 1)]
    assert "only partly analysed" in got[0][2]


def test_pip_in_powershell_reads_variables_like_sh() -> None:
    text = HEAD + (
        "ARG V=24.2\n"
        "RUN pip install pip==$env:V requests ('x=={0}' -f $env:V); pip install \"$env:UNSET\"\n"
    )
    got = lint_text("Dockerfile", "dockerfile", text, Settings())
    codes = [(f.code, f.line, f.column) for f in got if f.code in ("HP201", "HP202")]
    assert codes == [("HP202", 5, 17), ("HP201", 5, 29)]


# -- the corpus -------------------------------------------------------------------


_LANDINGS = ("RUN", "ENTRYPOINT", "CMD")
_INSTRUCTIONS = (*_LANDINGS, "FROM", "COPY", "ENV", "WORKDIR", "ARG", "USER", "SHELL", "LABEL")


@requires_corpus("dockerfiles")
def test_windows_dockerfiles_of_the_corpus() -> None:
    """No exception, and every HP206 finding of a Windows RUN lies inside a RUN, an ENTRYPOINT
    or a CMD."""
    base = CORPUS / "dockerfiles"
    n_files = n_206 = 0
    for d, _dirs, files in os.walk(base):
        for name in files:
            path = os.path.join(d, name)
            text = read_text(path)
            if "mcr.microsoft.com" not in text and "powershell" not in text.lower():
                continue
            n_files += 1
            out = lint_text(path, "dockerfile", text, Settings())
            assert not [f for f in out if "internal-error" in f.message], path
            lines = text.splitlines()
            for f in out:
                if f.code == "HP206" and "downloaded by" in f.message:
                    n_206 += 1
                    run_line = next(
                        i
                        for i in range(f.line - 1, -1, -1)
                        if lines[i].lstrip().upper().startswith(_INSTRUCTIONS)
                    )
                    assert lines[run_line].lstrip().upper().startswith(_LANDINGS), (path, f)
    assert n_files > 200 and n_206 > 40


def test_installed_without_running_written_to_path_or_shipped_as_entrypoint() -> None:
    text = HEAD + (
        "RUN $newPath = ('{0}\\docker;{1}' -f $env:ProgramFiles, $env:PATH); "
        "[Environment]::SetEnvironmentVariable('PATH', $newPath, 'Machine')\n"
        "RUN iwr https://e.com/d.zip -OutFile d.zip; "
        "Expand-Archive d.zip -DestinationPath $env:ProgramFiles\n"
        "RUN iwr https://e.com/g.exe -OutFile C:\\Windows\\System32\\g.exe\n"
        "RUN iwr https://e.com/s.zip -OutFile C:\\s.zip; Expand-Archive C:\\s.zip\n"
        'ENTRYPOINT ["C:\\\\s\\\\s.exe"]\n'
    )
    got = findings(text)
    assert [(ln, col) for ln, col, _ in got] == [(5, 45), (6, 5), (8, 14)]
    assert "into c:\\program files, and c:\\program files\\docker is on PATH (line 4)" in got[0][2]
    assert "is written into c:\\windows\\system32, a directory on PATH" in got[1][2]
    assert "into c:\\s, and C:\\s\\s.exe from it is the ENTRYPOINT" in got[2][2]


def test_cmd_checks_gate_only_when_cmd_stops_on_their_failure() -> None:
    check = 'powershell -Command "if ((Get-FileHash C:\\x.exe).Hash -ne $env:S) { exit 1 }"'
    run = "RUN curl.exe -o C:\\x.exe https://e.com/x.exe && {} {} C:\\x.exe /S\n"
    head = "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
    assert findings(head + run.format(check, "&&")) == []
    for op in ("&", "||"):
        got = findings(head + run.format(check, op))
        assert len(got) == 1 and "`C:\\x.exe` downloaded by curl.exe is run" in got[0][2], op


def test_a_check_of_another_file_verifies_nothing() -> None:
    text = HEAD + (
        "RUN iwr https://e.com/t.exe -OutFile t.exe; "
        "if ((Get-FileHash C:\\other.zip).Hash -ne $env:S) { throw 'x' }; .\\t.exe\n"
        "RUN iwr https://e.com/u.exe -OutFile u.exe; "
        "if ((Get-FileHash $f).Hash -ne $env:S) { throw 'x' }; .\\u.exe\n"
    )
    got = findings(text)
    assert [ln for ln, _c, _m in got] == [4]  # `$f` could be u.exe: given the benefit
