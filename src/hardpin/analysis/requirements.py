"""Shared analysis for the requirements-file rules (HP301–HP306) and HP202.

One source of truth for pip's hash-checking mode:

* `sets_hash_mode(files)`: pip turns hash checking on for a whole install when
  any requirement it reads carries a `--hash` option — constraint files
  included — or when `--require-hashes` is set anywhere (the command line, or
  an option line of any file read). A `#sha256=` fragment on a URL does not
  turn the mode on, but satisfies it.
* `is_hashed(req)`: a requirement pip accepts in hash mode as far as hashes
  go: `--hash`, or a URL with a hash fragment of an algorithm pip knows
  (pip accepts even `#md5=` there; HP304 reports weak fragments).
* `refusal(req)`: why pip refuses a requirement in hash mode (no hash, not
  pinned with a single `==`/`===`, editable, VCS, local directory), or None.
* `hash_refusals(ctx)`: what pip would refuse in hash mode for the document's
  install, as it stands or once every hash hardpin can look up is added; the
  hash fixes use it so that they never leave a file pip refuses
  (`refusal_summary` says why in words).

`closure(ctx)` reads the document's `-r` and `-c` includes, relative to the
including file, through `RuleContext.read_related` (cycles and repeated files
are read once), which is what one `pip install -r FILE` reads.
"""

from __future__ import annotations

import posixpath
import re

from hardpin._lazy import lazy_re
from hardpin._record import field, record
from hardpin.parsers.requirements import ARCHIVE_EXTENSIONS
from hardpin.urls import canonical_name, redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.context import RuleContext
    from hardpin.model import Pending
    from hardpin.parsers.requirements import Include, Requirement, RequirementsFile

