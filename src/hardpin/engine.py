"""The run engine.

`run(RunRequest) -> RunResult` is one hardpin run: discover the files, read them
(remembering what was read), parse and lint each (HP001 for what does not parse,
whatever rules are selected), ask the network for the pending items of the whole run
(only when there are any: `online/` is imported lazily), complete the findings with
the answers, fix until nothing changes, write each fixed file only if it still holds
the bytes that were linted, and apply or write a baseline. The command line builds
the request, supplies a progress callback, renders the result and picks the exit code.

`lint_text` lints one document; `lint_many` many files in worker processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from hardpin import registry
from hardpin._record import field, record, replace
from hardpin.context import RuleContext
from hardpin.model import (
    ONLINE_CHECKS,
    Applicability,
    Finding,
    Fix,
    HardpinError,
    PendingKey,
    PendingKind,
    Severity,
    Source,
)
from hardpin.rules.meta import HP001, HP002
from hardpin.urls import redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    from hardpin.parsers.dockerfile import Dockerfile
    from hardpin.rules.base import Rule
    from hardpin.settings import Overrides, Settings
    from hardpin.suppress import Suppression

Answer = tuple[str, ...]
# what the network said for each key: the answer, or why the lookup failed
Answers = dict[PendingKey, Answer | str]
INTERNAL_ERROR = "internal-error"  # the `name` of a finding for a crash while linting


# -- reading -----------------------------------------------------------------


@record(frozen=True)
class FileStamp:
    """What a file held when it was read: a fix is written only over these bytes."""

    size: int
    mtime_ns: int
    sha256: str


def _stamp(data: bytes, size: int, mtime_ns: int) -> FileStamp:
    import hashlib

    return FileStamp(size, mtime_ns, hashlib.sha256(data).hexdigest())


def _read(path: str, max_bytes: int | None = None) -> tuple[bytes, os.stat_result]:
    """Only a regular file of at most `max_bytes` (the `max-file-size` setting) is read;
    anything else raises `hardpin.files.SkippedFile` (see `hardpin.files`)."""
    from hardpin.files import DEFAULT_MAX_FILE_SIZE, read_bytes_stat

    return read_bytes_stat(path, DEFAULT_MAX_FILE_SIZE if max_bytes is None else max_bytes)


def read_file(path: str, max_bytes: int | None = None) -> tuple[str, FileStamp]:
    """A file's text (invalid UTF-8 survives as surrogates) and its stamp."""
    data, st = _read(path, max_bytes)
    return data.decode("utf-8", "surrogateescape"), _stamp(data, st.st_size, st.st_mtime_ns)


def read_text(path: str, max_bytes: int | None = None) -> str:
    """Read a file as text without losing a byte: invalid UTF-8 survives as surrogates."""
    return _read(path, max_bytes)[0].decode("utf-8", "surrogateescape")


def encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


# -- linting one document ------------------------------------------------------


def rules_for(
    kind: str, settings: Settings, path: str | None, online: bool = False
) -> list[type[Rule]]:
    """The enabled rules for a kind of file; online rules (HP6xx) only with `online`.
    Only their modules are imported (`--select HP101` imports one rule module)."""
    return [
        registry.rule_class(code)
        for code in registry.codes_for_kind(kind, online)
        if settings.is_enabled(code, path)
    ]


def _parse(kind: str, source: Source) -> tuple[object | None, tuple[str, int] | None]:
    """(document, None) or (None, (error message, offset))."""
    if kind == "dockerfile":
        from hardpin.parsers.dockerfile import ParseError, parse

        try:
            # an error in one instruction is kept in `errors` (HP001, _report_parse_errors)
            return parse(source, strict=False), None
        except ParseError as exc:
            return None, (exc.message, exc.offset)
    if kind == "shell":
        from hardpin.analysis.shell import parse_script
        from hardpin.parsers.shell import ShellSyntaxError

        try:
            return parse_script(source.text), None
        except ShellSyntaxError as exc:
            return None, (f"cannot parse the shell script: {exc.message}", exc.offset)
    if kind == "requirements":
        from hardpin.parsers.requirements import parse as parse_requirements

        # never raises with strict=False: the lines pip would reject are kept in
        # `errors` (HP001, see _report_parse_errors) and the rest is still linted
        return parse_requirements(source.text, strict=False), None
    from hardpin.analysis import yamldoc

    if kind in yamldoc.YAML_KINDS:
        try:
            return yamldoc.parse(source.text), None
        except yamldoc.YamlError as exc:
            return None, (exc.message, exc.offset)
    raise HardpinError(f"{source.path}: no linter for files of kind {kind!r}")


