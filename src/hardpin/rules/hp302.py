"""HP302: pinned requirement without a hash."""

from __future__ import annotations

from hardpin.analysis.requirements import (
    file_role,
    hash_refusals,
    hash_state,
    is_hashed,
    lock_input,
    pending_hashes,
    refusal_summary,
    requirements_doc,
    show,
)
from hardpin.model import FixAvailability, Severity
from hardpin.rules.base import Rule, RuleContext


class HP302(Rule):
    r"""Pinned requirement without a hash.

    ## What it does
    Reports requirements pinned with `==` (or `===`) that carry no
    `--hash`, in a requirements file where pip does not check hashes at all
    (no requirement of the install has one and `--require-hashes` is not
    set, in this file or in the files it includes with `-r`/`-c`). When
    hash checking is on, a missing hash makes pip refuse the whole install:
    that is HP303's error, not this warning.

    Not reported: pip-tools input files (`*.in`), constraints files
    (`constraints*.txt`, `*-constraints.txt`, `*_constraints.txt`, which
    install nothing), unpinned requirements (HP301), and URL, VCS and
    path requirements (HP304).

    ## Why it matters
    A version pin says which release to install, not which bytes. A file
    replaced on the index or on a mirror, or served by a compromised proxy,
    installs without complaint. With a hash for every requirement, pip
    checks each downloaded file against the digests recorded when the file
    was locked and refuses anything else.

    ## Example
    ```text
    flask==3.0.3
    ```

    ## Use instead
    ```text
    flask==3.0.3 \
        --hash=sha256:34e815dfaa43340d1d15a5c3a02b8476004037eb4840b34910c6e21679d288f3 \
        --hash=sha256:ceb27b0af3823ea2737928a4d99d125a06175b8512c445cbd9a9ce200ef76842
    ```
    `pip-compile --generate-hashes` (or `uv pip compile --generate-hashes`)
    writes these for every requirement and every dependency.

    ## Fix safety
    Fixable with network, for the whole file at once: pip turns hash
    checking on for every requirement as soon as one has a hash, so hashes
    are added only when, after the fix, every requirement pip reads for the
    file (its `-r` includes too; constraints only need what pip asks of
    them) is pinned with `==` and hashed. A file with an unpinned, editable,
    VCS, directory or unhashed URL requirement, an include hardpin cannot
    read, a hash lookup that fails, or an included file that stays unhashed
    (one that is not fixed in the same run) is left as it is, and the
    finding says why; `--fix --unsafe-fixes` re-locks it from its `.in`
    input when there is one (HP301). Files that include the fixed file are
    checked the same way. `hardpin check --fix` asks the file's index
    (its `--index-url` and `--extra-index-url`s, else the configured or
    default index) for the files of the pinned version and writes one
    `--hash` per file, sorted, on continuation lines as pip-compile does; a
    trailing comment stays at the end of the last line. The pinned version
    does not change. Files with `--no-index` are not fixed (there is no
    index to ask).
    """

    code = "HP302"
    name = "requirement-without-hash"
    severity = Severity.WARNING
    fix = FixAvailability.NETWORK
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None or file_role(ctx.source.path) != "requirements":
            return
        if hash_state(ctx).on:
            return  # every missing hash is HP303's
        # hashes on some lines turn hash checking on for all of them: they are added only
        # when every requirement pip reads for this file can then pass it
        blockers = hash_refusals(ctx, assume_hashed=True)
        for r in doc.requirements:
            if r.kind != "name" or r.editable or not r.pinned or is_hashed(r):
                continue
            pending = None if blockers else pending_hashes(ctx, r)
            if blockers:
                how = f"not hashed: {refusal_summary(blockers, lock_input(ctx))}"
            elif pending is not None:
                how = "add --hash for its files"
            else:
                how = "add --hash for its files (pip hash FILE, or pip-compile --generate-hashes)"
            ctx.report(
                self,
                r.start,
                r.end,
                f"`{show(r.text)}` is pinned but has no --hash, so pip accepts any file with that "
                f"version; {how}",
                subject=show(r.text),
                pending=pending,
                availability=None if pending is not None else FixAvailability.NONE,
            )
