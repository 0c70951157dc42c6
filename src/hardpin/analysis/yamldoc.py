"""YAML documents with source positions, for the YAML kinds of file.

PyYAML's *compose* stage gives a tree of nodes (mappings, sequences, scalars) each
with start and end marks; a mark's `index` is a character offset into the text,
the same offsets `model.Source` uses (both loaders count characters, not bytes). No
Python object is ever constructed from the file, so no tag can run code and an
alias is one shared node rather than a copy: an "alias bomb" costs nothing, and
every walk here keeps a set of the nodes it has seen. Fixes are edits of spans of
the original text; YAML is never dumped again, so comments, quoting, flow style
and key order survive byte for byte.

`yaml` is imported only when a YAML file is linted (the C loader when PyYAML was
built with libyaml, which is about ten times faster).
"""

from __future__ import annotations

from hardpin.model import HardpinError

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any

    from yaml.nodes import Node

# every YAML kind of file hardpin knows (discovery.py names them)
YAML_KINDS = frozenset({"workflow", "action", "compose", "pre-commit", "gitlab-ci", "kubernetes"})


class YamlError(HardpinError):
    """The text is not YAML: `message` (one line) at character `offset`."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class YamlFile:
    """The documents of one YAML stream (a document may be None: an empty one)."""

    __slots__ = ("docs", "templated")

    def __init__(self, docs: list[Node | None], templated: bool = False) -> None:
        self.docs = docs
        # a Helm-style template (`{{ … }}` outside `${{ … }}`) that is not YAML: skipped
        self.templated = templated


_LOADER: type | None = None
MERGE = "tag:yaml.org,2002:merge"


def _loader() -> type:
    """The C parser when PyYAML has it, with a resolver that only tells `<<` merge keys
    apart: nothing here needs the type of a scalar (`on` stays the string `on`), and
    resolving every scalar against YAML 1.1's regular expressions was a third of the
    time of composing."""
    global _LOADER
    if _LOADER is None:
        import yaml
        from yaml.composer import Composer
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        try:
            import yaml.cyaml

            parser: Any = yaml.cyaml.CParser  # type: ignore[attr-defined]
        except ImportError:  # PyYAML built without libyaml
            parser = None
        tags = {
            ScalarNode: "tag:yaml.org,2002:str",
            SequenceNode: "tag:yaml.org,2002:seq",
            MappingNode: "tag:yaml.org,2002:map",
        }

        class Resolver(yaml.resolver.BaseResolver):
            def resolve(self, kind: type, value: object, implicit: object) -> str:
                if kind is ScalarNode and value == "<<" and implicit and implicit[0]:  # type: ignore[index]
                    return MERGE
                return tags[kind]

        if parser is not None:

            class CLoader(parser, Resolver):  # type: ignore[misc]
                def __init__(self, stream: str) -> None:
                    parser.__init__(self, stream)
                    Resolver.__init__(self)

            _LOADER = CLoader
        else:

            class PyLoader(
                yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, Composer, Resolver
            ):
                def __init__(self, stream: str) -> None:
                    yaml.reader.Reader.__init__(self, stream)
                    yaml.scanner.Scanner.__init__(self)
                    yaml.parser.Parser.__init__(self)
                    Composer.__init__(self)
                    Resolver.__init__(self)

            _LOADER = PyLoader
    return _LOADER


def looks_templated(text: str) -> bool:
    """Whether `text` holds template directives (`{{ … }}` not part of a GitHub
    `${{ … }}` expression): such a file is a template, not YAML."""
    i = text.find("{{")
    while i != -1:
        if i == 0 or text[i - 1] != "$":
            return True
        i = text.find("{{", i + 2)
    return False


def prepared(text: str) -> str:
    """`text` as the loaders are given it: a byte order mark becomes a line break, as
    libyaml drops the mark without counting it while PyYAML counts it (one character
    either way keeps every offset; a blank line changes no meaning)."""
    return "\n" + text[1:] if text.startswith("\ufeff") else text


def parse(text: str) -> YamlFile:
    """Every document of `text`; raises YamlError for text that is not YAML. A
    templated file (Helm) that does not parse gives a YamlFile with `templated` set."""
    import yaml

    if not text.isascii():
        import re

        bad = re.search("[\udc80-\udcff]", text)  # bytes that were not UTF-8
        if bad is not None:
            raise YamlError("not valid YAML: the file is not UTF-8", bad.start())
    try:
        docs: list[Node | None] = list(yaml.compose_all(prepared(text), Loader=_loader()))
    except yaml.MarkedYAMLError as exc:
        if looks_templated(text):
            return YamlFile([], templated=True)
        mark = exc.problem_mark or exc.context_mark
        offset = mark.index if mark is not None else 0
        what = " ".join(str(exc.problem or exc.context or "syntax error").split())
        raise YamlError(f"not valid YAML: {what}", min(max(offset, 0), len(text))) from None
    except yaml.reader.ReaderError as exc:
        raise YamlError(
            f"not valid YAML: a character YAML does not allow ({exc.reason})",
            min(max(exc.position, 0), len(text)),
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {' '.join(str(exc).split())[:200]}", 0) from None
    except UnicodeEncodeError as exc:  # invalid UTF-8 kept as surrogates
        raise YamlError("not valid YAML: the file is not UTF-8", exc.start) from None
    except RecursionError:
        raise YamlError("not valid YAML here: nested too deeply", 0) from None
    return YamlFile(docs)


# -- reading nodes ------------------------------------------------------------


def is_map(node: object) -> bool:
    return type(node).__name__ == "MappingNode"


def is_seq(node: object) -> bool:
    return type(node).__name__ == "SequenceNode"


def is_scalar(node: object) -> bool:
    return type(node).__name__ == "ScalarNode"


def scalar(node: Node | None) -> str | None:
    """The value of a scalar node (a string whatever its resolved type), else None."""
    if node is not None and is_scalar(node):
        return node.value  # type: ignore[no-any-return]
    return None


def pairs(node: Node | None) -> list[tuple[Node, Node]]:
    """(key, value) nodes of a mapping with `<<` merge keys applied (the mapping's own
    keys win, then the merged mappings in order), as YAML 1.1 merges them."""
    if node is None or not is_map(node):
        return []
    own: list[tuple[Node, Node]] = []
    merged: list[tuple[Node, Node]] = []
    seen: set[int] = {id(node)}

    def merge(m: Node) -> None:
        if id(m) in seen or not is_map(m):
            return
        seen.add(id(m))
        for k, v in m.value:
            if k.tag == MERGE:
                for s in v.value if is_seq(v) else [v]:
                    merge(s)
            else:
                merged.append((k, v))

    for k, v in node.value:
        if k.tag == MERGE:
            for s in v.value if is_seq(v) else [v]:
                merge(s)
        else:
            own.append((k, v))
    if not merged:
        return own
    keys = {scalar(k) for k, _ in own}
    out = list(own)
    for k, v in merged:
        name = scalar(k)
        if name not in keys:
            keys.add(name)
            out.append((k, v))
    return out


def get(node: Node | None, key: str) -> Node | None:
    """The value of `key` in a mapping (merge keys applied), else None."""
    if node is None or not is_map(node):
        return None
    merges = False
    for k, v in node.value:  # the common case: a key of the mapping itself
        if k.value == key and k.tag != MERGE and is_scalar(k):
            return v  # type: ignore[no-any-return]
        merges = merges or k.tag == MERGE
    if not merges:
        return None
    for k, v in pairs(node):
        if scalar(k) == key:
            return v
    return None


def items(node: Node | None) -> list[tuple[str, Node, Node]]:
    """(key text, key node, value node) of a mapping's scalar keys, merge keys applied."""
    return [(k.value, k, v) for k, v in pairs(node) if is_scalar(k)]


