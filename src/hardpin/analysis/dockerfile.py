"""Shared Dockerfile analysis for rules: image sites, stage chains, RUN scripts, SHELL."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.parsers.dockerfile import (
    ArgDef,
    Dockerfile,
    Instruction,
    Stage,
    expand,
    global_env,
    stage_env,
    variable_names,
)
from hardpin.parsers.shell import Command, ShellSyntaxError, ShWord, parse_commands
from hardpin.refs import ImageRef, InvalidReference, parse_image

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.context import RuleContext

SHELLS = frozenset({"sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "busybox"})
NON_POSIX_SHELLS = frozenset({"powershell", "pwsh", "cmd", "powershell.exe", "pwsh.exe", "cmd.exe"})
DEFAULT_SHELL = ("/bin/sh", "-c")
WINDOWS_SHELL = ("cmd", "/S", "/C")
_WINDOWS_HINTS = ("windows", "nanoserver", "servercore", "dotnet/framework", "ltsc20")
# outside mcr.microsoft.com: `windowsservercore`, `nanoserver` in a tag or repository
_WINDOWS_TAG_HINTS = ("windowsservercore", "nanoserver", "servercore", "windows/")


def is_windows_image(ref: str) -> bool:
    """Images whose default shell is cmd (Windows base images): Microsoft's, and any whose
    repository or tag names a Windows base (`python:3.12-windowsservercore`)."""
    low = ref.lower()
    if low.startswith("mcr.microsoft.com/"):
        return any(h in low for h in _WINDOWS_HINTS)
    return any(h in low for h in _WINDOWS_TAG_HINTS)


# With the `# escape=`` directive, these in a file mark it as written for Windows: a drive
# path, a Windows executable or script, PowerShell or Chocolatey.
_WINDOWS_TEXT = lazy_re(
    r"(?i)(?<![\w$])[a-z]:[\\/]|\.(?:exe|bat|cmd|ps1|msi)\b"
    r"|\b(?:powershell|pwsh|choco|msiexec)\b"
)


def windows_by_default(df: Dockerfile, st: Stage, root_ref: ImageRef | None) -> bool:
    """Whether the stage chain rooted at `st` runs RUN under cmd by default: a Windows
    base image, or a base that cannot be resolved (an ARG without a value) whose written
    name says Windows, or, under the `# escape=`` directive, a file whose text is plainly
    written for Windows. The directive alone does not make a file Windows."""
    if root_ref is not None:
        if is_windows_image(str(root_ref)):
            return True
    elif st.image is not None and st.image.value.lower() != "scratch":
        expanded, _missing = expand(st.image.value, global_env(df))
        if is_windows_image(expanded) or is_windows_image(st.image.value):
            return True
    return df.escape == "`" and _WINDOWS_TEXT.search(df.source.text) is not None


@record
class ImageSite:
    """One place a Dockerfile names an image: FROM, COPY --from, RUN --mount from=."""

    kind: str  # "from", "copy", "mount"
    instruction: Instruction
    stage: Stage
    raw: str  # as written
    start: int  # source span of the written reference
    end: int
    expanded: str  # after ARG substitution
    missing: list[str]  # variables without a value
    args_used: list[str]  # variables the reference depends on
    ref: ImageRef | None  # None for invalid references
    error: str | None = None


def _mount_from(ins: Instruction) -> Iterator[tuple[str, int, int]]:
    """`from=` values of `--mount` flags: (value, start, end) source offsets."""
    for f in ins.flag_prefix()[0]:
        if f.name != "mount" or not f.value:
            continue
        raw = f.word.raw
        eq = raw.find("=")
        body = raw[eq + 1 :]
        pos = 0
        for part in body.split(","):
            k, _, v = part.partition("=")
            if k.strip().lower() == "from" and v:
                vstart = f.word.start + eq + 1 + pos + len(k) + 1
                yield v.strip("\"'"), vstart, vstart + len(v)
            pos += len(part) + 1