def _report_parse_errors(ctx: RuleContext) -> None:
    """HP001 for what parses only in part, whatever rules are selected: the lines of a
    requirements file pip would reject, the shell of a Dockerfile RUN that does not
    lex. The RUN scripts parsed here are what the rules see (`scripts_of`)."""
    src = ctx.source
    if ctx.kind == "requirements":
        from hardpin.parsers.requirements import RequirementsFile

        assert isinstance(ctx.doc, RequirementsFile)
        for e in ctx.doc.errors:
            start = min(max(e.offset, 0), len(src.text))
            end = max(start, src.line_end(src.position(start)[0]))
            message = redact_text(e.message)  # it may quote a URL with its password
            ctx.report(HP001, start, end, message, subject=message)
    elif ctx.kind in ("workflow", "action") and ctx.doc is not None:
        from hardpin.analysis.workflow import run_units

        found, errors = run_units(ctx)
        for message, offset in errors:
            ctx.report(HP001, offset, offset, redact_text(message))
        ctx.cached("shell_units", lambda: found)
    if getattr(ctx.doc, "templated", False):
        ctx.report(
            HP001,
            0,
            0,
            "a template (`{{ … }}`), not YAML: skipped",
            subject="template",
            severity=Severity.INFO,
        )
    elif ctx.kind == "dockerfile":
        from hardpin.analysis.dockerfile import Script, iter_runs, posix_scripts, scripts_key
        from hardpin.parsers.shell import ShellSyntaxError

        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        if df.errors:
            # the first instruction that does not parse, as a build would stop there; the
            # instructions that do parse are still linted
            err = df.errors[0]
            message = redact_text(err.message)
            more = len(df.errors) - 1
            if more:
                message += f" ({more} more instruction{'s' if more > 1 else ''} left out below)"
            end = max(err.offset, src.line_end(src.position(err.offset)[0]))
            ctx.report(HP001, err.offset, end, message, subject=redact_text(err.message))
        for st, ins in iter_runs(df):
            try:
                scripts = posix_scripts(df, st, ins)
            except ShellSyntaxError as exc:
                ctx.report(
                    HP001,
                    exc.offset,
                    exc.offset,
                    f"cannot parse the shell in RUN: {redact_text(exc.message)}",
                )
                scripts = []

            def parsed(scripts: list[Script] = scripts) -> list[Script]:
                return scripts

            ctx.cached(scripts_key(ins), parsed)


def _suppressions(kind: str, source: Source, doc: object | None) -> list[Suppression]:
    from hardpin import suppress

    if kind == "dockerfile":
        lines = [(i.line, i.end_line) for i in doc.instructions] if doc is not None else []  # type: ignore[attr-defined]
        return suppress.dockerfile_suppressions(source, lines)
    if kind == "requirements":
        return suppress.requirements_suppressions(source)
    return suppress.line_suppressions(source)


def lint_text(
    path: str,
    kind: str,
    text: str,
    settings: Settings,
    *,
    base_dir: str | None = None,
    online: bool = False,
    overlay: Mapping[str, str] | None = None,
    reads: set[str] | None = None,
) -> list[Finding]:
    """All findings for one document, suppressions applied, sorted (see `_lint_text`).

    The cyclic garbage collector is paused meanwhile: parsing a large file creates
    millions of objects and no cycles, and the collector's passes over them made time
    grow faster than the file (reference counting still frees everything).
    """
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _lint_text(
            path,
            kind,
            text,
            settings,
            base_dir=base_dir,
            online=online,
            overlay=overlay,
            reads=reads,
        )
    finally:
        if was_enabled:
            gc.enable()


def _lint_text(
    path: str,
    kind: str,
    text: str,
    settings: Settings,
    *,
    base_dir: str | None = None,
    online: bool = False,
    overlay: Mapping[str, str] | None = None,
    reads: set[str] | None = None,
) -> list[Finding]:
    """All findings for one document, suppressions applied, sorted.

    `base_dir` is the document's directory on disk (for rules that read files it names);
    by default the directory of `path` when that exists. With `online`, the online
    rules run too: their findings are candidates that carry a pending question, and
    `complete` keeps or drops them. `overlay`: texts standing for files on disk (by
    normalised absolute path), as a fix of the same run left them; `reads` collects the
    related files the rules asked for.
    """
    import os

    if base_dir is None:
        d = os.path.dirname(os.path.abspath(path))
        base_dir = d if os.path.isdir(d) else None
    source = Source(path, text)
    doc, error = _parse(kind, source)
    ctx = RuleContext(source, doc, settings, kind, base_dir, overlay)
    if error is not None:
        message, offset = error
        message = redact_text(message)  # it may quote a URL with its password
        line_end = source.line_end(source.position(offset)[0])
        ctx.report(HP001, offset, max(offset, line_end), message, subject=message)
    else:
        _report_parse_errors(ctx)
        for rule in rules_for(kind, settings, path, online):
            rule().check(ctx)
    if reads is not None:
        reads |= ctx.reads
    sups = _suppressions(kind, source, doc)
    findings = [f for f in ctx.findings if settings.is_enabled(f.code, path)]
    if sups:
        from hardpin import suppress

        findings = suppress.apply(findings, sups)
        if settings.is_enabled(HP002.code, path):
            ctx = RuleContext(source, None, settings, kind)
            for s in sups:
                for code in s.codes:
                    if code in s.used:
                        continue
                    if not registry.is_code(code):
                        msg = f"suppression names {code}, which is not a hardpin rule"
                    elif not settings.is_enabled(code, path):
                        continue
                    elif s.first_line == 0:
                        msg = f"suppression of {code} is not directly above an instruction"
                    else:
                        msg = f"suppression of {code} suppresses nothing: remove it"
                    ctx.report(HP002, s.start, s.end, msg, subject=f"{code} {s.line}")
            findings.extend(ctx.findings)
    findings.sort(key=lambda f: f.sort_key)
    return findings