# pip-compile's UNSAFE_PACKAGES (piptools/utils.py): left out of its output unless
# --allow-unsafe is given
UNSAFE_PACKAGES = ("distribute", "pip", "setuptools")
# pip's Link hash fragments (pip/_internal/models/link.py _SUPPORTED_HASHES)
_LINK_HASH = lazy_re(r"[#&](sha512|sha384|sha256|sha224|sha1|md5)=([^&]*)")
_URL_INCLUDE = lazy_re(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
MAX_FILES = 64  # includes followed per document


def file_role(path: str) -> str:
    """ "input" (a pip-tools `.in` file: not expected to be pinned or hashed),
    "constraints" (`constraints*.txt`, `*-constraints.txt`, `*_constraints.txt`: restricts
    versions, installs nothing) or "requirements"."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    if name.endswith(".in"):
        return "input"
    if name.endswith(".txt") and (
        name.startswith("constraints") or name.endswith(("-constraints.txt", "_constraints.txt"))
    ):
        return "constraints"
    return "requirements"


# ---------------------------------------------------------------------------
# hashes


def link_hash(url: str | None) -> bool:
    """The URL carries a hash pip checks (`#sha256=…`; pip accepts even `#md5=…` here)."""
    if not url or "=" not in url:
        return False
    m = _LINK_HASH.search(url)
    return bool(m and m.group(2))


def is_hashed(req: Requirement) -> bool:
    """`--hash` options, or a URL hash fragment: what pip accepts in hash-checking mode."""
    return bool(req.hashes) or link_hash(req.url)


def sets_hash_mode(files: list[RequirementsFile]) -> bool:
    """Whether files read by one pip install turn hash checking on: `--require-hashes`, or a
    `--hash` on any requirement, in a requirements or a constraints file (pip collects
    both before it decides, `RequirementCommand.get_requirements`)."""
    return any(f.require_hashes or any(r.hashes for r in f.requirements) for f in files)


def pip_pinned(req: Requirement) -> bool:
    """pip's `is_pinned` for hash mode: exactly one specifier, `==` or `===`."""
    parts = [p for p in req.specifier.split(",") if p.strip()]
    return len(parts) == 1 and parts[0].strip().startswith("==")


def is_local_archive(req: Requirement) -> bool:
    target = (req.url or req.text).split("#", 1)[0].split(";", 1)[0].strip().lower()
    target = re.sub(r"\[[^\]]*\]$", "", target)
    return target.endswith(ARCHIVE_EXTENSIONS)


def refusal(
    req: Requirement, *, missing_hash: bool = True, covered: frozenset[str] = frozenset()
) -> str | None:
    """Why pip refuses `req` in hash-checking mode, or None. With `missing_hash=False`
    only the requirements that cannot be hashed at all are refused. `covered`: canonical
    names that a constraints file of the install pins with hashes (recent pip takes the
    pin and the hashes from there; older versions refuse the requirement anyway)."""
    if req.editable:
        return (
            "an editable requirement cannot be hashed: pip refuses it in hash-checking mode "
            '("cannot be installed when requiring hashes, because there is no single file to hash")'
        )
    if req.kind == "vcs":
        return (
            "a VCS checkout cannot be hashed: pip refuses it in hash-checking mode "
            "(\"Can't verify hashes for these requirements because we don't have a way to hash "
            'version control repositories"); install a release archive with --hash instead'
        )
    if req.kind == "path" and not is_local_archive(req):
        return (
            "a local directory cannot be hashed: pip refuses it in hash-checking mode "
            "(\"Can't verify hashes for these file:// requirements because they point to "
            'directories"); build a wheel and install that with --hash'
        )
    if not missing_hash or (
        req.kind == "name" and req.name and canonical_name(req.name) in covered
    ):
        return None
    unpinned = req.kind == "name" and not req.has_variables and not pip_pinned(req)
    if not is_hashed(req):
        extra = " and it is not pinned with == either" if unpinned else ""
        return (
            f"it has no --hash{extra}: pip refuses the whole install "
            '("Hashes are required in --require-hashes mode, but they are missing from some '
            'requirements")'
        )
    if unpinned:
        return (
            "it has a hash but no single == pin: pip refuses it in hash-checking mode "
            '("In --require-hashes mode, all requirements must have their versions pinned with ==")'
        )
    return None


# ---------------------------------------------------------------------------
# the files one `pip install -r DOCUMENT` reads


@record
class Loaded:
    """A file read through the document's includes (the document itself first)."""

    relpath: str  # relative to the document's directory; the document's own name for it
    parsed: RequirementsFile
    installs: bool  # reached through -r only (its requirements are installed), not -c
    via: Include | None  # the document's own include this file was reached through


@record
class Closure:
    files: list[Loaded]
    unread: list[tuple[Include, str]] = field(default_factory=list)  # (include, why), any depth

    @property
    def complete(self) -> bool:
        return not self.unread

    def installed(self) -> list[Loaded]:
        return [f for f in self.files if f.installs]


@record
class HashState:
    on: bool
    reason: str  # why, for messages ("" when off)


def root_relpath(ctx: RuleContext) -> str:
    return ctx.source.path.replace("\\", "/").rsplit("/", 1)[-1] or "-"


def parsed_related(ctx: RuleContext, relpath: str) -> RequirementsFile | None:
    def load() -> RequirementsFile | None:
        from hardpin.parsers.requirements import parse

        text = ctx.read_related(relpath)
        return None if text is None else parse(text, strict=False)

    return ctx.cached(f"req_parsed:{relpath}", load)


def closure(ctx: RuleContext, start: str | None = None) -> Closure:
    """The document (or the related file `start`) and everything it includes."""
    key = f"req_closure:{start}"
    return ctx.cached(key, lambda: _closure(ctx, start))


def _closure(ctx: RuleContext, start: str | None) -> Closure:
    root = root_relpath(ctx)
    if start is None:
        first: RequirementsFile | None = ctx.doc  # type: ignore[assignment]
        first_rel = root
    else:
        first = parsed_related(ctx, start)
        first_rel = start
    result = Closure([])
    if first is None:
        return result
    seen: set[tuple[str, bool]] = {(posixpath.normpath(first_rel), True)}
    # depth-first in file order, like pip reads them
    stack: list[Loaded] = [Loaded(first_rel, first, True, None)]
    while stack:
        cur = stack.pop()
        result.files.append(cur)
        nested: list[Loaded] = []
        for inc in cur.parsed.includes:
            installs = inc.kind == "requirement"  # pip: -r inside a -c file installs again
            via = cur.via if cur.via is not None else (inc if start is None else None)
            p = inc.path
            if not p or _URL_INCLUDE.match(p) or "${" in p:
                why = "a URL" if p and _URL_INCLUDE.match(p) else "a variable" if p else "empty"
                result.unread.append((inc, why))
                continue
            rel = posixpath.normpath(
                p if p.startswith("/") else posixpath.join(posixpath.dirname(cur.relpath), p)
            )
            if (rel, installs) in seen:  # the document itself is in `seen` from the start
                continue
            if len(seen) >= MAX_FILES:
                result.unread.append((inc, "too many includes"))
                continue
            seen.add((rel, installs))
            parsed = None if ctx.base_dir is None else parsed_related(ctx, rel)
            if parsed is None:
                result.unread.append((inc, "not found"))
                continue
            nested.append(Loaded(rel, parsed, installs, via))
        stack.extend(reversed(nested))
    return result


def hash_state(ctx: RuleContext, start: str | None = None) -> HashState:
    """Whether `pip install -r DOCUMENT` (or -r `start`) runs in hash-checking mode, and why."""
    return ctx.cached(f"req_hash_state:{start}", lambda: _hash_state(ctx, start))


def _hash_state(ctx: RuleContext, start: str | None) -> HashState:
    cl = closure(ctx, start)
    for f in cl.files:
        for o in f.parsed.options:
            if o.name == "--require-hashes":
                return HashState(True, _where(f, o.line, "--require-hashes", start))
    # requirements installed first: they make the better reason
    for f in cl.installed() + [f for f in cl.files if not f.installs]:
        for r in f.parsed.requirements:
            if r.hashes:
                return HashState(True, _where(f, r.line, f"`{show(r.text)}` has --hash", start))
    return HashState(False, "")


def _where(f: Loaded, line: int, what: str, start: str | None) -> str:
    kind = "" if f.installs else "the constraints file "
    if f.via is None and start is None:
        return f"{what} at line {line}"
    if f.via is not None:
        return f"{what} in {kind}{f.relpath} (included at line {f.via.line})"
    return f"{what} in {kind}{f.relpath}"


def constraint_hashed(ctx: RuleContext, start: str | None = None) -> frozenset[str]:
    """Canonical names pinned with hashes by the constraints files of the install."""

    def compute() -> frozenset[str]:
        return frozenset(
            canonical_name(r.name)
            for f in closure(ctx, start).files
            if not f.installs
            for r in f.parsed.requirements
            if r.name and r.hashes and r.pinned
        )

    return ctx.cached(f"req_constraint_hashed:{start}", compute)


# ---------------------------------------------------------------------------
# whether adding hashes keeps the install working


@record(frozen=True)
class Blocker:
    """Something pip refuses in hash-checking mode for the document's install."""

    what: str  # "unpinned", "unhashable", "unknown", "unhashed" or "unread"
    text: str  # the requirement (or include) as shown in messages


_BLOCKER_LABELS = {
    "unpinned": "unpinned requirement(s)",
    "unhashable": "requirement(s) that cannot be hashed",
    "unknown": "requirement(s) whose hashes hardpin cannot look up",
    "unhashed": "requirement(s) left without a hash",
    "unread": "include(s) hardpin cannot read",
}


def hash_refusals(ctx: RuleContext, *, assume_hashed: bool = False) -> list[Blocker]:
    """What pip refuses in hash-checking mode for `pip install -r DOCUMENT`.

    With `assume_hashed`: once hash checking is on and every pinned index requirement
    of the files read has its hashes (what the hash fixes can add), whatever
    hardpin cannot fix that way — unpinned or variable requirements, editables, VCS
    URLs, directories, URLs and archives without a hash fragment, index lookups made
    impossible by `--no-index`, `-r` includes it cannot read. Without it: what pip
    refuses in the install as it stands (nothing when hash checking is off).

    Constraint files count only for what they cover: their requirements are not
    installed, and pip does not ask them to be pinned or hashed, but their hashed
    pins satisfy the requirements they name. Environment markers do not exempt a
    requirement: it is refused where its marker holds.
    """
    key = f"req_hash_refusals:{assume_hashed}"
    return ctx.cached(key, lambda: _hash_refusals(ctx, assume_hashed))


def _hash_refusals(ctx: RuleContext, assume_hashed: bool) -> list[Blocker]:
    if not assume_hashed and not hash_state(ctx).on:
        return []
    cl = closure(ctx)
    covered = constraint_hashed(ctx)
    no_index = index_urls([f.parsed for f in cl.files]) is None
    out: list[Blocker] = []
    for f in cl.installed():
        where = "" if f is cl.files[0] else f" in {f.relpath}"
        for r in f.parsed.requirements:
            what = _blocker(r, covered, no_index, assume_hashed)
            if what is not None:
                shown = ("-e " if r.editable else "") + show(r.text)
                out.append(Blocker(what, shown + where))
    for inc, _why in cl.unread:
        if inc.kind == "requirement":  # an unread -c cannot make pip refuse anything
            out.append(Blocker("unread", f"-r {show(inc.path)}"))
    return out


def _blocker(
    r: Requirement, covered: frozenset[str], no_index: bool, assume_hashed: bool
) -> str | None:
    if refusal(r, missing_hash=False) is not None:
        return "unhashable"  # editable, VCS, directory
    named = r.kind == "name"
    is_covered = named and bool(r.name) and canonical_name(r.name or "") in covered
    if is_covered:
        return None
    if named and r.has_variables:
        return None if is_hashed(r) else "unknown"
    if named and not pip_pinned(r):
        return "unpinned"
    if is_hashed(r):
        return None
    if not named:
        return "unhashable"  # a URL or archive without a hash fragment: nothing to look up
    if not assume_hashed:
        return "unhashed"
    if r.exact_version is None or no_index:
        return "unknown"
    return None


def refusal_summary(blockers: list[Blocker], lock_input: str | None = None) -> str:
    """Why hashes are not added, in words: "adding hashes would make pip refuse the 2
    unpinned requirement(s) (requests, urllib3>=2.0); pin them or re-lock from
    requirements.in"."""
    parts = []
    for what, label in _BLOCKER_LABELS.items():
        names = [b.text for b in blockers if b.what == what]
        if names:
            shown = ", ".join(names[:3]) + (", …" if len(names) > 3 else "")
            parts.append(f"the {len(names)} {label} ({shown})")
    only_unpinned = all(b.what == "unpinned" for b in blockers)
    todo = "pin them" if only_unpinned else "make every requirement pinned and hashed"
    relock = (
        f"re-lock from {lock_input} (--fix --unsafe-fixes)"
        if lock_input
        else "lock the file with pip-compile --generate-hashes"
    )
    return f"adding hashes would make pip refuse {' and '.join(parts)}; {todo} or {relock}"


def lock_input(ctx: RuleContext) -> str | None:
    """The pip-tools input `X.in` beside the document `X.txt`, if there is one (the
    file HP301's unsafe fix re-locks from), as a name relative to the document."""
    if ctx.base_dir is None:
        return None
    name = root_relpath(ctx)
    stem, dot, ext = name.rpartition(".")
    if not dot or ext != "txt" or not stem:
        return None
    return stem + ".in" if parsed_related(ctx, stem + ".in") is not None else None


# ---------------------------------------------------------------------------
# messages and fixes


def show(text: str) -> str:
    """Requirement text for messages: credentials removed, one line, not too long."""
    t = " ".join(redact_text(text).split())
    return t if len(t) <= 100 else t[:97] + "…"


def index_urls(doc: RequirementsFile | list[RequirementsFile]) -> tuple[str | None, ...] | None:
    """The file's own `--index-url` then its `--extra-index-url`s (of a list of files: of
    all of them, in the order pip reads them), in order, as pip reads
    them (an `--index-url` line replaces the list so far), led by None when it sets
    only extra indexes; () when it sets none; None with `--no-index` (no index to look
    hashes up in)."""
    urls: list[str | None] = []
    primary = False
    docs = doc if isinstance(doc, list) else [doc]
    for o in (o for d in docs for o in d.options):
        if o.name == "--no-index":
            return None
        if o.name == "--index-url" and o.value:
            urls = [o.value]
            primary = True
        elif o.name == "--extra-index-url" and o.value:
            urls.append(o.value)
    if urls and not primary:
        # extra indexes only: pip still uses the environment's primary index, which the
        # online layer fills in for the leading None
        urls.insert(0, None)
    return tuple(urls)


def pending_hashes(ctx: RuleContext, req: Requirement) -> Pending | None:
    """The network fix that adds `--hash` lines to a pinned index requirement, laid out
    like pip-compile: one `--hash` per continuation line, after the specifier and marker,
    before existing options and a trailing comment (which stays on the last line)."""
    from hardpin.model import Pending, PipHashesKey

    version = req.exact_version
    if req.kind != "name" or not req.name or version is None or req.has_variables:
        return None
    # pip applies index options from every file the install reads (-r and -c includes)
    urls = index_urls([f.parsed for f in closure(ctx).files])
    if urls is None:
        return None
    nl = ctx.source.newline
    sep = f" \\{nl}    --hash="
    return Pending(
        PipHashesKey(urls, canonical_name(req.name), version),
        req.end,
        req.end,
        prefix=sep,
        sep=sep,
        suffix="",
    )


def requirements_doc(ctx: RuleContext) -> RequirementsFile | None:
    """The parsed document (its parse errors are HP001, reported by the engine)."""
    return ctx.doc  # type: ignore[return-value]