def image_sites(df: Dockerfile) -> list[ImageSite]:
    """Every image reference in the file that is not a stage or `scratch`."""
    sites: list[ImageSite] = []
    genv = global_env(df)
    seen_stages: set[str] = set()
    all_names = _all_names(df)  # once: per COPY it made the file quadratic in its stages
    for st in df.stages:
        img = st.image
        if img is not None:
            expanded, missing = expand(img.value, genv)
            if not _is_stage(expanded, seen_stages) and expanded.lower() != "scratch":
                sites.append(
                    _site("from", st.from_, st, img.raw, img.start, img.end, expanded, missing)
                )
        for ins in st.instructions[1:]:
            target = ins.inner or ins
            if target.keyword not in ("COPY", "RUN"):
                continue
            cands: list[tuple[str, str, int, int]] = []
            if target.keyword == "COPY":
                f = target.flag("from")
                if f is not None and f.value:
                    cands.append(("copy", f.value, f.value_start, f.word.end))
            for v, s, e in _mount_from(target):
                cands.append(("mount", v, s, e))
            if not cands:
                continue
            env = {**genv, **stage_env(df, st, ins)}
            for kind, value, s, e in cands:
                expanded, missing = expand(value, env)
                if expanded.isdigit() or _is_stage(expanded, all_names):
                    continue
                if expanded.lower() == "scratch":
                    continue
                raw = df.source.text[s:e]
                sites.append(_site(kind, ins, st, raw, s, e, expanded, missing))
        if st.name:
            seen_stages.add(st.name)
    return sites


def _all_names(df: Dockerfile) -> set[str]:
    return {s.name for s in df.stages if s.name}


def _is_stage(name: str, stages: set[str]) -> bool:
    return name.lower() in stages


def _site(
    kind: str,
    ins: Instruction,
    st: Stage,
    raw: str,
    start: int,
    end: int,
    expanded: str,
    missing: list[str],
) -> ImageSite:
    ref = None
    error = None
    if not missing:
        try:
            ref = parse_image(expanded)
        except InvalidReference as exc:
            error = str(exc)
    return ImageSite(
        kind, ins, st, raw, start, end, expanded, missing, variable_names(raw), ref, error
    )


def stage_image(df: Dockerfile, st: Stage) -> tuple[Stage | None, ImageRef | None]:
    """The stage a stage builds on (FROM <stage>), or its external image (cached per stage)."""
    cache = df.__dict__.setdefault("_stage_image", {})
    if st.index not in cache:
        cache[st.index] = _stage_image(df, st)
    return cache[st.index]  # type: ignore[no-any-return]


def _stage_image(df: Dockerfile, st: Stage) -> tuple[Stage | None, ImageRef | None]:
    if st.image is None:
        return None, None
    expanded, missing = expand(st.image.value, global_env(df))
    # the first stage of that name, when it comes before this one (a map built once)
    first = df.__dict__.get("_first_stage")
    if first is None:
        first = df.__dict__["_first_stage"] = {}
        for other in df.stages:
            if other.name:
                first.setdefault(other.name, other)
    prev = first.get(expanded.lower())
    if prev is not None and prev.index < st.index:
        return prev, None
    if missing:
        return None, None
    try:
        return None, parse_image(expanded)
    except InvalidReference:
        return None, None


# ---------------------------------------------------------------------------
# RUN scripts and SHELL


def shell_of(df: Dockerfile, st: Stage, upto: Instruction) -> tuple[str, ...]:
    """The SHELL in force for `upto` (inherited through FROM <stage>).

    Each stage's shells are computed once (a walk per RUN made a file quadratic in its
    instructions): the shell before each instruction, and after the last (key -1)."""
    memo: dict[int, dict[int, tuple[str, ...]]] = df.__dict__.setdefault("_shells", {})
    before = memo.get(st.index)
    if before is None:
        before = _stage_shells(df, st, memo)
    return before.get(id(upto), before[-1])


def _stage_shells(
    df: Dockerfile, st: Stage, memo: dict[int, dict[int, tuple[str, ...]]]
) -> dict[int, tuple[str, ...]]:
    chain: list[Stage] = []
    seen: set[int] = set()
    cur: Stage | None = st
    while cur is not None and cur.index not in seen and cur.index not in memo:
        chain.append(cur)
        seen.add(cur.index)
        cur, _ = stage_image(df, cur)
    shell: tuple[str, ...] = DEFAULT_SHELL
    if cur is not None and cur.index in memo:
        shell = memo[cur.index][-1]
    else:
        _parent, root_ref = stage_image(df, chain[-1])
        if windows_by_default(df, chain[-1], root_ref):
            shell = WINDOWS_SHELL
    for s in reversed(chain):
        before: dict[int, tuple[str, ...]] = {}
        for ins in s.instructions:
            before[id(ins)] = shell
            target = ins.inner if ins.inner is not None and ins.inner.keyword == "SHELL" else None
            if ins.keyword == "SHELL" and target is None and ins.json_args:
                shell = tuple(ins.json_args)
        before[-1] = shell
        memo[s.index] = before
    return memo[st.index]


