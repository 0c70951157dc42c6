"""Configuration files, their validation, rule selection, per-file ignores, excludes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hardpin import settings as settings_mod
from hardpin.model import HardpinError, Severity
from hardpin.settings import (
    DEFAULT_EXCLUDE,
    KNOWN_KEYS,
    Overrides,
    Settings,
    find_config,
    load_settings,
    settings_for,
    str_value,
)


@pytest.fixture(autouse=True)
def _fresh_caches():
    settings_mod.clear_caches()
    yield
    settings_mod.clear_caches()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


NOT_A_CODE = (
    "is not a rule code or prefix (expected HP followed by up to 3 digits, e.g. HP1 or HP101)"
)


def error_of(config: Path | str) -> str:
    with pytest.raises(HardpinError) as info:
        load_settings(config)
    return str(info.value)


FULL = """\
select = ["HP1", "HP4"]
extend-select = ["HP002"]
ignore = ["HP104", "HP40"]
exclude = ["gen", "build/out"]
extend-exclude = ["*.bak"]
fail-on = "error"
allowed-registries = ["docker.io", "ghcr.io/acme/*"]

[per-file-ignores]
"windows/*" = ["HP401"]
"legacy.Dockerfile" = ["HP1", "HP402"]

[severity]
HP101 = "error"
HP4 = "info"
"""


def full_expected(root: Path, config: Path) -> Settings:
    return Settings(
        select=("HP1", "HP4"),
        extend_select=("HP002",),
        ignore=("HP104", "HP40"),
        per_file_ignores=(("windows/*", ("HP401",)), ("legacy.Dockerfile", ("HP1", "HP402"))),
        exclude=("gen", "build/out"),
        extend_exclude=("*.bak",),
        fail_on=Severity.ERROR,
        allowed_registries=("docker.io", "ghcr.io/acme/*"),
        severity=(("HP101", Severity.ERROR), ("HP4", Severity.INFO)),
        root=str(root),
        config_path=str(config),
        extra=(),
    )


# --------------------------------------------------------------------------- discovery


def test_nearest_config_wins(tmp_path: Path) -> None:
    top = write(tmp_path / ".hardpin.toml", "")
    sub = write(tmp_path / "a" / "b" / ".hardpin.toml", "")
    (tmp_path / "a" / "b" / "c" / "d").mkdir(parents=True)
    assert find_config(tmp_path / "a" / "b" / "c" / "d") == sub
    assert find_config(tmp_path / "a" / "b") == sub
    assert find_config(tmp_path / "a") == top
    assert find_config(tmp_path) == top


def test_find_config_from_a_file_starts_in_its_directory(tmp_path: Path) -> None:
    top = write(tmp_path / ".hardpin.toml", "")
    sub = write(tmp_path / "svc" / ".hardpin.toml", "")
    f = write(tmp_path / "svc" / "Dockerfile", "FROM a\n")
    assert find_config(f) == sub
    assert find_config(tmp_path / "Dockerfile.missing") == top


def test_hardpin_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hardpin]\nselect = ['HP1']\n")
    own = write(tmp_path / ".hardpin.toml", "select = ['HP4']\n")
    assert find_config(tmp_path) == own
    assert settings_for(tmp_path / "Dockerfile").select == ("HP4",)


def test_pyproject_without_hardpin_table_is_skipped(tmp_path: Path) -> None:
    top = write(tmp_path / "pyproject.toml", "[tool.hardpin]\nselect = ['HP1']\n")
    write(tmp_path / "pkg" / "pyproject.toml", "[project]\nname = 'x'  # not hardpin config\n")
    write(tmp_path / "other" / "pyproject.toml", "[tool.ruff]\nline-length = 99\n")
    assert find_config(tmp_path / "pkg") == top
    assert find_config(tmp_path / "other") == top


def test_nearer_pyproject_with_table_wins_over_farther_hardpin_toml(tmp_path: Path) -> None:
    write(tmp_path / ".hardpin.toml", "")
    near = write(tmp_path / "pkg" / "pyproject.toml", "[tool]\nhardpin = { select = ['HP2'] }\n")
    assert find_config(tmp_path / "pkg" / "src") == near
    assert settings_for(tmp_path / "pkg" / "Dockerfile").select == ("HP2",)


def test_broken_pyproject_that_never_mentions_hardpin_is_not_an_error(tmp_path: Path) -> None:
    top = write(tmp_path / ".hardpin.toml", "")
    write(tmp_path / "x" / "pyproject.toml", "[project\nname = \n")
    assert find_config(tmp_path / "x") == top


def test_broken_pyproject_that_may_hold_the_table_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hardpin\nselect = []\n")
    with pytest.raises(HardpinError) as info:
        find_config(tmp_path)
    msg = str(info.value)
    assert msg.startswith(f"{tmp_path / 'pyproject.toml'}: invalid TOML: ")
    assert "line 1" in msg


# --------------------------------------------------------------------------- every key


def test_every_key_in_hardpin_toml(tmp_path: Path) -> None:
    cfg = write(tmp_path / ".hardpin.toml", FULL)
    assert load_settings(cfg) == full_expected(tmp_path, cfg)


def test_every_key_in_pyproject(tmp_path: Path) -> None:
    body = FULL.replace("[per-file-ignores]", "[tool.hardpin.per-file-ignores]").replace(
        "[severity]", "[tool.hardpin.severity]"
    )
    cfg = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n\n[tool.hardpin]\n" + body)
    assert load_settings(cfg) == full_expected(tmp_path, cfg)


def test_defaults() -> None:
    s = load_settings(None)
    assert s == Settings()
    assert s.select == ("HP",)
    assert s.exclude == DEFAULT_EXCLUDE == ("vendor", "third_party", "node_modules", ".git")
    assert s.fail_on is Severity.WARNING
    assert s.root == "." and s.config_path is None


def test_empty_config_gives_defaults_rooted_at_its_directory(tmp_path: Path) -> None:
    cfg = write(tmp_path / ".hardpin.toml", "# nothing\n")
    assert load_settings(cfg) == Settings(root=str(tmp_path), config_path=str(cfg))


def test_pyproject_named_explicitly_without_table_gives_defaults(tmp_path: Path) -> None:
    cfg = write(tmp_path / "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_settings(cfg) == Settings(root=str(tmp_path), config_path=str(cfg))


def test_config_with_any_other_name_uses_top_level_keys(tmp_path: Path) -> None:
    cfg = write(tmp_path / "ci" / "hardpin-ci.toml", "fail-on = 'info'\n")
    s = load_settings(cfg)
    assert s.fail_on is Severity.INFO
    assert s.root == str(tmp_path / "ci")


def test_extra_keys_registered_in_known_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(KNOWN_KEYS, "index-url", str_value)
    monkeypatch.setitem(KNOWN_KEYS, "insecure-registries", settings_mod.str_list)
    cfg = write(
        tmp_path / ".hardpin.toml",
        "index-url = 'https://pypi.example/simple'\ninsecure-registries = ['localhost:5000']\n",
    )
    s = load_settings(cfg)
    assert s.extra == (
        ("index-url", "https://pypi.example/simple"),
        ("insecure-registries", ("localhost:5000",)),
    )
    assert s.get("index-url") == "https://pypi.example/simple"
    assert s.get("index_url") == "https://pypi.example/simple"
    assert s.get("insecure-registries") == ("localhost:5000",)
    assert s.get("missing") is None
    assert s.get("missing", 3) == 3
    hash(s)  # settings stay hashable (used as cache keys)


def test_extra_key_validator_errors_name_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(KNOWN_KEYS, "index-url", str_value)
    write(tmp_path / ".hardpin.toml", "index-url = 3\n")
    assert (
        error_of(".hardpin.toml") == ".hardpin.toml: index-url: expected a string, got an integer"
    )


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("selectt = ['HP1']", "unknown key 'selectt' (did you mean 'select'?)"),
        ("zzz = 1", "unknown key 'zzz'"),
        ("extend_select = ['HP1']", "unknown key 'extend_select' (did you mean 'extend-select'?)"),
        ("select = 'HP1'", "select: expected an array of rule codes, got a string"),
        (
            "select = ['HP1', 'E501']",
            f"select: 'E501' {NOT_A_CODE}",
        ),
        (
            "select = ['HP1001']",
            f"select: 'HP1001' {NOT_A_CODE}",
        ),
        (
            "select = ['hp1']",
            f"select: 'hp1' {NOT_A_CODE}",
        ),
        ("select = [1]", "select: expected a rule code or prefix, got an integer"),
        (
            "extend-select = ['HPX']",
            f"extend-select: 'HPX' {NOT_A_CODE}",
        ),
        (
            "ignore = ['HP 1']",
            f"ignore: 'HP 1' {NOT_A_CODE}",
        ),
        ("ignore = {HP1 = true}", "ignore: expected an array of rule codes, got a table"),
        ("exclude = 'vendor'", "exclude: expected an array of strings, got a string"),
        ("exclude = ['a', 2]", "exclude: expected an array of strings, found an integer"),
        ("extend-exclude = ['']", "extend-exclude: empty string in array"),
        (
            "allowed-registries = [true]",
            "allowed-registries: expected an array of strings, found a boolean",
        ),
        (
            "fail-on = 'fatal'",
            'fail-on: unknown severity \'fatal\' (expected "error", "warning" or "info")',
        ),
        (
            "fail-on = 'Error'",
            'fail-on: unknown severity \'Error\' (expected "error", "warning" or "info")',
        ),
        ("fail-on = 2", 'fail-on: expected "error", "warning" or "info", got an integer'),
        (
            "per-file-ignores = ['a']",
            "per-file-ignores: expected a table of glob = [codes], got an array",
        ),
        (
            "per-file-ignores = {'a/*' = 'HP1'}",
            "per-file-ignores: 'a/*': expected an array of rule codes, got a string",
        ),
        (
            "per-file-ignores = {'a/*' = ['HP1', 'X1']}",
            f"per-file-ignores: 'a/*': 'X1' {NOT_A_CODE}",
        ),
        ("severity = 'error'", "severity: expected a table of code = severity, got a string"),
        (
            "severity = {HP101 = 'loud'}",
            "severity: 'HP101': unknown severity 'loud' "
            '(expected "error", "warning" or "info")',
        ),
        (
            "severity = {HP101 = 1.5}",
            'severity: \'HP101\': expected "error", "warning" or "info", got a float',
        ),
        (
            "severity = {E501 = 'error'}",
            f"severity: 'E501': 'E501' {NOT_A_CODE}",
        ),
        ("concurrency = 0", "concurrency: expected a whole number of at least 1, got 0"),
        ("concurrency = true", "concurrency: expected a whole number of at least 1, got a boolean"),
        (
            "insecure-registries = 'localhost:5000'",
            "insecure-registries: expected an array of strings, got a string",
        ),
    ],
)
def test_bad_values_name_the_file_and_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".hardpin.toml", body + "\n")
    assert error_of(".hardpin.toml") == f".hardpin.toml: {message}"
    # the same in pyproject.toml names the table
    write(tmp_path / "pyproject.toml", "[tool.hardpin]\n" + body + "\n")
    assert error_of("pyproject.toml") == f"pyproject.toml: [tool.hardpin] {message}"


def test_error_for_a_discovered_config_names_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "svc" / "pyproject.toml", "[tool.hardpin]\nselectt = ['HP1']\n")
    with pytest.raises(HardpinError) as info:
        settings_for("svc/Dockerfile")
    assert str(info.value) == (
        f"svc{os.sep}pyproject.toml: [tool.hardpin] unknown key 'selectt' (did you mean 'select'?)"
    )


def test_config_outside_cwd_is_named_by_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = write(tmp_path / "proj" / ".hardpin.toml", "zzz = 1\n")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    assert error_of(cfg) == f"{cfg}: unknown key 'zzz'"


def test_toml_syntax_error_names_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / ".hardpin.toml", "select = ['HP1']\nignore = [\n")
    msg = error_of(".hardpin.toml")
    assert msg.startswith(".hardpin.toml: invalid TOML: ")
    assert "(at line 3, column 1)" in msg or "(at end of document)" in msg
    write(tmp_path / ".hardpin.toml", "select = ['HP1']\nfail-on = error\n")
    assert (
        error_of(".hardpin.toml")
        == ".hardpin.toml: invalid TOML: Invalid value (at line 2, column 11)"
    )
    assert "\n" not in msg


def test_hardpin_table_that_is_not_a_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool]\nhardpin = 'yes'\n")
    assert (
        error_of("pyproject.toml") == "pyproject.toml: [tool.hardpin] must be a table, not a string"
    )


def test_unreadable_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert error_of("missing.toml") == "missing.toml: cannot read: No such file or directory"
    (tmp_path / "adir.toml").mkdir()
    assert error_of("adir.toml") == "adir.toml: cannot read: Is a directory"


def test_config_that_is_not_utf8(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".hardpin.toml").write_bytes(b"select = ['HP1'] # \xff\n")
    assert (
        error_of(".hardpin.toml")
        == ".hardpin.toml: not valid UTF-8 (invalid start byte at byte 19)"
    )


def test_bad_override_codes_name_the_option() -> None:
    with pytest.raises(HardpinError) as info:
        load_settings(None, overrides=Overrides(select=("HP1", "E5")))
    assert str(info.value) == (f"--select: 'E5' {NOT_A_CODE}")
    with pytest.raises(HardpinError, match=r"^--extend-select: 'X' is not"):
        load_settings(None, overrides=Overrides(extend_select=("X",)))
    with pytest.raises(HardpinError, match=r"^--ignore: 'HP12345' is not"):
        load_settings(None, overrides=Overrides(ignore=("HP12345",)))


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize(
    ("select", "extend", "ignore", "code", "enabled"),
    [
        (("HP",), (), (), "HP101", True),
        (("HP",), (), (), "HP001", True),
        (("HP1",), (), (), "HP101", True),
        (("HP1",), (), (), "HP401", False),  # no match at all: disabled
        ((), (), (), "HP101", False),
        (("HP",), (), ("HP4",), "HP401", False),
        (("HP",), (), ("HP4",), "HP101", True),
        (("HP401",), (), ("HP4",), "HP401", True),  # more specific select wins
        (("HP401",), (), ("HP4",), "HP402", False),  # not selected at all
        (("HP4",), (), ("HP401",), "HP401", False),  # more specific ignore wins
        (("HP4",), (), ("HP401",), "HP402", True),
        (("HP4",), (), ("HP4",), "HP401", False),  # tie: ignore wins
        (("HP401",), (), ("HP401",), "HP401", False),  # tie on the exact code
        (("HP",), ("HP40",), ("HP4",), "HP401", True),  # extend-select counts as select
        (("HP",), ("HP40",), ("HP4",), "HP411", False),
        (("HP",), ("HP4",), ("HP4",), "HP401", False),  # tie with extend-select: ignore wins
        (("HP1",), ("HP4",), (), "HP402", True),
        (("HP1",), ("HP4",), (), "HP201", False),
        (("HP",), (), ("HP",), "HP101", False),
        (("HP10",), (), ("HP1",), "HP101", True),
        (("HP10",), (), ("HP1",), "HP110", False),
        (("HP", "HP101"), (), ("HP10",), "HP101", True),  # the longest select is what counts
        (("HP", "HP101"), (), ("HP10",), "HP102", False),
    ],
)
def test_selection_precedence(
    select: tuple[str, ...],
    extend: tuple[str, ...],
    ignore: tuple[str, ...],
    code: str,
    enabled: bool,
) -> None:
    s = Settings(select=select, extend_select=extend, ignore=ignore)
    assert s.is_enabled(code) is enabled
    assert s.is_enabled(code, "Dockerfile") is enabled


def test_overrides_on_a_config(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / ".hardpin.toml",
        "select = ['HP1']\nextend-select = ['HP402']\nignore = ['HP102']\nfail-on = 'info'\n",
    )
    base = load_settings(cfg)
    assert (base.select, base.extend_select, base.ignore, base.fail_on) == (
        ("HP1",),
        ("HP402",),
        ("HP102",),
        Severity.INFO,
    )

    s = load_settings(cfg, overrides=Overrides())
    assert s == base

    def on(s: Settings, *codes: str) -> list[str]:
        return [c for c in codes if s.is_enabled(c)]

    # --select replaces the configuration's selection, its ignore included (ruff)
    s = load_settings(cfg, overrides=Overrides(select=("HP4",)))
    assert (s.cli_select, s.cli_extend_select, s.cli_ignore) == (("HP4",), (), ())
    assert on(s, "HP101", "HP102", "HP401", "HP402") == ["HP401", "HP402"]
    s = load_settings(cfg, overrides=Overrides(select=("HP102",)))
    assert on(s, "HP101", "HP102", "HP401", "HP402") == ["HP102"]

    # --extend-select adds to what the configuration enabled; a more specific code
    # turns on what the configuration ignores
    s = load_settings(cfg, overrides=Overrides(extend_select=("HP401",)))
    assert on(s, "HP101", "HP102", "HP401", "HP402", "HP403") == ["HP101", "HP401", "HP402"]
    s = load_settings(cfg, overrides=Overrides(extend_select=("HP102",)))
    assert on(s, "HP101", "HP102", "HP103") == ["HP101", "HP102", "HP103"]
    # ... but a prefix leaves the configuration's more specific ignore alone? No: each
    # layer decides by its own selectors; HP1 matches HP102 and nothing in the
    # command line's layer ignores it
    s = load_settings(cfg, overrides=Overrides(extend_select=("HP1",)))
    assert on(s, "HP101", "HP102") == ["HP101", "HP102"]

    # --select and --extend-select together
    s = load_settings(cfg, overrides=Overrides(select=("HP4",), extend_select=("HP101",)))
    assert on(s, "HP101", "HP102", "HP401", "HP201") == ["HP101", "HP401"]

    # --ignore and --extend-ignore remove from what the configuration enabled
    s = load_settings(cfg, overrides=Overrides(ignore=("HP101",)))
    assert s.cli_ignore == ("HP101",)
    assert on(s, "HP101", "HP102", "HP103") == ["HP103"]
    s = load_settings(cfg, overrides=Overrides(ignore=("HP101",), extend_ignore=("HP103",)))
    assert on(s, "HP101", "HP102", "HP103", "HP104") == ["HP104"]
    # in the command line's layer, the more specific selector wins there too
    s = load_settings(cfg, overrides=Overrides(select=("HP1",), ignore=("HP10",)))
    assert on(s, "HP101", "HP102", "HP201") == []
    s = load_settings(cfg, overrides=Overrides(select=("HP101",), ignore=("HP1",)))
    assert on(s, "HP101", "HP102") == ["HP101"]

    # --fail-on replaces fail-on
    s = load_settings(cfg, overrides=Overrides(fail_on=Severity.ERROR))
    assert s.fail_on is Severity.ERROR
    assert s.select == ("HP1",)


@pytest.mark.parametrize(
    ("config", "overrides", "expected"),
    [
        # the case: the command line's --select turns on what the config ignores
        ("ignore = ['HP209']", Overrides(select=("HP209",)), {"HP209"}),
        ("select = ['HP2']\nignore = ['HP209']", Overrides(select=("HP209",)), {"HP209"}),
        # ruff's documented example: select E,F ignore F401; --select F401 -> only F401
        (
            "select = ['HP1', 'HP2']\nignore = ['HP101']",
            Overrides(select=("HP101",)),
            {"HP101"},
        ),
        # ... --extend-select B: E, F and B, but F401 stays ignored
        (
            "select = ['HP1']\nignore = ['HP101']",
            Overrides(extend_select=("HP4",)),
            {"HP102", "HP103", "HP104", "HP401", "HP402", "HP403", "HP404", "HP405"},
        ),
        # config ignore, command-line extend-select of the exact code: on again
        ("ignore = ['HP209']", Overrides(extend_select=("HP209",)), "all"),
        # `select = []` with an ignore: ruff carries the ignore to the next layer
        ("select = []\nignore = ['HP209']", Overrides(select=("HP2",)), "HP2-but-209"),
        ("select = ['HP1']\nignore = ['HP209']", Overrides(select=("HP2",)), "HP2"),
        # ALL is every rule
        ("select = ['ALL']\nignore = ['HP1']", Overrides(), "all-but-HP1"),
        ("select = ['HP1']", Overrides(select=("ALL",), ignore=("HP1",)), "all-but-HP1"),
    ],
)
def test_rule_selection_follows_ruff(
    tmp_path: Path, config: str, overrides: Overrides, expected: object
) -> None:
    from hardpin.registry import CODES

    cfg = write(tmp_path / ".hardpin.toml", config + "\n")
    s = load_settings(cfg, overrides=overrides)
    got = {c for c in CODES if s.is_enabled(c)}
    if expected == "all":
        expected = set(CODES)
    elif expected == "all-but-HP1":
        expected = {c for c in CODES if not c.startswith("HP1")}
    elif expected == "HP2":
        expected = {c for c in CODES if c.startswith("HP2")}
    elif expected == "HP2-but-209":
        expected = {c for c in CODES if c.startswith("HP2")} - {"HP209"}
    assert got == expected


@pytest.mark.parametrize(
    ("flag", "field"),
    [
        ("--select", "select"),
        ("--extend-select", "extend_select"),
        ("--ignore", "ignore"),
        ("--extend-ignore", "extend_ignore"),
    ],
)
@pytest.mark.parametrize("code", ["HP999", "HP9", "HP95", "HP199"])
def test_unknown_codes_on_the_command_line_are_errors(flag: str, field: str, code: str) -> None:
    with pytest.raises(HardpinError) as info:
        load_settings(None, overrides=Overrides(**{field: ("HP1", code)}))
    what = "rule code" if len(code) == 5 else "prefix"
    assert str(info.value) == (
        f"{flag}: unknown {what} {code!r}: no rule has it (`hardpin rules` lists them)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("select = ['HP999']", "select: unknown rule code 'HP999'"),
        ("ignore = ['HP1', 'HP9']", "ignore: unknown prefix 'HP9'"),
        ("extend-select = ['HP90']", "extend-select: unknown prefix 'HP90'"),
        ("[severity]\nHP999 = 'info'", "severity: 'HP999': unknown rule code 'HP999'"),
        ("[per-file-ignores]\n'x' = ['HP98']", "per-file-ignores: 'x': unknown prefix 'HP98'"),
    ],
)
def test_unknown_codes_in_the_config_are_errors(tmp_path: Path, text: str, message: str) -> None:
    cfg = write(tmp_path / ".hardpin.toml", text + "\n")
    assert error_of(cfg).startswith(f"{cfg}: {message}: no rule has it")


def test_hardpin_toml_is_read_and_loses_to_dot_hardpin_toml(tmp_path: Path) -> None:
    plain = write(tmp_path / "hardpin.toml", "select = ['HP2']\n")
    write(tmp_path / "pyproject.toml", "[tool.hardpin]\nselect = ['HP1']\n")
    assert find_config(tmp_path) == plain
    assert settings_for(tmp_path / "Dockerfile").select == ("HP2",)
    settings_mod.clear_caches()
    dot = write(tmp_path / ".hardpin.toml", "select = ['HP4']\n")
    assert find_config(tmp_path) == dot
    settings_mod.clear_caches()
    # a nearer hardpin.toml wins over a farther .hardpin.toml
    near = write(tmp_path / "sub" / "hardpin.toml", "")
    assert find_config(tmp_path / "sub" / "Dockerfile") == near


@pytest.mark.parametrize("name", [".hardpin.toml", "hardpin.toml", "custom.toml"])
def test_tool_hardpin_in_a_standalone_file_is_refused_clearly(tmp_path: Path, name: str) -> None:
    cfg = write(tmp_path / name, "[tool.hardpin]\nselect = ['HP1']\n")
    assert error_of(cfg) == (
        f"{cfg}: [tool.hardpin] is the table of pyproject.toml; in {name} write the "
        "settings at the top level, without the [tool.hardpin] header"
    )


def test_per_file_ignores_globs_negation_and_extend(tmp_path: Path) -> None:
    cfg = write(
        tmp_path / "hardpin.toml",
        "[per-file-ignores]\n"
        "'docker/*.Dockerfile' = ['HP401']\n"
        "'!prod/**' = ['HP402']\n"
        "[extend-per-file-ignores]\n"
        "'Dockerfile.dev' = ['HP1']\n",
    )
    s = load_settings(cfg)

    def on(path: str, code: str) -> bool:
        return s.is_enabled(code, str(tmp_path / path))

    assert not on("docker/a.Dockerfile", "HP401") and on("docker/a.Dockerfile", "HP403")
    assert on("other/a.Dockerfile", "HP401")
    assert on("prod/x/Dockerfile", "HP402") and not on("dev/Dockerfile", "HP402")
    assert not on("Dockerfile.dev", "HP101") and not on("sub/Dockerfile.dev", "HP102")
    assert on("Dockerfile", "HP101")


def test_overrides_on_defaults_and_lists_are_accepted() -> None:
    s = load_settings(None, overrides=Overrides(select=["HP4"], ignore=["HP403"]))  # type: ignore[arg-type]
    assert s == Settings(cli_select=("HP4",), cli_ignore=("HP403",))
    assert [c for c in ("HP101", "HP401", "HP403") if s.is_enabled(c)] == ["HP401"]
    assert load_settings(None, overrides=Overrides(fail_on=Severity.INFO)).fail_on is Severity.INFO


def test_severity_overrides() -> None:
    s = Settings(
        severity=(("HP101", Severity.ERROR), ("HP4", Severity.INFO), ("HP40", Severity.WARNING))
    )
    assert s.severity_for("HP101", Severity.WARNING) is Severity.ERROR
    assert s.severity_for("HP102", Severity.WARNING) is Severity.WARNING  # no override: default
    assert s.severity_for("HP102", Severity.ERROR) is Severity.ERROR
    assert s.severity_for("HP411", Severity.ERROR) is Severity.INFO  # prefix
    assert s.severity_for("HP401", Severity.ERROR) is Severity.WARNING  # longest prefix wins
    assert Settings().severity_for("HP101", Severity.INFO) is Severity.INFO


def test_severity_overrides_from_config(tmp_path: Path) -> None:
    cfg = write(tmp_path / ".hardpin.toml", "[severity]\nHP402 = 'error'\nHP1 = 'info'\n")
    s = load_settings(cfg)
    assert s.severity_for("HP402", Severity.WARNING) is Severity.ERROR
    assert s.severity_for("HP101", Severity.ERROR) is Severity.INFO
    assert s.severity_for("HP401", Severity.WARNING) is Severity.WARNING


# --------------------------------------------------------------------------- per-file-ignores


def pfi(root: Path, *entries: tuple[str, tuple[str, ...]], **kw: object) -> Settings:
    return Settings(root=str(root), per_file_ignores=tuple(entries), **kw)  # type: ignore[arg-type]


def test_per_file_ignores_glob_with_slash(tmp_path: Path) -> None:
    s = pfi(tmp_path, ("windows/*", ("HP401",)))
    assert s.is_enabled("HP401", "windows/Containerfile") is False
    assert s.is_enabled("HP401", "windows/x/Dockerfile") is False  # `*` crosses `/`
    assert s.is_enabled("HP402", "windows/Containerfile") is True
    assert s.is_enabled("HP401", "Dockerfile") is True
    assert s.is_enabled("HP401", "linux/windows/Dockerfile") is True  # anchored at root
    assert s.is_enabled("HP401") is True  # no path: per-file-ignores do not apply


def test_per_file_ignores_without_slash_match_the_basename(tmp_path: Path) -> None:
    s = pfi(tmp_path, ("*.legacy.Dockerfile", ("HP1",)), ("Containerfile", ("HP4",)))
    assert s.is_enabled("HP101", "old.legacy.Dockerfile") is False
    assert s.is_enabled("HP104", "deep/er/old.legacy.Dockerfile") is False
    assert s.is_enabled("HP401", "deep/er/old.legacy.Dockerfile") is True
    assert s.is_enabled("HP405", "svc/Containerfile") is False
    assert s.is_enabled("HP405", "svc/Containerfile.prod") is True
    assert s.is_enabled("HP101", "svc/Dockerfile") is True


def test_per_file_ignores_with_absolute_and_dotted_paths(tmp_path: Path) -> None:
    s = pfi(tmp_path, ("./svc/**/Dockerfile", ("HP101",)), ("**/gen/*", ("HP",)))
    assert s.is_enabled("HP101", str(tmp_path / "svc" / "a" / "Dockerfile")) is False
    assert (
        s.is_enabled("HP101", str(tmp_path / "svc" / "Dockerfile")) is True
    )  # needs a dir between
    assert s.is_enabled("HP102", str(tmp_path / "svc" / "a" / "Dockerfile")) is True
    assert s.is_enabled("HP001", "x/gen/Dockerfile") is False
    assert s.is_enabled("HP001", "./x/gen/Dockerfile") is False
    assert s.is_enabled("HP001", str(tmp_path / "x" / "gen" / "Dockerfile")) is False
    assert s.is_enabled("HP001", "gen/Dockerfile") is True  # "**/" needs a leading directory


def test_per_file_ignores_paths_relative_to_cwd_inside_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the command line names files relative to the current directory; globs are relative
    # to the config file's directory
    (tmp_path / "services").mkdir()
    monkeypatch.chdir(tmp_path / "services")
    s = pfi(tmp_path, ("services/api/*", ("HP101",)))
    assert s.relative("api/Dockerfile") == "services/api/Dockerfile"
    assert s.is_enabled("HP101", "api/Dockerfile") is False
    assert s.is_enabled("HP101", "web/Dockerfile") is True


def test_per_file_ignores_do_not_enable_anything(tmp_path: Path) -> None:
    s = pfi(tmp_path, ("a/*", ("HP4",)), select=("HP1",))
    assert s.is_enabled("HP401", "b/Dockerfile") is False
    assert s.is_enabled("HP101", "a/Dockerfile") is True


def test_per_file_ignores_from_config_use_its_directory_as_root(tmp_path: Path) -> None:
    write(tmp_path / ".hardpin.toml", "[per-file-ignores]\n'windows/*' = ['HP401']\n")
    f = write(tmp_path / "windows" / "Containerfile", "FROM a\n")
    s = settings_for(f)
    assert s.root == str(tmp_path)
    assert s.is_enabled("HP401", str(f)) is False
    assert s.is_enabled("HP401", str(tmp_path / "Dockerfile")) is True


# --------------------------------------------------------------------------- excludes


def test_default_excludes_match_any_component(tmp_path: Path) -> None:
    s = Settings(root=str(tmp_path))
    assert s.is_excluded("vendor") is True
    assert s.is_excluded("vendor/lib/Dockerfile") is True
    assert s.is_excluded("a/b/node_modules/x/Dockerfile") is True
    assert s.is_excluded("third_party/Dockerfile") is True
    assert s.is_excluded(".git/hooks") is True
    assert s.is_excluded(str(tmp_path / "src" / "vendor" / "Dockerfile")) is True
    assert s.is_excluded("vendored/Dockerfile") is False
    assert s.is_excluded("src/Dockerfile") is False
    assert s.is_excluded("Dockerfile") is False
    assert s.is_excluded(str(tmp_path)) is False


def test_exclude_replaces_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    cfg = write(tmp_path / ".hardpin.toml", "exclude = ['gen*']\n")
    s = load_settings(cfg)
    assert s.exclude == ("gen*",) and s.extend_exclude == ()
    assert s.is_excluded("vendor/Dockerfile") is False
    assert s.is_excluded("a/generated/Dockerfile") is True
    cfg = write(tmp_path / ".hardpin.toml", "extend-exclude = ['*.bak', 'fixtures']\n")
    s = load_settings(cfg)
    assert s.exclude == DEFAULT_EXCLUDE and s.extend_exclude == ("*.bak", "fixtures")
    assert s.is_excluded("vendor/Dockerfile") is True
    assert s.is_excluded("x/Dockerfile.bak") is True
    assert s.is_excluded("tests/fixtures/Dockerfile") is True
    assert s.is_excluded("tests/Dockerfile") is False
    cfg = write(tmp_path / ".hardpin.toml", "exclude = []\nextend-exclude = ['out']\n")
    s = load_settings(cfg)
    assert s.is_excluded("vendor/Dockerfile") is False
    assert s.is_excluded("out/Dockerfile") is True


def test_exclude_patterns_with_slash_match_the_path_from_the_root(tmp_path: Path) -> None:
    s = Settings(root=str(tmp_path), exclude=("services/legacy", "/build/", "./docs/*/old", "x/"))
    assert s.is_excluded("services/legacy") is True
    assert s.is_excluded("services/legacy/Dockerfile") is True  # parent directory matches
    assert s.is_excluded("other/services/legacy/Dockerfile") is False  # anchored at the root
    assert s.is_excluded("services/legacy2/Dockerfile") is False
    assert s.is_excluded("build/Dockerfile") is True
    assert s.is_excluded("a/build/Dockerfile") is False
    assert s.is_excluded("docs/v1/old/Dockerfile") is True
    assert s.is_excluded("docs/v1/v2/old/Dockerfile") is True  # `*` crosses `/`
    assert s.is_excluded("docs/old/Dockerfile") is False
    assert s.is_excluded("a/x/Dockerfile") is True  # trailing `/` only: a component pattern
    assert s.is_excluded(str(tmp_path / "services" / "legacy" / "Dockerfile")) is True


def test_paths_outside_the_root(tmp_path: Path) -> None:
    s = Settings(root=str(tmp_path / "proj"), exclude=(".*", "vendor", "a/b"))
    assert s.is_excluded(str(tmp_path / "other" / "vendor" / "Dockerfile")) is True
    assert s.is_excluded(str(tmp_path / "other" / "Dockerfile")) is False  # ".." is not a name
    assert s.is_excluded(str(tmp_path / "a" / "b" / "Dockerfile")) is False


def test_excludes_entry_checks_only_the_last_component(tmp_path: Path) -> None:
    s = Settings(root=str(tmp_path), exclude=("vendor", "a/b"))
    assert s.excludes_entry("vendor") is True
    assert s.excludes_entry("x/vendor") is True
    assert s.excludes_entry("vendor/x") is False
    assert s.excludes_entry("a/b") is True
    assert s.excludes_entry("a/b/c") is False


# --------------------------------------------------------------------------- settings_for


def test_settings_for_uses_nearest_config(tmp_path: Path) -> None:
    write(tmp_path / ".hardpin.toml", "select = ['HP1']\n")
    write(tmp_path / "svc" / ".hardpin.toml", "select = ['HP4']\n")
    (tmp_path / "svc" / "deep").mkdir()
    assert settings_for(tmp_path / "Dockerfile").select == ("HP1",)
    assert settings_for(tmp_path / "svc").select == ("HP4",)  # a directory: its own config
    assert settings_for(tmp_path / "svc" / "deep" / "Dockerfile").select == ("HP4",)
    assert settings_for(tmp_path / "svc" / "deep").root == str(tmp_path / "svc")


def test_settings_for_explicit_config_overrides_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "svc" / ".hardpin.toml", "select = ['HP4']\n")
    cfg = write(tmp_path / "ci.toml", "select = ['HP2']\n")
    monkeypatch.chdir(tmp_path)
    s = settings_for(tmp_path / "svc" / "Dockerfile", config="ci.toml")
    assert s.select == ("HP2",)
    assert s.config_path == str(cfg) and s.root == str(tmp_path)


def test_settings_for_without_config_gives_defaults(tmp_path: Path) -> None:
    # /tmp and its parents hold no hardpin configuration
    if find_config(tmp_path) is not None:
        pytest.skip("a hardpin config exists above the temporary directory")
    assert settings_for(tmp_path / "Dockerfile") == Settings()
    o = Overrides(ignore=("HP4",))
    assert settings_for(tmp_path / "Dockerfile", overrides=o) == Settings(cli_ignore=("HP4",))


def test_settings_for_applies_overrides(tmp_path: Path) -> None:
    write(tmp_path / ".hardpin.toml", "select = ['HP1']\nignore = ['HP104']\n")
    s = settings_for(
        tmp_path / "Dockerfile", overrides=Overrides(ignore=("HP101",), fail_on=Severity.ERROR)
    )
    assert (s.ignore, s.cli_ignore) == (("HP104",), ("HP101",)) and s.fail_on is Severity.ERROR
    assert [c for c in ("HP101", "HP102", "HP104") if s.is_enabled(c)] == ["HP102"]
    assert settings_for(tmp_path / "Dockerfile").cli_ignore == ()


def test_settings_for_is_cached_per_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "pyproject.toml", "[tool.hardpin]\nselect = ['HP1']\n")
    for i in range(20):
        (tmp_path / f"d{i}").mkdir()
    reads: list[str] = []
    real = settings_mod._read_bytes

    def counting(path: str) -> bytes:
        reads.append(path)
        return real(path)

    monkeypatch.setattr(settings_mod, "_read_bytes", counting)
    results = {
        id(settings_for(tmp_path / f"d{i}" / f"{n}.Dockerfile"))
        for i in range(20)
        for n in range(50)
    }
    assert len(results) == 1  # one Settings object for 1000 files in 20 directories
    # the pyproject is read once to see it has the table and once to load it
    assert reads == [str(tmp_path / "pyproject.toml")] * 2
    settings_mod.clear_caches()
    settings_for(tmp_path / "d0" / "Dockerfile")
    assert len(reads) == 4


def test_build_context_key_is_accepted_and_validated(tmp_path) -> None:
    from hardpin.model import HardpinError
    from hardpin.settings import load_settings

    good = tmp_path / "good.toml"
    good.write_text('build-context = ".."\n')
    assert load_settings(good).get("build-context") == ".."
    bad = tmp_path / "bad.toml"
    bad.write_text("build-context = 3\n")
    import pytest

    with pytest.raises(HardpinError, match="build-context"):
        load_settings(bad)


def test_the_plain_toml_reader_agrees_with_tomllib() -> None:
    """Whatever `simple_toml` reads, tomllib reads the same; what it does not read is
    left to tomllib (which also decides the errors)."""
    import random
    import tomllib

    from hardpin.settings import simple_toml

    pieces = [
        "select", "ignore", "a", "b-c", "tool", "hardpin", "1", "x_y", " ", "\t", "=",
        '"HP101"', "'lit'", '"a#b"', '"q\\"x"', "true", "false", "0", "-12", "01", "1.5",
        "[", "]", ",", ".", "#", "# c", '"', "'", "[tool.hardpin]", "[a]", "[a.b]",
        "[ a . b ]", "[[a]]", "{}", "truex", "\x01", "é", '"é"', '"""', "\r",
    ]  # fmt: skip
    rng = random.Random(12)
    agreed = 0
    for _ in range(20000):
        lines = [
            "".join(rng.choice(pieces) for _ in range(rng.randrange(0, 7)))
            for _ in range(rng.randrange(1, 5))
        ]
        text = "\n".join(lines)
        fast = simple_toml(text)
        if fast is None:
            continue
        assert tomllib.loads(text) == fast, repr(text)
        agreed += 1
    assert agreed > 1000  # the fast path is really exercised
    typical = (
        '# hardpin\nselect = ["HP1", "HP2"]\nignore = []\nfail-on = "error"\n'
        "insecure-registries = [\"127.0.0.1:5000\", 'reg.local']\nconcurrency = 8\n\n"
        '[severity]\nHP101 = "info"  # a comment\n[per-file-ignores]\n"x" = []\n'
    )
    assert simple_toml(typical) is None  # a quoted key: tomllib's business
    typical = typical.replace('"x" = []', "tests = []")
    assert simple_toml(typical) == tomllib.loads(typical)
