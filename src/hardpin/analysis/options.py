"""One GNU-style option parser for every command line the rules read.

A tool's command-line syntax is described by an `OptionTable`: which
options take a value, whether short options may be clustered (`-fsSLo
FILE`, `-rFILE`), whether unique prefixes of long options are accepted
(pip's optparse), whether option names are case-insensitive (choco, NuGet,
dotnet) and whether `-5` is a number rather than an option. `parse` splits
a command's arguments into options and operands with the same rules for
every tool: `--name=value` and `--name value`, `-o value` and `-ovalue`,
clusters whose last value-taking letter takes the rest of the word or the
next word, `--` ending the options, and (optionally) the first operand
ending them (a tool's global options before its subcommand).

The tables live with the analysis that needs them: pip, uv and pipx in
`analysis.pip`, curl, wget and gsutil in `analysis.downloads`, the package
managers in `analysis.packages`, wrappers such as `sudo` and `env` in
`analysis.shell`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from hardpin._record import record
from hardpin.parsers.shell import ShWord

_NO_SHORT: Mapping[str, str] = MappingProxyType({})


@record(frozen=True)
class OptionTable:
    """How one tool's options are written.

    `values` holds the canonical names of the options that take a value
    (`-o`, `--output`; lower case when `fold`); `flags` the known options
    that do not (needed only with `abbreviations`); `short` maps a short
    letter to its canonical long name (`{"r": "--requirement"}`), other
    letters are named `-x`.
    """

    values: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    short: Mapping[str, str] = _NO_SHORT
    clusters: bool = True  # `-abc` is `-a -b -c`; `-ovalue` is `-o value`
    abbreviations: bool = False  # a unique prefix of a long option names it (`--extra-index`)
    fold: bool = False  # option names are case-insensitive (`-Version`)
    numbers: bool = False  # `-5` is an operand (a negative number), not an option

    def takes_value(self, name: str) -> bool:
        """Whether the option called `name` (canonical) takes a value."""
        return (name.lower() if self.fold else name) in self.values

    def long_name(self, written: str) -> str:
        """The canonical name of a long option as written (its unique prefix expanded)."""
        if not self.abbreviations or written in self.values or written in self.flags:
            return written
        found = [k for k in self.values | self.flags if k.startswith(written)]
        return found[0] if len(found) == 1 else written


@record
class Option:
    """One option occurrence."""

    name: str  # canonical name: `-x`, `--name`, or the long name a short letter stands for
    value: str | None  # None for a flag, or a value option with nothing after it
    word: ShWord  # the option word
    value_word: ShWord | None = None  # the word holding the value (the option word for `-ovalue`)


@record
class Parsed:
    """A command's arguments split into options and operands."""

    options: list[Option]
    operands: list[ShWord]
    end: int  # index of the first operand (after `--`: the word after it), or len(words)
    fold: bool = False

    def _match(self, names: tuple[str, ...]) -> list[Option]:
        if self.fold:
            want = {n.lower() for n in names}
            return [o for o in self.options if o.name.lower() in want]
        return [o for o in self.options if o.name in names]

    def has(self, *names: str) -> bool:
        """Whether any of the options is given."""
        return bool(self._match(names))

    def value(self, *names: str) -> str | None:
        """The value of the last occurrence ("" for a flag), or None when none is given."""
        found = self._match(names)
        if not found:
            return None
        v = found[-1].value
        return v if v is not None else ""


def parse(words: Sequence[ShWord], table: OptionTable, *, stop_at_operand: bool = False) -> Parsed:
    """Split `words` (the arguments, without the command name) as `table` describes.

    With `stop_at_operand`, the first operand and everything after it are
    operands (options before a subcommand, wrapper options before the
    wrapped command).
    """
    options: list[Option] = []
    operands: list[ShWord] = []
    n = len(words)
    i = 0
    while i < n:
        w = words[i]
        v = w.value
        if v == "--":
            operands.extend(words[i + 1 :])
            return Parsed(options, operands, i + 1, table.fold)
        if len(v) < 2 or v[0] != "-" or (table.numbers and v[1].isdigit()):
            if stop_at_operand:
                operands.extend(words[i:])
                return Parsed(options, operands, i, table.fold)
            operands.append(w)
            i += 1
            continue
        nxt = words[i + 1] if i + 1 < n else None
        if v.startswith("--") or not table.clusters:
            written, eq, val = v.partition("=")
            name = table.long_name(written) if v.startswith("--") else written
            if eq:
                options.append(Option(name, val, w, w))
            elif table.takes_value(name) and nxt is not None:
                options.append(Option(name, nxt.value, w, nxt))
                i += 1
            else:
                options.append(Option(name, None, w))
            i += 1
            continue
        i += 1
        for k in range(1, len(v)):
            name = table.short.get(v[k], "-" + v[k])
            if not table.takes_value(name):
                options.append(Option(name, None, w))
                continue
            rest = v[k + 1 :]
            if rest:
                options.append(Option(name, rest, w, w))
            elif nxt is not None:
                options.append(Option(name, nxt.value, w, nxt))
                i += 1
            else:
                options.append(Option(name, None, w))
            break
    return Parsed(options, operands, n, table.fold)