def shell_name(shell: tuple[str, ...]) -> str:
    exe = shell[0].replace("\\", "/").rsplit("/", 1)[-1].lower() if shell else "sh"
    return exe


def is_posix_shell(shell: tuple[str, ...]) -> bool:
    name = shell_name(shell)
    return name not in NON_POSIX_SHELLS and not name.startswith("powershell")


@record
class Script:
    text: str
    offsets: Sequence[int]  # a list, or the instruction's offset array
    commands: list[Command]
    from_heredoc: bool


def run_scripts(df: Dockerfile, ins: Instruction) -> list[Script]:
    """The shell scripts a RUN executes: its command line and heredoc bodies that are scripts.

    Raises ShellSyntaxError for unparsable shell text.
    """
    target = ins.inner or ins
    if target.keyword != "RUN":
        return []
    scripts: list[Script] = []
    if target.json_args is not None:
        argv = target.json_args
        if (
            len(argv) >= 3
            and shell_name((argv[0],)) in SHELLS
            and argv[1] in ("-c", "-ec", "-exc", "-xc")
        ):
            # the script is inside a JSON string: positions point at the JSON array
            cmds = parse_commands(argv[2], [target.offsets[0]] * (len(argv[2]) + 1))
            scripts.append(Script(argv[2], [], cmds, False))
        else:
            scripts.append(Script("", [], [Command(exec_words(target, argv))], False))
        return scripts
    a0 = target.rest_start()
    if a0 is None:
        return scripts
    text = target.args[a0:]
    offs = target.offsets[a0:]
    cmds = parse_commands(text, offs)
    scripts.append(Script(text, offs, cmds, False))
    if target.heredocs:
        # A heredoc is a script when it is the RUN's whole command (`RUN <<EOF`)
        # or stdin of a shell (`RUN <<EOF bash`, `RUN bash <<EOF`).
        by_name = {h.name: h for h in target.heredocs}
        top = [c for c in cmds if c.depth == 0]
        for c in top:
            for hw in c.heredoc_redirects:
                name = hw.value
                h = by_name.get(name)
                if h is None:
                    continue
                interp = c.words[0].value if c.words else None
                if interp is not None and shell_name((interp,)) not in SHELLS:
                    continue
                if interp is not None and len(c.words) > 1 and not c.words[1].value.startswith("-"):
                    continue  # `bash script.sh <<EOF`: the heredoc is stdin data
                body_offs = _body_offsets(df, h.body_start, h.body_end, h.strip_tabs)
                scripts.append(Script(h.body, body_offs, parse_commands(h.body, body_offs), True))
    return scripts


def exec_words(ins: Instruction, argv: list[str]) -> list[ShWord]:
    """Exec-form arguments as words, each positioned at its JSON string in the source."""
    import json

    words = []
    pos = 0
    for a in argv:
        lit = json.dumps(a)
        i = ins.args.find(lit, pos)
        if i == -1:
            i = pos
            s = e = ins.offsets[min(pos, len(ins.offsets) - 1)]
        else:
            s, e = ins.span(i + 1, i + len(lit) - 1)
            pos = i + len(lit)
        words.append(ShWord(a, a, s, e))
    return words


def _body_offsets(df: Dockerfile, start: int, end: int, strip_tabs: bool) -> list[int]:
    text = df.source.text
    offs: list[int] = []
    i = start
    at_line_start = True
    while i < end:
        c = text[i]
        if c == "\r" and i + 1 < end and text[i + 1] == "\n":
            i += 1
            continue
        if strip_tabs and at_line_start and c == "\t":
            i += 1
            continue
        at_line_start = c == "\n"
        offs.append(i)
        i += 1
    offs.append(end)
    return offs


def iter_runs(df: Dockerfile) -> Iterator[tuple[Stage, Instruction]]:
    for st in df.stages:
        for ins in st.instructions[1:]:
            if (ins.inner or ins).keyword == "RUN":
                yield st, ins


def posix_scripts(df: Dockerfile, st: Stage, ins: Instruction) -> list[Script]:
    """`run_scripts` of a RUN, or [] under a PowerShell or cmd SHELL (no POSIX script
    to analyse). Raises ShellSyntaxError for unparsable shell text."""
    exec_form = (ins.inner or ins).json_args is not None  # no SHELL involved
    if not exec_form and not is_posix_shell(shell_of(df, st, ins)):
        return []
    return run_scripts(df, ins)