def internal_error(path: str, exc: BaseException) -> Finding:
    """The finding for an unexpected exception while linting `path`: the file is not
    checked (nor fixed), every other file still is, and the run exits 2."""
    what = type(exc).__name__
    detail = " ".join(redact_text(str(exc)).split())[:200]
    return Finding(
        code=HP001.code,
        name=INTERNAL_ERROR,
        severity=Severity.ERROR,
        message=f"internal error while checking this file ({what}{': ' + detail if detail else ''}); "
        f"it was not checked: please report this as a hardpin bug",
        path=path,
        line=1,
        column=1,
        end_line=1,
        end_column=1,
        subject=f"{INTERNAL_ERROR} {what}",
    )


def is_internal_error(f: Finding) -> bool:
    return f.name == INTERNAL_ERROR and f.code == HP001.code


# -- the files of a run --------------------------------------------------------


@record
class SourceFile:
    """A file to check: where to read it, how to show it, its kind and settings."""

    path: str
    shown: str
    kind: str
    settings: Settings


def _lint_file(
    sf: SourceFile,
    text: str,
    *,
    base_dir: str | None = None,
    online: bool = False,
    overlay: Mapping[str, str] | None = None,
    reads: set[str] | None = None,
) -> list[Finding]:
    """`lint_text`, with an unexpected exception turned into one internal-error finding."""
    try:
        return lint_text(
            sf.shown,
            sf.kind,
            text,
            sf.settings,
            base_dir=base_dir,
            online=online,
            overlay=overlay,
            reads=reads,
        )
    except Exception as exc:  # a bug must not end the run: report it for this file
        return [internal_error(sf.shown, exc)]


def _lint_chunk(items: list[SourceFile]) -> tuple[list[Finding], list[str]]:
    """Findings of the files, and a note for each file skipped (not a regular file, or
    larger than `max-file-size`)."""
    from hardpin.files import SkippedFile, max_file_size

    out: list[Finding] = []
    skipped: list[str] = []
    for sf in items:
        try:
            text = read_text(sf.path, max_file_size(sf.settings))
        except SkippedFile as exc:
            skipped.append(str(exc))
            continue
        out.extend(_lint_file(sf, text))
    return out, skipped


PARALLEL_MIN_FILES = 64


