"""HP301: requirement not pinned to an exact version."""

from __future__ import annotations

from hardpin.analysis.requirements import (
    file_role,
    index_urls,
    parsed_related,
    requirements_doc,
    show,
)
from hardpin.model import FixAvailability, LockKey, Pending, Severity
from hardpin.rules.base import Rule, RuleContext


class HP301(Rule):
    """Requirement not pinned to an exact version.

    ## What it does
    Reports every named requirement in a pip requirements file that is not
    pinned to one exact version with `==` or `===`: no version at all
    (`flask`), a range (`flask>=3`, `flask~=3.0`, `flask<4`), or a
    wildcard (`flask==3.*`). Extras and markers do not matter
    (`flask[async]==3.0.3; python_version >= "3.9"` is pinned), and a
    version from an environment variable (`flask==${FLASK_VERSION}`) is
    taken as pinned, since pip substitutes it before reading the line.

    Not reported: pip-tools input files (`*.in`), which exist to hold
    loose requirements; constraints files (`constraints*.txt`,
    `*-constraints.txt`, `*_constraints.txt`), which only restrict
    versions and install nothing; URL, VCS and local-path requirements
    (HP304 checks those).

    ## Why it matters
    An unpinned requirement installs whatever the index holds on the day of
    the build: a new release — or a compromised one, published minutes
    ago — goes straight into the image or the deployment, and two builds of
    the same commit can differ.

    ## Example
    ```text
    flask>=3
    requests
    ```

    ## Use instead
    ```text
    flask==3.0.3
    requests==2.32.3
    ```
    Better: keep the loose requirements in `requirements.in` and generate
    the pinned file with `pip-compile --generate-hashes` (or
    `uv pip compile --generate-hashes`), which pins the dependencies of
    your dependencies too.

    ## Fix safety
    Unsafe, with network: when `X.txt` sits beside its pip-tools input
    `X.in`, `hardpin check --fix --unsafe-fixes` (and `--diff`, always)
    re-locks the whole file with `pip-compile --generate-hashes --allow-unsafe`
    (or `uv pip compile`, when uv is installed), against the same index
    settings; `hardpin lock X.in` does the same on request and also writes a
    missing `X.txt`. Locking resolves the whole set of requirements against
    the index, which may pick versions other than those installed today:
    review the generated file. Without an `.in` input there is nothing to
    re-lock from, and the finding is not fixable.
    """

    code = "HP301"
    name = "unpinned-requirement"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK
    kinds = frozenset({"requirements"})

    def check(self, ctx: RuleContext) -> None:
        doc = requirements_doc(ctx)
        if doc is None or file_role(ctx.source.path) != "requirements":
            return
        lock = _lock_pending(ctx)
        lock_input = (
            lock.key.input_path if lock is not None and isinstance(lock.key, LockKey) else ""
        )
        for r in doc.requirements:
            if r.kind != "name" or r.editable or r.pinned:
                continue
            spec = r.specifier.strip()
            if not spec:
                why = "has no version"
            elif "*" in spec and "==" in spec:
                why = f"uses a wildcard ({spec})"
            else:
                why = f"allows a range of versions ({spec})"
            ctx.report(
                self,
                r.start,
                r.end,
                f"`{show(r.text)}` {why}, so each install may get a different release; "
                f"pin it with == (lock the file with pip-compile --generate-hashes)"
                + (
                    f"; `--fix --unsafe-fixes` re-locks it from {lock_input.rsplit('/', 1)[-1]}"
                    if lock is not None
                    else ""
                ),
                subject=show(r.text),
                pending=lock,
                # fixable only by re-locking from the pip-tools input beside the file
                availability=None if lock is not None else FixAvailability.NONE,
            )


def _lock_pending(ctx: RuleContext) -> Pending | None:
    """For `X.txt` beside a pip-tools input `X.in`: the whole-file fix that re-locks it
    (pip-compile or uv, with hashes; unsafe, shown by --diff)."""
    import os

    if ctx.base_dir is None:
        return None
    name = os.path.basename(ctx.source.path)
    stem, ext = os.path.splitext(name)
    if ext != ".txt":
        return None
    parsed = parsed_related(ctx, stem + ".in")
    if parsed is None:
        return None
    urls = index_urls(parsed)  # the input's own indexes, as `hardpin lock` uses them
    in_path = os.path.join(ctx.base_dir, stem + ".in")
    out_path = os.path.join(ctx.base_dir, name)
    return Pending(LockKey(in_path, out_path, urls or ()), 0, len(ctx.source.text))