def scripts_key(ins: Instruction) -> str:
    """The `RuleContext.cached` key of a RUN's scripts."""
    return f"scripts:{ins.start}"


def scripts_of(ctx: RuleContext, st: Stage, ins: Instruction) -> list[Script]:
    """The scripts of a RUN as rules see them: parsed once per document.

    The engine parses every RUN before any rule runs (reporting shell text that
    does not parse as HP001) and primes the cache; the fallback computes the same
    for a context that was not prepared by the engine, without reporting."""

    def compute() -> list[Script]:
        try:
            return posix_scripts(ctx.doc, st, ins)  # type: ignore[arg-type]
        except ShellSyntaxError:
            return []

    return ctx.cached(scripts_key(ins), compute)


# -- image sites as rules see them (cached per document) -------------------------

_SINGLE_VAR = lazy_re(r"\$(?:\{(\w+)\}|(\w+))")
# one variable expression, with an operator or not: `$V`, `${V}`, `${V:-default}`
_ONE_VAR = lazy_re(r"\$(?:\{\w+(?::?[-+?][^}]*)?\}|\w+)")


def sites(ctx: RuleContext) -> list[ImageSite]:
    return ctx.cached("image_sites", lambda: image_sites(ctx.doc))  # type: ignore[arg-type]


def literal_span(ctx: RuleContext, site: ImageSite) -> tuple[int, int] | None:
    """Source span of the text that spells the whole image reference, or None.

    That is the site itself when it uses no ARG; for `FROM ${BASE}` (one ARG and
    nothing else) it is the default of the ARG in effect (`ARG BASE=python:3.12`),
    inside its quotes. References assembled from parts (`python:${V}-slim`) have none:
    a digest there would silently override the ARG.
    """
    if not site.args_used:
        return site.start, site.end
    found = _whole_ref_arg(ctx, site)
    return None if found is None else found[1]


def _whole_ref_arg(ctx: RuleContext, site: ImageSite) -> tuple[ArgDef, tuple[int, int]] | None:
    """For a site spelled as one ARG (`${BASE}`): the ARG declaration in effect and the
    span of its default's text (inside its quotes), when that text is the reference."""
    m = _SINGLE_VAR.fullmatch(site.raw)
    if m is None:
        return None
    name = m.group(1) or m.group(2)
    df = ctx.doc
    cands = []
    if site.kind != "from":
        cands = [a for a in site.stage.args if a.name == name and a.name_start < site.start]
    if not cands or cands[-1].value_start is None:
        cands = [a for a in df.global_args if a.name == name]  # type: ignore[attr-defined]
    if not cands:
        return None
    arg = cands[-1]
    if arg.value_start is None or arg.value_end is None or arg.default != site.expanded:
        return None
    start, end = arg.value_start, arg.value_end
    text = ctx.source.text[start:end]
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        start, end = start + 1, end - 1
    if ctx.source.text[start:end] != site.expanded:
        return None  # escapes or quotes inside: leave it to a person
    return arg, (start, end)


def other_arg_use(ctx: RuleContext, site: ImageSite) -> tuple[str, int] | None:
    """For a site spelled as one ARG whose default is the reference (`FROM ${BASE}`,
    `ARG BASE=img:1`): (name, line) of the first use of that ARG in its scope that is
    not itself a whole image reference spelled as that ARG alone, or None when there is
    none. Writing a digest into the default is safe only then: `FROM ${BASE}-slim`,
    `FROM host/mirror/${BASE}`, `RUN echo $BASE`, `ENV X=$BASE` or another ARG's
    default built from it would all get the digest too.

    The scope of a global ARG is every FROM line, the later global ARG defaults, and in
    each stage the instructions after an `ARG NAME` without a default (until the stage
    declares it again with one); a stage ARG's scope is the rest of its stage. Any
    `$NAME` or `${NAME…}` in those instructions' text counts, including in shell text
    where single quotes would keep it literal (a use wrongly counted only withholds a fix).
    """
    found = _whole_ref_arg(ctx, site)
    if found is None:
        return None
    arg, span = found
    memo: dict[int, tuple[str, int] | None] = ctx.cached("arg_other_use", dict)
    key = arg.name_start
    if key not in memo:
        memo[key] = _other_use(ctx, arg, span)
    return memo[key]


