"""YAML with positions (analysis/yamldoc.py), the YAML kinds of file and their discovery."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from conftest import CORPUS, requires_corpus

from hardpin.analysis import yamldoc
from hardpin.discovery import discover_files, sniff_kind
from hardpin.engine import is_internal_error, lint_text
from hardpin.settings import Settings, settings_for

YAML_DIRS = ("workflows", "k8s", "compose")


def corpus_files() -> list[Path]:
    return sorted(p for d in YAML_DIRS if (CORPUS / d).is_dir() for p in (CORPUS / d).iterdir())


def walk(node: object, out: list[tuple[str, int, int, object]], seen: set[int]) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    value = node.value  # type: ignore[attr-defined]
    out.append((type(node).__name__, node.start_mark.index, node.end_mark.index, None))  # type: ignore[attr-defined]
    if isinstance(value, list):
        for item in value:
            for n in item if isinstance(item, tuple) else (item,):
                walk(n, out, seen)
    else:
        out[-1] = out[-1][:3] + (value,)


def positions(text: str, loader: type) -> list[tuple[str, int, int, object]]:
    out: list[tuple[str, int, int, object]] = []
    seen: set[int] = set()
    docs = list(yaml.compose_all(text, Loader=loader))  # alive: `seen` holds their ids
    for doc in docs:
        if doc is not None:
            walk(doc, out, seen)
    return out


def test_the_c_parser_is_used_when_there_and_the_python_one_agrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "a: &x {b: 1}\nc:\n  <<: *x\n  '<<': quoted\non: [push]\n---\n- |\n  block\n"
    cyaml = pytest.importorskip("yaml.cyaml")
    assert issubclass(yamldoc._loader(), cyaml.CParser)
    fast = [yamldoc.items(d) for d in yamldoc.parse(text).docs if yamldoc.is_map(d)]
    monkeypatch.setattr(yamldoc, "_LOADER", None)
    monkeypatch.setitem(sys.modules, "yaml.cyaml", None)  # as if built without libyaml
    assert not issubclass(yamldoc._loader(), cyaml.CParser)
    slow = [yamldoc.items(d) for d in yamldoc.parse(text).docs if yamldoc.is_map(d)]
    as_data = [[(k, yamldoc.start(v), yamldoc.end(v)) for k, _kn, v in m] for m in fast]
    assert as_data == [[(k, yamldoc.start(v), yamldoc.end(v)) for k, _kn, v in m] for m in slow]
    c = yamldoc.get(fast[0] and yamldoc.parse(text).docs[0], "c")
    assert yamldoc.scalar(yamldoc.get(c, "b")) == "1"  # merged
    assert yamldoc.scalar(yamldoc.get(c, "<<")) == "quoted"  # a quoted `<<` is a plain key
    monkeypatch.setattr(yamldoc, "_LOADER", None)


@requires_corpus("workflows")
def test_both_loaders_give_the_same_nodes_and_offsets_on_the_corpus() -> None:
    """Offsets are characters with either loader, so the fast one can be used."""
    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("PyYAML without libyaml")
    compared = 0
    for p in corpus_files():
        text = yamldoc.prepared(p.read_bytes().decode("utf-8", "surrogateescape"))
        try:
            py = positions(text, yaml.SafeLoader)
        except yaml.YAMLError:
            continue
        assert positions(text, yaml.CSafeLoader) == py, p.name
        compared += 1
    assert compared > 1000


@requires_corpus("workflows")
def test_no_internal_error_on_the_corpus() -> None:
    files = corpus_files()
    assert len(files) > 1000
    for p in files:
        kind = sniff_kind(str(p)) or "kubernetes"
        text = p.read_bytes().decode("utf-8", "surrogateescape")
        findings = lint_text(p.name, kind, text, Settings())
        assert not [f for f in findings if is_internal_error(f)], p.name


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        ("services:\n  a:\n    image: [unclosed\n", "not valid YAML", 4, 1),
        ("apiVersion: v1\nkind: Pod\nx: \x01\n", "character YAML does not allow", 3, 4),
        ("apiVersion: v1\nkind: Pod\nx: \udcff\n", "not UTF-8", 3, 4),
        ("a: b\n c: d\n", "not valid YAML", 2, 3),
    ],
)
def test_what_is_not_yaml_is_one_hp001_at_its_place(
    text: str, message: str, line: int, column: int
) -> None:
    findings = lint_text("compose.yml", "compose", text, Settings())
    assert [(f.code, f.line, f.column) for f in findings] == [("HP001", line, column)]
    assert message in findings[0].message and "\n" not in findings[0].message


def test_a_helm_template_is_skipped_with_an_info_note() -> None:
    text = (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels:\n"
        '    {{- include "x.labels" . | nindent 4 }}\nspec:\n  template:\n    spec:\n'
        "      containers:\n      - image: nginx:1\n"
    )
    findings = lint_text("deploy.yaml", "kubernetes", text, Settings())
    assert [(f.code, str(f.severity)) for f in findings] == [("HP001", "info")]
    assert "template" in findings[0].message
    # a GitHub expression is not a template
    wf = "on: push\njobs:\n  a:\n    container: ${{ matrix.image }}\n    runs-on: x\n"
    assert lint_text("ci.yml", "workflow", wf, Settings()) == []


def test_an_alias_bomb_costs_nothing_and_recursion_is_refused_cleanly() -> None:
    lines = ["apiVersion: v1", "kind: List", "a0: &a0 [{image: x:1}]"]
    for i in range(1, 40):
        lines.append(f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]")
    lines.append("spec: {containers: *a39}")
    findings = lint_text("bomb.yaml", "kubernetes", "\n".join(lines) + "\n", Settings())
    assert [(f.code, f.line) for f in findings if f.code == "HP503"] == []  # not a container list
    deep = "apiVersion: v1\nkind: Pod\nspec: " + "[" * 20000 + "]" * 20000 + "\n"
    findings = lint_text("deep.yaml", "kubernetes", deep, Settings())
    assert [f.code for f in findings] == ["HP001"]


def test_value_spans_skip_anchors_tags_and_quotes() -> None:
    text = "a: &x 'q:1'\nb: !!str plain\nc: \"esc\\tape\"\nd: |\n  block\n"
    doc = yamldoc.parse(text).docs[0]
    spans = {k: yamldoc.value_span(text, v) for k, _kn, v in yamldoc.items(doc)}
    assert text[slice(*spans["a"])] == "q:1"  # type: ignore[misc]
    assert text[slice(*spans["b"])] == "plain"  # type: ignore[misc]
    assert spans["c"] is None and spans["d"] is None  # an escape; a block scalar


def test_merge_keys_are_followed_and_own_keys_win() -> None:
    text = "base: &b {image: a:1, x: 1}\nsvc:\n  <<: *b\n  image: own:2\nother:\n  <<: [*b]\n"
    doc = yamldoc.parse(text).docs[0]
    assert yamldoc.scalar(yamldoc.get(yamldoc.get(doc, "svc"), "image")) == "own:2"
    assert yamldoc.scalar(yamldoc.get(yamldoc.get(doc, "other"), "image")) == "a:1"


def test_walking_finds_yaml_kinds_by_name_and_by_content(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": "on: push\njobs: {}\n",
        "ci/flattened__ci.yml": '"on":\n  push:\njobs:\n  a: {}\n',
        "k8s/app.yaml": "# c\n---\napiVersion: v1\nkind: Pod\n",
        "chart/templates/deploy.yaml": "apiVersion: v1\nkind: {{ .Values.kind }}\n",
        "docker-compose.yml": "services: {}\n",
        "tools/action.yml": "runs:\n  using: docker\n  image: Dockerfile\n",
        ".pre-commit-config.yaml": "repos: []\n",
        ".gitlab-ci.yml": "image: x\n",
        "mkdocs.yml": "site_name: x\n",
        "notes.txt": "apiVersion: v1\nkind: Pod\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    found = dict(discover_files([str(tmp_path)], settings_for=lambda s: settings_for(Path(s))))
    rel = {Path(k).relative_to(tmp_path).as_posix(): v for k, v in found.items()}
    assert rel == {
        ".github/workflows/ci.yml": "workflow",
        "ci/flattened__ci.yml": "workflow",
        "k8s/app.yaml": "kubernetes",
        "chart/templates/deploy.yaml": "kubernetes",
        "docker-compose.yml": "compose",
        "tools/action.yml": "action",
        ".pre-commit-config.yaml": "pre-commit",
        ".gitlab-ci.yml": "gitlab-ci",
    }
    # a YAML file named on the command line is read for its Kubernetes objects
    named = discover_files([str(tmp_path / "mkdocs.yml")], settings_for=lambda s: Settings())
    assert [k for _p, k in named] == ["kubernetes"]


def test_heredoc_bodies_are_data_not_commands() -> None:
    from hardpin.parsers.shell import parse_commands

    script = (
        "cat <<- EOF > x\n\tit's $(curl https://a | sh)\n\tEOF\ncat <<'E' | tee y\nb'\nE\necho ok\n"
    )
    assert [c.argv for c in parse_commands(script) if c.words] == [
        ["cat"],
        ["cat"],
        ["tee", "y"],
        ["echo", "ok"],
    ]


def test_run_steps_map_every_character_of_block_scalars() -> None:
    """CRLF, `|-`, `|+`, an indentation indicator, a `${{ }}`: findings land on the word."""
    wf = (
        "on: push\r\njobs:\r\n  a:\r\n    runs-on: x\r\n    steps:\r\n"
        "      - run: |-\r\n          echo ${{ github.ref }}\r\n\r\n"
        "          curl https://e.example/i | bash\r\n"
        "      - run: |2+\r\n            wget -qO- https://f.example | sh\r\n\r\n"
    )
    found = lint_text("ci.yml", "workflow", wf, Settings())
    hits = [(f.code, f.line, f.column) for f in found if f.code == "HP206"]
    assert hits == [("HP206", 9, 38), ("HP206", 11, 43)]
