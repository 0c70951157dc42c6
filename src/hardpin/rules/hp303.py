"""HP303: some requirements hashed, others not: pip refuses the install."""

from __future__ import annotations

from hardpin.analysis.requirements import (
    closure,
    constraint_hashed,
    file_role,
    hash_refusals,
    hash_state,
    is_hashed,
    lock_input,
    pending_hashes,
    refusal,
    refusal_summary,
    requirements_doc,
    root_relpath,
    show,
)
from hardpin.model import FixAvailability, Severity
from hardpin.rules.base import Rule, RuleContext

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.parsers.requirements import Requirement


def _names(reqs: list[Requirement], limit: int = 3) -> str:
    shown = [f"`{show(r.text)}`" for r in reqs[:limit]]
    return ", ".join(shown) + (", …" if len(reqs) > limit else "")


class HP303(Rule):
    r"""Hash checking is on, but some requirements cannot pass it: pip refuses the install.

    ## What it does
    pip's hash-checking mode is all or nothing: it turns on for the whole
    `pip install -r FILE` as soon as one requirement of the files read has
    a `--hash` (FILE and the files it includes with `-r` and `-c`, followed
    relative to the including file; constraints count too), or when
    `--require-hashes` is set in one of them. Then
    every requirement must pass, and pip stops before installing anything
    if one does not. In a file where hash checking is on, this rule
    reports each requirement pip refuses, with pip's own error:

    - a requirement without a hash (`--hash`, or a `#sha256=`-style
      fragment on a URL requirement, which pip accepts but which does not
      turn the mode on by itself);
    - a named requirement not pinned with a single `==` or `===`, even with
      a hash (pip: "all requirements must have their versions pinned");
    - an editable requirement (`-e`), a VCS URL and a local directory:
      pip cannot hash them at all;
    - at the `-r FILE` line, an included file with requirements that fail,
      when the including file is what turns hash checking on for them (an
      included file that turns it on by itself reports its own lines,
      unless hardpin does not check it as a requirements file by its
      name).

    Requirements of `-c` constraint files are not installed and are not
    checked. A requirement that a constraints file of the install pins
    with hashes is not reported either: recent pip versions take the pin
    and the hashes from there (older ones still refuse it). In pip-tools
    input files (`*.in`) and constraints files (`constraints*.txt`,
    `*-constraints.txt`, `*_constraints.txt`) only editables, VCS URLs and
    directories are reported. Includes that cannot be read (missing, a URL,
    a variable) are skipped: a file with unreadable includes may be in
    hash mode without hardpin knowing.

    ## Why it matters
    The install fails — often only in CI or in the image build, after the
    file was edited by hand. The usual way out, deleting the hashes, throws
    away the protection for every requirement.

    ## Example
    ```text
    flask==3.0.3 \
        --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3
    gunicorn==22.0.0
    -e ./libs/common
    ```

    ## Use instead
    ```text
    flask==3.0.3 \
        --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3
    gunicorn==22.0.0 \
        --hash=sha256:4a0b436239ff76fb33f11c07a16482c521a7e09c1ce3cc293c2330afe01bec63
    ```
    and install the local library from a wheel with its hash, or in a
    second `pip install --no-deps` step. Regenerate the file with
    `pip-compile --generate-hashes` rather than editing it by hand.

    ## Fix safety
    Fixable with network for pinned requirements from an index: the hashes
    are looked up as for HP302, and added only when the file then passes
    hash checking as a whole (every requirement pip reads for it pinned and
    hashed); otherwise nothing is added and the finding says why.
    Editables, VCS URLs, directories and unpinned requirements need a
    decision by hand (or a re-lock from the `.in` input, HP301).
    """

    code = "HP303"
    name = "partial-hashes"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None:
            return
        state = hash_state(ctx)
        if not state.on:
            return
        loose = file_role(ctx.source.path) != "requirements"
        covered = constraint_hashed(ctx)
        # hashes are added only when the file then passes as a whole
        blockers = hash_refusals(ctx, assume_hashed=True)
        for r in doc.requirements:
            why = refusal(r, missing_hash=not loose, covered=covered)
            if why is None:
                continue
            hashable = not is_hashed(r) and not r.editable and r.kind == "name"
            pending = pending_hashes(ctx, r) if hashable and not blockers else None
            if hashable and blockers and r.exact_version is not None:
                why += f"; not hashed: {refusal_summary(blockers, lock_input(ctx))}"
            ctx.report(
                self,
                r.start,
                r.end,
                f"hash checking is on for this file ({state.reason}), but `{show(r.text)}` "
                f"fails it: {why}",
                subject=show(r.text),
                pending=pending,
                availability=None if pending is not None else FixAvailability.NONE,
            )
        self._check_includes(ctx, state.reason, loose, covered)

    def _check_includes(
        self, ctx: RuleContext, reason: str, loose: bool, covered: frozenset[str]
    ) -> None:
        doc = ctx.doc
        root = root_relpath(ctx)
        for inc in doc.includes:  # type: ignore[attr-defined]
            if inc.kind != "requirement":
                continue
            rel = _included_relpath(ctx, inc)
            if rel is None:
                continue
            if hash_state(ctx, rel).on and _linted_by_itself(ctx, rel):
                continue  # it turns hash checking on by itself: its own findings say it
            refused = [
                r
                for f in closure(ctx, rel).installed()
                if f.relpath != root  # an include cycle back to this file
                for r in f.parsed.requirements
                if refusal(r, missing_hash=not loose, covered=covered) is not None
            ]
            if not refused:
                continue
            n = len(refused)
            some = f"{n} requirements there fail" if n != 1 else "1 requirement there fails"
            ctx.report(
                self,
                inc.start,
                inc.end,
                f"hash checking is on for this file ({reason}), so it applies to "
                f"`{show(inc.path)}` too, but {some} it "
                f"({_names(refused)}): pip refuses the whole install; hash them, or install that "
                f"file in a separate pip install",
                subject=f"-r {show(inc.path)}",
                availability=FixAvailability.NONE,
            )


def _included_relpath(ctx: RuleContext, inc: object) -> str | None:
    """Where a `-r` include of the document was read from (None when it was not read, or
    was read already through an earlier include)."""
    for f in closure(ctx).files[1:]:
        if f.via is inc:
            # files are in reading order: the first one reached through the include is its target
            return f.relpath
    return None


def _linted_by_itself(ctx: RuleContext, rel: str) -> bool:
    """Whether hardpin finds the included file as a requirements file when walking."""
    import os

    from hardpin.discovery import kind_of

    path = rel if ctx.base_dir is None else os.path.join(ctx.base_dir, rel)
    return kind_of(path, ctx.settings) == "requirements"