def _other_use(ctx: RuleContext, arg: ArgDef, span: tuple[int, int]) -> tuple[str, int] | None:
    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    name = arg.name
    # the sites that are this ARG alone, resolved to this declaration: not other uses
    own = [
        (s.start, s.end)
        for s in sites(ctx)
        if s.args_used == [name] and (f := _whole_ref_arg(ctx, s)) is not None and f[0] is arg
    ]
    scope: list[Instruction] = []
    is_global = any(a is arg for a in df.global_args)
    if is_global:
        scope.extend(i for i in {id(a.instruction): a.instruction for a in df.global_args}.values())
        for st in df.stages:
            scope.append(st.from_)
            bound = False
            for ins in st.instructions[1:]:
                if ins.keyword == "ARG":
                    for a in st.args:
                        if a.instruction is ins and a.name == name:
                            bound = a.default is None
                if bound:
                    scope.append(ins)
    else:
        st = next(s for s in df.stages if any(a is arg for a in s.args))
        after = False
        for ins in st.instructions[1:]:
            if ins is arg.instruction:
                after = True
            elif after and ins.keyword == "ARG":
                if any(a.instruction is ins and a.name == name for a in st.args):
                    break  # declared again: another ARG from here on
            if after:
                scope.append(ins)
    pattern = re.compile(r"\$\{?" + re.escape(name) + r"(?![A-Za-z0-9_])")
    text = ctx.source.text
    first: int | None = None
    for ins in scope:
        end = max([ins.end, *(h.body_end for h in ins.heredocs)])
        for m in pattern.finditer(text, ins.start, end):
            p = m.start()
            if span[0] <= p < span[1] or arg.name_start <= p < (arg.value_end or p):
                continue  # inside the declaration itself
            if any(s <= p < e for s, e in own):
                continue
            if first is None or p < first:
                first = p
            break
    if first is None:
        return None
    return name, ctx.source.position(first)[0]


def borrowed_digest(site: ImageSite) -> str | None:
    """The ARG a reference's digest comes from when that digest was not written for this
    reference, else None.

    A digest is the site's own when it is spelled where the repository is: written at
    the site (`img@sha256:…`, `img:1@${DIGEST}`: the `@` is in the site's text), the
    whole reference is one ARG (`${IMAGE}` with `ARG IMAGE=img@sha256:…`), or the ARG
    that carries it supplies the tag of a repository named at the site
    (`golang:${GO_VER}` with `ARG GO_VER=1.21@sha256:…`). When the ARG that carries
    it names an image of its own and the site adds to that name
    (`host/mirror/${IMAGE}`), the digest was written for the ARG's own image, another
    one, so it does not pin this reference."""
    ref = site.ref
    if ref is None or ref.digest is None or not site.args_used or "@" in site.raw:
        return None
    raw = site.raw
    if len(raw) >= 2 and raw[0] in "\"'" and raw[-1] == raw[0]:
        raw = raw[1:-1]
    if _ONE_VAR.fullmatch(raw) is not None:
        return None
    # nothing follows a digest: it comes from the last variable of the reference
    last = None
    for m in _ONE_VAR.finditer(raw):
        last = m
    if (
        last is None
        or raw[last.end() :].strip()
        or (last.start() > 0 and raw[last.start() - 1] == ":")
    ):
        return None
    name = variable_names(last.group(0))
    return name[0] if name else None


def digest_span(ctx: RuleContext, site: ImageSite) -> tuple[int, int] | None:
    """Source span of the digest (after `@`) in the text that spells the reference."""
    span = literal_span(ctx, site)
    if span is None:
        return None
    at = ctx.source.text.rfind("@", span[0], span[1])
    return None if at == -1 else (at + 1, span[1])


def lookup_name(ref: ImageRef) -> str:
    """`registry/repository:tag` (tag `latest` when none is written): what a pin resolves."""
    return f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"


def describe(site: ImageSite) -> str:
    """`python:3.12`, or `python:3.12 (from ${BASE})` when ARGs were substituted."""
    if site.args_used:
        return f"{site.expanded} (from {site.raw})"
    return site.expanded


def pinned_sites(ctx: RuleContext) -> list[tuple[ImageSite, int, int]]:
    """(site, start, end of the digest in the source) for every reference pinned by a
    well-formed digest whose text hardpin can rewrite."""
    out: list[tuple[ImageSite, int, int]] = []
    for site in sites(ctx):
        ref = site.ref
        if ref is None or not ref.digest_ok:
            continue
        span = digest_span(ctx, site)
        if span is not None:
            out.append((site, span[0], span[1]))
    return out