def seq(node: Node | None) -> list[Node]:
    """The items of a sequence node, else []."""
    if node is not None and is_seq(node):
        return list(node.value)
    return []


def unique(nodes: Iterator[Node] | list[Node]) -> list[Node]:
    """`nodes` without repeats (an alias yields its anchor's node again)."""
    seen: set[int] = set()
    out = []
    for n in nodes:
        if id(n) not in seen:
            seen.add(id(n))
            out.append(n)
    return out


def start(node: Node) -> int:
    return int(node.start_mark.index)


def end(node: Node) -> int:
    return int(node.end_mark.index)


def span(text: str, node: Node) -> tuple[int, int]:
    """The node's span without its properties (an `&anchor`, a `!tag`): where a finding
    about its value is reported."""
    s, e = start(node), end(node)
    while s < e and text[s] in "&!":
        while s < e and text[s] not in " \t\r\n":
            s += 1
        while s < e and text[s] in " \t\r\n":
            s += 1
    return s, e


def value_span(text: str, node: Node) -> tuple[int, int] | None:
    """The span of a one-line scalar's characters in the source, without its quotes,
    when they are exactly its value (no escapes, no folding): where an edit of the
    value goes. None for anything else (block scalars, escapes, multi-line)."""
    if not is_scalar(node):
        return None
    s, e = span(text, node)
    raw = text[s:e]
    style = getattr(node, "style", None)
    if style in ('"', "'"):
        s, e = s + 1, e - 1
        raw = raw[1:-1]
    elif style not in (None, ""):
        return None
    if raw != node.value or "\n" in raw or "\r" in raw:
        return None
    return s, e


def rest_of_line(text: str, offset: int) -> tuple[int, int]:
    """(offset of the line's end, before any `\\r`), from `offset`."""
    nl = text.find("\n", offset)
    eol = len(text) if nl == -1 else nl
    if eol > offset and text[eol - 1] == "\r":
        eol -= 1
    return offset, eol


def trailing_comment(text: str, offset: int) -> tuple[int, int, str] | None:
    """The comment that ends the line after `offset` (the end of a scalar), when only
    blanks separate the two: (start of the blanks, end of line, comment text after
    `#`). None when something else follows on the line or there is no comment."""
    _, eol = rest_of_line(text, offset)
    rest = text[offset:eol]
    stripped = rest.lstrip(" \t")
    if not stripped.startswith("#") or stripped == rest:
        return None
    return offset, eol, stripped[1:].strip()


def line_is_done(text: str, offset: int) -> bool:
    """Whether nothing but blanks or a comment follows `offset` on its line (so a
    comment may be added there without commenting anything out)."""
    _, eol = rest_of_line(text, offset)
    rest = text[offset:eol].strip(" \t")
    return not rest or (rest.startswith("#") and text[offset:eol][:1] in (" ", "\t"))