def lint_many(
    items: Sequence[SourceFile], jobs: int | None = None, skipped: list[str] | None = None
) -> list[Finding]:
    """Lint many files (no fixes, no network). Uses worker processes (forked, so
    nothing is imported twice) when there are enough files and cores. The findings
    come in no particular order: `run` sorts them. A note for each file skipped (not
    a regular file, too large) goes to `skipped`."""
    import os

    if skipped is None:
        skipped = []
    if jobs is None:
        jobs = min(os.cpu_count() or 1, 8)
    if jobs <= 1 or len(items) < PARALLEL_MIN_FILES or not hasattr(os, "fork"):
        found, notes = _lint_chunk(list(items))
        skipped.extend(notes)
        return found
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # about 8 chunks per worker, handed to whichever worker is free, each taking
    # every n-th file: files sorted by path cluster large ones together (a project's
    # big Dockerfiles), and interleaving spreads them. On the shared corpus (3,853
    # files, per-file times replayed through this schedule) the slowest worker
    # finishes 1-9% after the ideal split with interleaved chunks, 13-44% after it
    # with contiguous slices of the same size (2-8 workers).
    n = max(1, len(items) // max(8, len(items) // (jobs * 8)))
    chunks = [list(items[i::n]) for i in range(n)]
    ctx = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
        results = list(pool.map(_lint_chunk, chunks))
    for _, notes in results:
        skipped.extend(notes)
    return [f for r, _ in results for f in r]


# -- the network round ------------------------------------------------------------


def complete(
    findings: Sequence[Finding], answers: Answers, *, updates: bool = False
) -> list[Finding]:
    """Findings with their pending fixes completed (or dropped, for online verdicts).

    * a fix answer becomes an edit (safe; a whole-file lock is unsafe);
    * an error leaves the finding as it is (`RunResult.lookup_failures` reports it);
    * online checks are candidates: `image-exists` is kept only when the registry
      says the digest is gone, `image-update` only when the tag moved. Unanswered
      (a reference a fix has just pinned) or failed (the registry could not be
      asked: that is not a verdict) candidates are dropped. The edit that moves a
      digest is attached only with `updates` (`hardpin update`).
    """
    from hardpin.model import GitUpdateKey, ImageUpdateKey

    out: list[Finding] = []
    for f in findings:
        p = f.pending
        if p is None:
            out.append(f)
            continue
        ans = answers.get(p.key)
        if p.kind in ONLINE_CHECKS:
            if ans is None or isinstance(ans, str):
                continue
            if p.kind is PendingKind.IMAGE_EXISTS:
                if ans == ("no",):
                    out.append(f)
            elif isinstance(p.key, ImageUpdateKey) and ans[0] != p.key.digest:
                msg = f"{f.message}: now {ans[0]}"
                fix = Fix((p.edit(ans),), Applicability.SAFE) if updates else None
                out.append(replace(f, message=msg, fix=fix))
            elif isinstance(p.key, GitUpdateKey) and ans[0] != p.key.sha:
                msg = f"{f.message}: now {ans[0]}"
                fix = Fix((p.edit(ans),), Applicability.SAFE) if updates else None
                out.append(replace(f, message=msg, fix=fix))
        elif ans is None:
            out.append(f)
        elif isinstance(ans, str):
            # the failure is reported once, as a LookupFailure (the CLI's stderr line)
            out.append(f)
        else:
            applicability = (
                Applicability.UNSAFE if p.kind is PendingKind.LOCK else Applicability.SAFE
            )
            out.append(replace(f, fix=Fix((p.edit(ans),), applicability)))
    return out


def _completed(
    findings: Sequence[Finding], answers: Answers, *, diff: bool, updates: bool
) -> list[Finding]:
    if not answers:
        return list(findings)
    out = complete(findings, answers, updates=updates)
    if not diff:
        return out
    # a lock is an unsafe whole-file fix, but --diff always shows it
    return [
        replace(f, fix=Fix(f.fix.edits, Applicability.SAFE, f.fix.description))
        if f.pending is not None and f.pending.kind is PendingKind.LOCK and f.fix is not None
        else f
        for f in out
    ]


@record
class ProgressEvent:
    """Reported to `RunRequest.progress`: `done` of `total` items of a stage
    ("lint": files, "lookup": distinct network lookups; the first event of the
    lookup stage has done == 0)."""

    stage: str
    done: int
    total: int


ProgressCallback = Callable[[ProgressEvent], None]


@record
class NetworkOptions:
    offline: bool = False
    refresh: bool = False
    concurrency: int | None = None  # None: `concurrency` in the config, else 16
    index_url: str | None = None  # --index-url
    cache_dir: str | None = None
    tag_ttl: float = 3600.0  # 0: ask for every tag again (`hardpin update`)

    def check(self) -> None:
        """Contradictory network flags are a usage error."""
        if self.concurrency is not None and self.concurrency < 1:
            raise HardpinError("--concurrency must be at least 1")
        if self.refresh and self.offline:
            raise HardpinError("--refresh and --offline contradict each other: choose one")


@record
class RunStats:
    lookups: int
    failed: int
    requests: int
    cache_hits: int


def _ask(
    request: RunRequest,
    settings_list: Sequence[Settings],
    pending: list[PendingKey],
    progress: ProgressCallback,
) -> tuple[Answers, RunStats]:
    """Answer every distinct key once with one network run."""
    import os

    from hardpin.online.resolve import Online, OnlineOptions

    net = request.network
    net.check()
    insecure: dict[str, None] = {}
    concurrency = net.concurrency
    request_timeout = 0.0
    ca_file: str | None = None
    for st in settings_list:
        for host in st.get("insecure-registries", ()) or ():  # type: ignore[attr-defined]
            insecure[host] = None
        configured = st.get("concurrency")
        if concurrency is None and isinstance(configured, int):
            concurrency = configured
        limit = st.get("request-timeout")  # the most generous of the files' settings
        if isinstance(limit, float) and limit > request_timeout:
            request_timeout = limit
        ca = st.get("ca-file")
        if ca_file is None and isinstance(ca, str) and ca:
            # the first file's setting, relative to its configuration file
            ca_file = os.path.join(st.root, os.path.expanduser(ca))
    online = Online(
        OnlineOptions(
            cache_dir=net.cache_dir,
            refresh=net.refresh,
            offline=net.offline,
            concurrency=concurrency or 16,
            insecure_registries=tuple(insecure),
            index_url=net.index_url,
            tag_ttl=net.tag_ttl,
            request_timeout=request_timeout or 30.0,
            ca_file=ca_file,
        )
    )

    def on_answer(done: int, total: int) -> None:
        progress(ProgressEvent("lookup", done, total))

    answers = online.answer(pending, on_answer)
    failed = sum(1 for v in answers.values() if isinstance(v, str))
    return answers, RunStats(len(answers), failed, online.requests, online.cache.hits)


# -- a run -------------------------------------------------------------------------


@record
class StdinInput:
    """`--stdin-filename NAME`: the text comes from stdin, shown as `name`."""

    name: str
    text: str


@record
class RunRequest:
    paths: tuple[str, ...] = ()
    config: str | None = None
    overrides: Overrides | None = None
    stdin: StdinInput | None = None
    fix: bool = False  # apply safe fixes
    unsafe: bool = False  # also unsafe ones
    diff: bool = False  # compute the fixes as diffs; write nothing
    online: bool = False  # run the online checks (HP6xx)
    update: bool = False  # `hardpin update`: moved tags become digest edits
    write: bool = True  # False: compute, write nothing (`update --check`)
    jobs: int | None = None
    network: NetworkOptions = field(default_factory=NetworkOptions)
    baseline: str | None = None  # report only findings not in this baseline
    write_baseline: str | None = None  # record the findings there
    progress: ProgressCallback | None = None

    @property
    def fixing(self) -> bool:
        return self.fix or self.unsafe or self.diff or (self.update and self.write)

    def wanted(self) -> frozenset[PendingKind]:
        """The pending kinds this run asks the network about."""
        if self.update:
            return frozenset({PendingKind.IMAGE_UPDATE, PendingKind.GIT_UPDATE})
        kinds: set[PendingKind] = set()
        if self.fix or self.unsafe or self.diff:
            kinds |= {PendingKind.IMAGE, PendingKind.PIP_HASHES, PendingKind.GIT_REF}
            if self.unsafe or self.diff:
                kinds.add(PendingKind.LOCK)
        if self.online:
            kinds |= ONLINE_CHECKS
        return frozenset(kinds)


@record
class FileResult:
    file: SourceFile
    text: str  # as read
    stamp: FileStamp | None  # None for stdin
    first: list[Finding]  # the first lint, before network answers
    findings: list[Finding] = field(default_factory=list)  # after answers and fixes
    new_text: str | None = None  # the fixed text, when fixing
    fixes: int = 0
    written: bool = False
    diff: str = ""
    error: str | None = None  # why a fix was not written
    crashed: bool = False
    reads: set[str] = field(default_factory=set)  # related files its lints read
    hashed: bool = False  # the fix added hashes (a pip-hashes edit was applied)
    withheld: str | None = None  # why its hashes were not added (they would break pip)
    unfixed: list[Finding] = field(default_factory=list)  # the findings before fixing

    @property
    def changed(self) -> bool:
        return self.new_text is not None and self.new_text != self.text


@record(frozen=True)
class LookupFailure:
    """A network lookup that failed, where a finding asked for it."""

    path: str
    line: int
    column: int
    code: str
    kind: PendingKind
    message: str

    @property
    def verb(self) -> str:
        return "cannot check" if self.kind in ONLINE_CHECKS else "cannot fix"


@record(frozen=True)
class DigestMove:
    """`hardpin update`: a pinned digest whose tag has moved."""

    path: str
    line: int
    name: str
    old: str
    new: str


@record
class RunResult:
    files: list[FileResult]
    findings: list[Finding]  # sorted; baseline applied
    rules: list[str]  # codes of the rules enabled by any file's settings (SARIF lists them)
    files_checked: int
    lookup_failures: list[LookupFailure] = field(default_factory=list)
    moves: list[DigestMove] = field(default_factory=list)
    stats: RunStats | None = None  # when the network was asked
    baseline_written: int | None = None  # findings recorded with write_baseline
    fail_on: dict[str, Severity] = field(default_factory=dict)  # shown path -> settings
    skipped: list[str] = field(default_factory=list)  # a note for each file not read
    baseline_hidden: int = 0  # findings the baseline filtered out
    empty_paths: list[str] = field(default_factory=list)  # named directories with no file to lint

    @property
    def fixed(self) -> int:
        return sum(r.fixes for r in self.files if r.written)

    @property
    def changed(self) -> bool:
        return any(r.changed for r in self.files)

    @property
    def write_errors(self) -> list[str]:
        return [r.error for r in self.files if r.error is not None]

    @property
    def internal_errors(self) -> int:
        return sum(1 for f in self.findings if is_internal_error(f))

    def failing(self, fail_on: Severity | None = None) -> bool:
        """Whether a finding is at or above the `fail-on` of its own file's settings."""
        for f in self.findings:
            limit = fail_on or self.fail_on.get(f.path, Severity.WARNING)
            if f.severity.rank >= limit.rank:
                return True
        return False


def display_path(path: str) -> str:
    """`path` relative to the current directory when it lies below it."""
    import os

    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel.replace(os.sep, "/")


def _files(request: RunRequest, skipped: list[str]) -> list[SourceFile]:
    """The files of the run; a note in `skipped` for each named file of no known kind."""
    import os

    from hardpin.settings import settings_for

    if request.stdin is not None:
        from hardpin.discovery import UNKNOWN_KIND, kind_of, sniff_text

        name = request.stdin.name
        settings = settings_for(
            os.path.dirname(os.path.abspath(name)) or ".",
            config=request.config,
            overrides=request.overrides,
        )
        kind = kind_of(name, settings) or sniff_text(request.stdin.text)
        if kind is None:
            skipped.append(f"{name}: skipped: {UNKNOWN_KIND}")
            return []
        return [SourceFile(name, name, kind, settings)]
    from hardpin.discovery import discover_files

    def sf(p: str) -> Settings:
        return settings_for(p, config=request.config, overrides=request.overrides)

    found = discover_files(list(request.paths) or ["."], settings_for=sf, skipped=skipped)
    return [SourceFile(p, display_path(p), kind, sf(p)) for p, kind in found]


def _no_progress(event: ProgressEvent) -> None:
    pass


def run(request: RunRequest) -> RunResult:
    """One hardpin run (see the module docstring)."""
    unknown: list[str] = []  # named files of no kind hardpin reads
    files = _files(request, unknown)
    empty = _empty_paths(request, files)
    progress = request.progress or _no_progress
    settings_list = [f.settings for f in files]
    fail_on = {f.shown: f.settings.fail_on for f in files}
    enabled = [c for c in registry.CODES if any(s.is_enabled(c) for s in settings_list)]
    rules = enabled or list(registry.CODES)
    online_rules = request.online or request.update

    skipped: list[str] = []  # files not read: not regular files, or too large
    if not request.fixing and not online_rules and request.stdin is None and len(files) >= 2:
        findings = lint_many(files, request.jobs, skipped)
        checked = len(files) - len(skipped)
        result = RunResult([], findings, rules, checked, fail_on=fail_on, skipped=unknown + skipped)
        return _finish(request, result, empty)

    from hardpin.files import SkippedFile, max_file_size

    results: list[FileResult] = []
    for i, sf in enumerate(files):
        stamp: FileStamp | None = None
        try:
            if request.stdin is not None:
                text = request.stdin.text
            elif request.fixing:
                # a fix is written only over these bytes
                text, stamp = read_file(sf.path, max_file_size(sf.settings))
            else:
                text = read_text(sf.path, max_file_size(sf.settings))
        except SkippedFile as exc:
            skipped.append(str(exc))
            continue
        reads: set[str] = set()
        first = _lint_file(sf, text, online=online_rules, reads=reads)
        crashed = any(is_internal_error(f) for f in first)
        results.append(FileResult(sf, text, stamp, first, crashed=crashed, reads=reads))
        progress(ProgressEvent("lint", i + 1, len(files)))

    wanted = request.wanted()
    keys = list(
        dict.fromkeys(
            f.pending.key
            for r in results
            for f in r.first
            if f.pending is not None and f.pending.kind in wanted
        )
    )
    answers: Answers = {}
    stats = None
    if keys:
        answers, stats = _ask(request, settings_list, keys, progress)

    moves: list[DigestMove] = []
    for r in results:
        _settle(request, r, answers, moves)
    if request.fixing:
        overlay = _overlay(results)
        _keep_installable(request, results, answers, overlay)
        _recompute(request, results, answers, overlay)
        written: dict[str, bytes] = {}  # real path -> what this run wrote there
        for r in results:
            _write(request, r, written)

    findings = [f for r in results for f in r.findings]
    # failed lookups, where they are now; one whose finding a fix turned into another
    # rule's (HP302 -> HP303 once its neighbours have hashes) where it was at first
    first_pass = [f for r in results for f in r.first]
    if request.update:
        failures = _lookup_failures(first_pass, answers)
    else:
        failures = _lookup_failures(findings, answers, first_pass)
    result = RunResult(
        results,
        findings,
        rules,
        len(files) - len(skipped),
        lookup_failures=failures,
        moves=moves,
        stats=stats,
        fail_on=fail_on,
        skipped=unknown + skipped,
    )
    return _finish(request, result, empty)


def _settle(request: RunRequest, r: FileResult, answers: Answers, moves: list[DigestMove]) -> None:
    """Complete one file's findings with the answers and, when fixing, fix it (the
    fixed text is written later, once every file of the run is fixed)."""
    from hardpin.model import GitUpdateKey, ImageUpdateKey

    done = _completed(r.first, answers, diff=request.diff, updates=request.update)
    if request.update:
        for f in done:
            p = f.pending
            if f.fix is not None and p is not None and isinstance(p.key, ImageUpdateKey):
                new = answers[p.key]
                assert not isinstance(new, str)
                moves.append(DigestMove(f.path, f.line, p.key.name, p.key.digest, new[0]))
            elif f.fix is not None and p is not None and isinstance(p.key, GitUpdateKey):
                from hardpin.urls import display_url

                new = answers[p.key]
                assert not isinstance(new, str)
                name = f"{display_url(p.key.url)}@{p.key.ref}"
                moves.append(DigestMove(f.path, f.line, name, p.key.sha, new[0]))
    r.findings = r.unfixed = done
    if request.fixing and not r.crashed:
        _fix(request, r, answers, None, None)


def _fix(
    request: RunRequest,
    r: FileResult,
    answers: Answers,
    overlay: Mapping[str, str] | None,
    no_hashes: str | None,
) -> None:
    """Fix one file from the text that was read: apply, re-lint, repeat. With
    `no_hashes` (why), the pip-hashes fixes are withheld and their findings say why."""
    sf = r.file
    online_rules = request.online or request.update
    r.withheld = no_hashes
    done = _completed(r.first, answers, diff=request.diff, updates=request.update)
    if no_hashes is not None:
        done = _withhold_hashes(done, no_hashes)
    crashed: list[Finding] = []

    def lint(t: str) -> list[Finding]:
        fs = _lint_file(sf, t, online=online_rules, overlay=overlay, reads=r.reads)
        if any(is_internal_error(f) for f in fs):
            crashed.extend(fs)
            return []  # nothing more to apply: the loop ends
        out = _completed(fs, answers, diff=request.diff, updates=request.update)
        return out if no_hashes is None else _withhold_hashes(out, no_hashes)

    from hardpin.fixer import converge

    applied: list[Finding] = []
    new, n, after = converge(r.text, lint, request.unsafe, done, applied)
    if crashed:
        # a fixed text the linter cannot check is not written
        r.findings = done + crashed[:1]
        r.crashed = True
        r.new_text = None
        r.fixes = 0
        return
    r.findings = after
    r.new_text = new
    r.fixes = n
    r.hashed = new != r.text and any(
        f.pending is not None and f.pending.kind is PendingKind.PIP_HASHES for f in applied
    )


def _withhold_hashes(findings: list[Finding], why: str) -> list[Finding]:
    from hardpin.model import FixAvailability

    return [
        replace(
            f,
            fix=None,
            fix_availability=FixAvailability.NONE,
            message=f"{f.message} [not hashed: {why}]",
        )
        if f.fix is not None and f.pending is not None and f.pending.kind is PendingKind.PIP_HASHES
        else f
        for f in findings
    ]


def _file_key(path: str) -> str:
    """How a file of the run is named in an overlay: its normalised absolute path (what
    `RuleContext.read_related` asks for)."""
    import os

    return os.path.normpath(os.path.abspath(path))


def _overlay(results: Sequence[FileResult]) -> dict[str, str]:
    """The fixed texts of the run, by normalised absolute path and by real path."""
    import os

    out: dict[str, str] = {}
    for r in results:
        if r.changed and r.stamp is not None and r.new_text is not None:  # not stdin
            key = _file_key(r.file.path)
            out[key] = r.new_text
            out.setdefault(os.path.realpath(key), r.new_text)
    return out


def _requirements_context(
    r: FileResult, text: str, overlay: Mapping[str, str] | None
) -> RuleContext:
    import os

    from hardpin.parsers.requirements import parse

    path = r.file.shown
    d = os.path.dirname(os.path.abspath(path))
    base_dir = d if os.path.isdir(d) else None
    return RuleContext(
        Source(path, text),
        parse(text, strict=False),
        r.file.settings,
        "requirements",
        base_dir,
        overlay,
    )


def _keep_installable(
    request: RunRequest, results: list[FileResult], answers: Answers, overlay: dict[str, str]
) -> None:
    """Hashes must never leave a file pip refuses: pip turns hash checking on for a
    whole install when one requirement it reads has a hash. For every requirements file
    of the run whose install reads a file the fix hashed (itself, or an `-r` include),
    the fixed files are checked as pip reads them; when pip would refuse them — a
    lookup failed, an included file is not hashed, an unpinned requirement — and the
    file was installable before (or is itself hashed by the fix), the hashes of those
    files are withheld and they are fixed again without them. Withholding only ever
    removes hashes, so this ends."""
    if not any(r.file.kind == "requirements" for r in results):
        return
    import os

    from hardpin.analysis.requirements import (
        closure,
        file_role,
        hash_refusals,
        lock_input,
        refusal_summary,
    )

    by_key = {_file_key(r.file.path): r for r in results if not r.crashed}
    withheld: dict[str, str] = {}
    for _ in range(len(results) + 1):
        blocked: dict[str, str] = {}
        for r in results:
            # pip-tools inputs and constraints files are not what pip installs
            if (
                r.file.kind != "requirements"
                or r.crashed
                or file_role(r.file.path) != "requirements"
            ):
                continue
            me = _file_key(r.file.path)
            ctx = _requirements_context(
                r, r.new_text if r.new_text is not None else r.text, overlay
            )
            base = ctx.base_dir or ""
            keys = [me] + [_file_key(os.path.join(base, f.relpath)) for f in closure(ctx).files[1:]]
            touched = [k for k in keys if k in by_key and by_key[k].hashed and k not in withheld]
            if not touched:
                continue
            refused = hash_refusals(ctx)
            if not refused:
                continue
            if me not in touched and hash_refusals(_requirements_context(r, r.text, None)):
                continue  # pip refused it before the fix already
            why = refusal_summary(refused, lock_input(ctx))
            for k in touched:
                blocked.setdefault(k, why if k == me else f"{r.file.shown} includes it, and {why}")
        if not blocked:
            return
        withheld.update(blocked)
        for k in blocked:
            _fix(request, by_key[k], answers, overlay, withheld[k])
        overlay.clear()
        overlay.update(_overlay(results))


def _recompute(
    request: RunRequest, results: list[FileResult], answers: Answers, overlay: Mapping[str, str]
) -> None:
    """The findings of a file that reads a file the run fixed (a Dockerfile's `pip install
    -r`, a requirements file's `-r`), computed again on the fixed texts."""
    import os

    changed = set(overlay)
    if not changed:
        return
    online_rules = request.online or request.update
    for r in results:
        if r.crashed or not (r.reads & changed or {os.path.realpath(p) for p in r.reads} & changed):
            continue
        text = r.new_text if r.new_text is not None else r.text
        fs = _lint_file(r.file, text, online=online_rules, overlay=overlay)
        done = _completed(fs, answers, diff=request.diff, updates=request.update)
        r.findings = done if r.withheld is None else _withhold_hashes(done, r.withheld)


def _write(request: RunRequest, r: FileResult, written: dict[str, bytes]) -> None:
    """Write one fixed file (`written`: the files this run wrote, by real path: a file
    reached twice, through a symlink and by its own name, is written once)."""
    sf = r.file
    if r.crashed or r.new_text is None or r.new_text == r.text:
        return
    new = r.new_text
    if request.diff:
        from hardpin.fixer import unified_diff

        r.diff = unified_diff(sf.shown, r.text, new)
    elif request.stdin is None and request.write:
        import os

        from hardpin.fixer import WriteRefused, write_atomic

        data = encode(new)
        target = os.path.realpath(sf.path)
        if written.get(target) == data:
            return  # the same file under another name, already fixed this way
        try:
            write_atomic(sf.path, data, expect=r.stamp, shown=sf.shown)
            r.written = True
            written[target] = data
        except WriteRefused as exc:
            r.error = str(exc)
            r.findings = r.unfixed  # what the file on disk still has


def _lookup_failures(
    findings: Sequence[Finding], answers: Answers, first: Sequence[Finding] = ()
) -> list[LookupFailure]:
    """One failure per finding whose network answer failed (`first`: the first pass's
    findings; a failed lookup none of `findings` carries any more is reported where
    it was found)."""
    out: list[LookupFailure] = []
    shown: set[tuple[str, PendingKey]] = set()
    for group in (findings, first):
        now: set[tuple[str, PendingKey]] = set()
        for f in sorted(group, key=lambda f: f.sort_key):
            p = f.pending
            if p is None or (f.path, p.key) in shown:
                continue
            ans = answers.get(p.key)
            if isinstance(ans, str):
                out.append(LookupFailure(f.path, f.line, f.column, f.code, p.kind, ans))
                now.add((f.path, p.key))
        shown |= now
    return out


def _empty_paths(request: RunRequest, files: Sequence[SourceFile]) -> list[str]:
    """The directories named in the request under which no file is linted."""
    import os

    if request.stdin is not None:
        return []
    dirs = [p for p in (request.paths or (".",)) if os.path.isdir(p)]
    if not dirs:
        return []
    found = [os.path.abspath(f.path) for f in files]
    out = []
    for d in dirs:
        top = os.path.abspath(d)
        top_sep = top if top.endswith(os.sep) else top + os.sep
        if not any(p.startswith(top_sep) for p in found):
            out.append(d)
    return out


def _finish(request: RunRequest, result: RunResult, empty: list[str] | None = None) -> RunResult:
    """Sort; then write the baseline, or filter by one."""
    result.empty_paths = empty or []
    result.findings.sort(key=lambda f: f.sort_key)
    if request.write_baseline:
        from hardpin import baseline

        baseline.write(request.write_baseline, result.findings)
        result.baseline_written = len(result.findings)
    elif request.baseline:
        from hardpin import baseline

        before = len(result.findings)
        result.findings = baseline.filter_new(result.findings, baseline.load(request.baseline))
        result.baseline_hidden = before - len(result.findings)
    return result


__all__ = [
    "Answers",
    "DigestMove",
    "FileResult",
    "FileStamp",
    "LookupFailure",
    "NetworkOptions",
    "ProgressEvent",
    "RunRequest",
    "RunResult",
    "SourceFile",
    "StdinInput",
    "complete",
    "lint_many",
    "lint_text",
    "read_file",
    "read_text",
    "run",
]
