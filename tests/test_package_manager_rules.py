"""Unit tests for the package-manager rules (HP204 HP205 HP209 HP211) and their helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.packages import PkgCommand, split_windows
from hardpin.analysis.shell import UNKNOWN, exe_name, resolve_word
from hardpin.engine import lint_text
from hardpin.fixer import converge
from hardpin.model import Severity, Source
from hardpin.parsers.shell import parse_commands
from hardpin.rules import hp204, hp205, hp209
from hardpin.settings import Settings


def findings(
    text: str,
    code: str,
    kind: str = "dockerfile",
    settings: Settings | None = None,
    base_dir: str | None = None,
) -> list[tuple[int, int, str]]:
    name = "Dockerfile" if kind == "dockerfile" else "script.sh"
    out = lint_text(name, kind, text, settings or Settings(), base_dir=base_dir)
    return [(f.line, f.column, f.subject) for f in out if f.code == code]


# ---------------------------------------------------------------------------
# helpers


def test_exe_name_strips_directories_suffixes_and_case() -> None:
    assert exe_name("/usr/local/bin/npm") == "npm"
    assert exe_name("C:\\Program Files\\dotnet\\dotnet.exe") == "dotnet"
    assert exe_name("NuGet.EXE") == "nuget"
    assert exe_name("yarn.cmd") == "yarn"


def words(text: str):
    """The arguments of the first command (without the command name)."""
    return parse_commands(text)[0].words[1:]


def test_option_tables_value_options_clusters_and_double_dash() -> None:
    p = parse(
        words("apt-get -qqo Dpkg::Options=x install -t bookworm curl -- -weird"),
        OptionTable(values=frozenset({"-o", "-t"}), numbers=True),
    )
    assert [w.value for w in p.operands] == ["install", "curl", "-weird"]
    assert ("-t", "bookworm") in [(o.name, o.value) for o in p.options]
    assert ("-o", "Dpkg::Options=x") in [(o.name, o.value) for o in p.options]
    p = parse(
        words("go -C dir install -ldflags=-s pkg"),
        OptionTable(values=frozenset({"-C"}), clusters=False, numbers=True),
        stop_at_operand=True,
    )
    assert [w.value for w in p.operands] == ["install", "-ldflags=-s", "pkg"]
    p = parse(words("nuget restore -LockedMode"), OptionTable(clusters=False, fold=True))
    assert p.has("-lockedmode")


def test_resolve_marks_unknown_variables_and_gives_up_on_substitutions() -> None:
    env = {"A": "gcc make", "B": None}
    assert resolve_word("$A", env) == "gcc make"
    assert resolve_word("x-${A}", env) == "x-gcc make"
    assert resolve_word("pkg@$B", env) == "pkg@" + UNKNOWN
    assert resolve_word("${C:-latest}", env) == UNKNOWN  # C may come from the base image
    assert resolve_word("$(cat list)", env) is None
    assert resolve_word("`cat list`", env) is None
    assert resolve_word("$1", env) is None
    assert resolve_word("${A#g}", env) == "cc make"
    assert resolve_word("${A// /,}", env) == "gcc,make"
    assert resolve_word("${A%% *}", env) is None  # a glob pattern is not analysed
    assert resolve_word("${B//,/ }", env) == UNKNOWN
    win = parse_commands("choco install $env:X plain")[0].words
    pc = PkgCommand(win, {}, {}, windows=True)
    assert pc.resolve(win[2]) is None
    assert pc.resolve(win[3]) == "plain"


def test_split_windows_separators_quotes_comments_and_nested_command_strings() -> None:
    text = (
        'choco install -y git; & "C:\\x\\dotnet.exe" restore | Out-Null # nuget restore\n'
        "if ($a) { nuget restore 'My App.sln' } && powershell -Command \"npm install; yarn\""
    )
    cmds = split_windows(text, list(range(len(text) + 1)), 0, len(text))
    argv = [[w.value for w in c] for c in cmds]
    assert ["choco", "install", "-y", "git"] in argv
    assert ["C:\\x\\dotnet.exe", "restore"] in argv
    assert ["nuget", "restore", "My App.sln"] in argv
    assert ["npm", "install"] in argv and ["yarn"] in argv
    assert not any("nuget" in c and "#" in c for c in argv)
    # positions are exact, also inside the nested command string
    npm = next(c for c in cmds if c[0].value == "npm")
    assert text[npm[1].start : npm[1].end] == "install"
    sln = next(c for c in cmds if c[0].value == "nuget")[2]
    assert text[sln.start : sln.end] == "'My App.sln'"


# ---------------------------------------------------------------------------
# version judgements


@pytest.mark.parametrize(
    "spec,pinned",
    [
        ("typescript@5.4.5", True),
        ("@angular/cli@17.3.2", True),
        ("x@v1.2.3", True),
        ("x@=1.2.3", True),
        ("x@1.0.0-beta.1", True),
        ("r@npm:preact@10.19.3", True),
        ("typescript", False),
        ("@angular/cli", False),
        ("x@latest", False),
        ("x@^1.2.3", False),
        ("x@~1.2.3", False),
        ("x@1", False),
        ("x@1.x", False),
        ("x@*", False),
        ("x@>=1", False),
        ("r@npm:preact@latest", False),
    ],
)
def test_npm_version_problem(spec: str, pinned: bool) -> None:
    assert (hp204.version_problem(spec) is None) is pinned


@pytest.mark.parametrize(
    "spec,registry",
    [
        ("lodash", True),
        ("@scope/pkg@1.0.0", True),
        ("./dir", False),
        ("../dir", False),
        ("/abs", False),
        ("file:x", False),
        ("pkg.tgz", False),
        ("https://x/y.tgz", False),
        ("git+https://github.com/o/r.git", False),
        ("github:o/r", False),
        ("owner/repo", False),
        ("C:\\pkg", False),
    ],
)
def test_npm_registry_spec(spec: str, registry: bool) -> None:
    assert hp204.registry_spec(spec) is registry


@pytest.mark.parametrize(
    "version,pinned",
    [
        ("v1.2.3", True),
        ("v0.0.0-20240719175910-8a7402abbf56", True),
        ("v2.0.0+incompatible", True),
        ("v1.2.3-rc.1", True),
        ("0123456789abcdef0123456789abcdef01234567", True),
        ("latest", False),
        ("upgrade", False),
        ("patch", False),
        ("master", False),
        ("v1", False),
        ("v1.2", False),
        ("abc1234", False),
        (">=v1.2.0", False),
        ("1.2.3", False),
    ],
)
def test_go_version_problem(version: str, pinned: bool) -> None:
    assert (hp205.version_problem(version, insecure=False) is None) is pinned


def test_go_insecure_makes_semver_insufficient_but_not_commits() -> None:
    assert hp205.version_problem("v1.2.3", insecure=True) is not None
    assert hp205.version_problem("a" * 40, insecure=True) is None


@pytest.mark.parametrize(
    "path,remote",
    [
        ("github.com/x/y", True),
        ("golang.org/x/tools/gopls", True),
        ("gopkg.in/yaml.v3", True),
        (".", False),
        ("./...", False),
        ("./cmd/x", False),
        ("/src/app", False),
        ("cmd/app", False),
        ("std", False),
        ("main.go", False),
    ],
)
def test_go_is_remote(path: str, remote: bool) -> None:
    assert hp205.is_remote(path) is remote


@pytest.mark.parametrize(
    "spec,versioned",
    [
        ("nodejs-18.20.4", True),
        ("java-17-openjdk-17.0.12.0.7-2.el9", True),
        ("tar-2:1.34", True),
        ("glibc = 2.34", True),
        ("glibc >= 2.34", False),
        ("epel-release", False),
        ("java-17-openjdk", False),
        ("python3-pip", False),
        ("gcc-c++", False),
        ("git", False),
    ],
)
def test_rpm_has_version(spec: str, versioned: bool) -> None:
    assert hp209.rpm_has_version(spec) is versioned


# ---------------------------------------------------------------------------
# rule behaviour beyond the fixtures


def test_hp209_is_info_by_default_and_raised_by_configuration() -> None:
    text = "FROM debian:12\nRUN apt-get install -y curl\n"
    [f] = [f for f in lint_text("Dockerfile", "dockerfile", text, Settings()) if f.code == "HP209"]
    assert f.severity is Severity.INFO
    raised = Settings(severity=(("HP209", Severity.WARNING),))
    [f] = [f for f in lint_text("Dockerfile", "dockerfile", text, raised) if f.code == "HP209"]
    assert f.severity is Severity.WARNING


def test_hp204_fix_is_unsafe_idempotent_and_touches_only_the_subcommand() -> None:
    text = (
        "FROM node:20\r\nRUN npm install && npm i --omit=dev\r\n"
        'RUN ["npm", "install"]\r\nRUN npm install x\r\n'
    )

    def lint(t: str):
        return lint_text("Dockerfile", "dockerfile", t, Settings())

    safe, n, _ = converge(text, lint, unsafe=False)
    assert safe == text and n == 0
    fixed, n, after = converge(text, lint, unsafe=True)
    assert n == 3
    assert (
        fixed == "FROM node:20\r\nRUN npm ci && npm ci --omit=dev\r\n"
        'RUN ["npm", "ci"]\r\nRUN npm install x\r\n'
    )
    again, n2, _ = converge(fixed, lint, unsafe=True)
    assert again == fixed and n2 == 0
    assert [f.subject for f in after if f.code == "HP204"] == ["npm install x"]


def test_hp204_no_fix_for_global_quoted_or_install_test() -> None:
    text = "FROM node:20\nRUN npm install -g && npm 'install' && npm it\n"
    out = [f for f in lint_text("Dockerfile", "dockerfile", text, Settings()) if f.code == "HP204"]
    assert len(out) == 3
    assert all(f.fix is None for f in out)


def test_hp211_directory_build_props_with_locked_mode_counts(tmp_path: Path) -> None:
    text = "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet restore && dotnet publish -o /app\n"
    (tmp_path / "Dockerfile").write_text(text)
    assert len(findings(text, "HP211", base_dir=str(tmp_path))) == 2
    (tmp_path / "Directory.Build.props").write_text(
        "<Project><PropertyGroup>\n  <RestoreLockedMode>true</RestoreLockedMode>\n"
        "</PropertyGroup></Project>\n"
    )
    assert findings(text, "HP211", base_dir=str(tmp_path)) == []


def test_hp211_conditional_locked_mode_in_props_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "Directory.Build.props").write_text(
        "<Project><PropertyGroup><RestoreLockedMode Condition=\"'$(CI)' == 'true'\">true"
        "</RestoreLockedMode></PropertyGroup></Project>"
    )
    text = "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet restore\n"
    assert len(findings(text, "HP211", base_dir=str(tmp_path))) == 1


def test_variables_from_arg_env_and_assignments() -> None:
    text = (
        "FROM node:20\n"
        "ARG TOOL=typescript@latest\n"
        'ENV PKGS="curl jq=1.6"\n'
        "RUN npm i -g $TOOL && apt-get install -y $PKGS\n"
        "RUN V=v1.2.3; go install github.com/x/y@$V && go install github.com/x/z@$UNSET\n"
    )
    assert [s for _l, _c, s in findings(text, "HP204")] == ["npm i typescript@latest"]
    assert [s for _l, _c, s in findings(text, "HP209")] == ["apt-get install curl"]
    assert findings(text, "HP205") == []


def test_global_arg_is_not_visible_in_a_stage_without_redeclaration() -> None:
    text = "ARG V=latest\nFROM golang:1.22\nRUN go install github.com/x/y@$V\n"
    assert findings(text, "HP205") == []
    text = "ARG V=latest\nFROM golang:1.22\nARG V\nRUN go install github.com/x/y@$V\n"
    assert [s for _l, _c, s in findings(text, "HP205")] == ["go install github.com/x/y@latest"]


def test_linux_powershell_image_is_still_analysed() -> None:
    # mcr.microsoft.com/powershell:ubuntu-* is a Linux image; the shared Windows-image guess treats
    # it as Windows (cmd), so these rules read the RUN word by word and still find the installs
    text = (
        "FROM mcr.microsoft.com/powershell:ubuntu-22.04\n"
        "RUN apt-get update && apt-get install -y curl\n"
    )
    assert [s for _l, _c, s in findings(text, "HP209")] == ["apt-get install curl"]


def test_unparsable_shell_is_not_a_crash() -> None:
    text = "FROM node:20\nRUN npm install 'unterminated\n"
    out = lint_text("Dockerfile", "dockerfile", text, Settings())
    assert any(f.code == "HP001" for f in out)
    assert not any(f.code == "HP204" for f in out)


def test_positions_in_scripts_with_crlf() -> None:
    text = "#!/bin/sh\r\nnpm install\r\ngo install golang.org/x/tools/gopls@latest\r\n"
    assert findings(text, "HP204", kind="shell") == [(2, 5, "npm install")]
    assert findings(text, "HP205", kind="shell")[0][:2] == (3, 12)
    src = Source("s", text)
    assert src.line_text(2) == "npm install"
