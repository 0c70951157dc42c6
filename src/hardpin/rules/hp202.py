"""HP202: pip install without hash checking."""

from __future__ import annotations

from hardpin.analysis.options import Option
from hardpin.analysis.pip import PipCall, ReqFile, pip_calls, read_file, show
from hardpin.analysis.requirements import is_hashed, sets_hash_mode
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import canonical_name

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.parsers.requirements import Requirement

_FIX = "pin every requirement with --hash in a requirements file (pip-compile --generate-hashes)"


def _names(reqs: list[Requirement], limit: int = 3) -> str:
    shown = [f"`{show(r.text)}`" for r in reqs[:limit]]
    return ", ".join(shown) + (", …" if len(reqs) > limit else "")


class HP202(Rule):
    r"""pip install without hash checking.

    ## What it does
    Reports pip installs whose files pip does not check against known
    hashes (in `RUN` instructions of every form — under PowerShell and cmd
    too — and in shell scripts; pip
    spelled and wrapped in any way, as for HP201; `pip download` and
    `pip wheel` count too, since their output is usually installed later
    with `--no-index`):

    - requirements pinned on the command line (`pip install flask==3.0.3`,
      `pip install --upgrade pip==24.2`): the command line cannot carry
      hashes. Unpinned ones are HP201's;
    - `-r FILE` when FILE is not fully hashed. hardpin reads the file:
      in a Dockerfile it follows the `COPY`/`ADD` (or
      `RUN --mount=type=bind`) of the same stage (or of the stages it is
      built `FROM`) that put FILE at the path pip reads — the RUN's
      `WORKDIR` and `cd` are followed, `COPY requirements.txt .`,
      `COPY requirements*.txt /app/`, `COPY . .`, `COPY app/ /app/` and
      `COPY <<EOF` heredocs are understood — and maps it back to the build
      context (the Dockerfile's directory, or the `build-context` setting
      relative to it); in a script FILE is read relative to the script's
      directory (following `cd`). Nested `-r` files are followed. When every
      requirement in them carries `--hash`, pip checks hashes by itself and
      nothing is reported; a partly hashed file is reported with the
      requirements that lack one; a file that cannot be found (a URL, a
      variable, a copy from another stage, a missing file) is reported as
      not checkable;
    - local directories (`pip install .`, `pip install -e .[dev]`,
      `./src`), VCS URLs and archive URLs installed without `--no-deps`:
      their dependencies are resolved from the index without hashes;
    - `xargs pip install` (one requirement at a time, never hashed);
    - requirements named without a version that a `-c` constraints file
      (read as `-r` files are) pins with `==` but without `--hash`
      (`pip install -c constraints.txt flask`): HP201 accepts the pin,
      but the file is not checked. A `--hash` in a constraints file turns
      on hash checking for the whole command, as in pip.

    Nothing is reported with `--require-hashes` (or `PIP_REQUIRE_HASHES`
    set in the environment, an `ENV`, or the command's prefix), when any
    requirement of the command carries a hash (pip then switches to hash
    checking for all of them), with `--no-index` and local `--find-links`
    (the files come from a directory prepared earlier, where the download
    itself is checked), or for local archive files (`dist/*.whl`), which
    pip installs as they are (OpenSSF Scorecard treats them as pinned too).

    This goes beyond OpenSSF Scorecard, which ignores `--hash` lines and
    never opens the `-r` file, and beyond hadolint, which has no hash check.
    Two things Scorecard reports are deliberately not reported: `pip install`
    with no requirement at all (pip refuses to run, nothing is installed),
    and `pip install --no-deps .` (the local project without its
    dependencies, which Scorecard accepts in its `-e` form only).

    ## Why it matters
    A version pin says which release to install, not which bytes: a package
    file replaced on the index or a mirror, or served by a compromised
    proxy, installs without complaint. With hashes pip refuses any file
    whose digest differs from the one recorded when the requirements were
    locked. Dependencies that pip resolves by itself are neither pinned nor
    hashed.

    ## Example
    ```dockerfile
    COPY requirements.txt .
    RUN pip install -r requirements.txt \
     && pip install gunicorn==22.0.0 \
     && pip install .
    ```

    ## Use instead
    ```dockerfile
    COPY requirements.txt .
    RUN pip install --require-hashes --no-deps -r requirements.txt \
     && pip install --no-deps .
    ```
    with `requirements.txt` produced by `pip-compile --generate-hashes` (or
    `uv pip compile --generate-hashes`) and including gunicorn and the
    project's own dependencies.

    ## Fix safety
    No automatic fix here: adding hashes needs the index (a later
    `hardpin` command fills them in for requirements files).
    """

    code = "HP202"
    name = "pip-install-without-hashes"
    severity = Severity.WARNING
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for call in pip_calls(ctx):
            if call.help or not call.uses_index or call.require_hashes:
                continue
            self._check_call(ctx, call)

    def _check_call(self, ctx: RuleContext, call: PipCall) -> None:
        files: list[tuple[Option, ReqFile]] = []
        for o in call.values("--requirement", "--requirements"):
            if o.value is not None:
                files.append((o, read_file(ctx, call, o.value)))
        constraints = [
            read_file(ctx, call, o.value)
            for o in call.values("--constraint", "--constraints")
            if o.value is not None
        ]
        # any hash turns on pip's hash-checking mode for the whole command, one in a
        # constraints file too
        hash_mode = any(rf.generated_by for _, rf in files) or sets_hash_mode(
            [f for _, rf in files for _p, f in rf.files]
            + [f for rf in constraints for _p, f in rf.files]
        )
        for o, rf in files:
            self._check_file(ctx, call, o, rf, hash_mode)
        if hash_mode:
            return
        # names a constraints file pins (==) without a hash: HP201 accepts the pin
        constrained: dict[str, str] = {}
        for rf in constraints:
            for c in rf.requirements:
                if c.name and c.pinned and not is_hashed(c):
                    constrained.setdefault(canonical_name(c.name), show(rf.written))
        for r in call.reqs:
            w = r.word
            where = constrained.get(canonical_name(r.name)) if r.name else None
            if r.kind == "name" and not r.exact and where is not None:
                ctx.report(
                    self,
                    w.start,
                    w.end,
                    f"`{show(r.text)}` is pinned by the constraints file {where} but without a "
                    f"hash, so any file with that version is accepted; {_FIX} and install it "
                    f"with --require-hashes",
                    subject=call.subject(show(r.text)),
                )
            elif r.kind == "name" and r.exact:
                ctx.report(
                    self,
                    w.start,
                    w.end,
                    f"`{show(r.text)}` is pinned but installed without a hash, so any file with that "
                    f"version is accepted; {_FIX} and install it with --require-hashes",
                    subject=call.subject(show(r.text)),
                )
            elif r.kind in ("path", "vcs", "url") and (call.tool == "pipx" or not call.no_deps):
                what = {
                    "path": "the local project",
                    "vcs": "the VCS install",
                    "url": "the archive",
                }[r.kind]
                how = (
                    "pipx cannot skip them: install it with pip in a virtual environment instead"
                    if call.tool == "pipx"
                    else "install them first from a hashed requirements file and add --no-deps"
                )
                ctx.report(
                    self,
                    w.start,
                    w.end,
                    f"the dependencies of {what} `{show(r.text)}` are resolved from the index "
                    f"without hash checking; {how}",
                    subject=call.subject(show(r.text)),
                )
        if call.xargs:
            w = call.words[0]
            ctx.report(
                self,
                w.start,
                w.end,
                "pip run through xargs installs requirements one at a time without hash checking; "
                "use pip install --require-hashes -r FILE",
                subject=call.subject("(xargs)"),
            )

    def _check_file(
        self, ctx: RuleContext, call: PipCall, o: Option, rf: ReqFile, hash_mode: bool
    ) -> None:
        w = o.value_word or o.word
        written = show(rf.written)
        subject = call.subject("-r", written)
        if rf.generated_by:
            return  # written with hashes by an earlier command of the build
        if not rf.found:
            if hash_mode:
                return  # pip checks hashes for every file of the command
            ctx.report(
                self,
                w.start,
                w.end,
                f"`-r {written}` could not be checked for hashes ({rf.why}); {_FIX} and "
                f"add --require-hashes so pip enforces them",
                subject=subject,
            )
            return
        reqs = rf.requirements
        if not reqs:
            if rf.missing_includes and not hash_mode and not rf.require_hashes:
                missing = ", ".join(f"`{show(m)}`" for m in rf.missing_includes[:3])
                ctx.report(
                    self,
                    w.start,
                    w.end,
                    f"`-r {written}` could not be checked for hashes: it includes {missing}, which "
                    f"hardpin could not read; add --require-hashes so pip enforces them",
                    subject=subject,
                )
            return
        unhashed = [r for r in reqs if not is_hashed(r)]
        if not unhashed:
            return
        if len(unhashed) == len(reqs) and not hash_mode:
            ctx.report(
                self,
                w.start,
                w.end,
                f"none of the {len(reqs)} requirement(s) in {written} has a --hash, so pip installs "
                f"them without checking the files; {_FIX}",
                subject=subject,
            )
            return
        ctx.report(
            self,
            w.start,
            w.end,
            f"{len(unhashed)} of the {len(reqs)} requirement(s) in {written} have no --hash "
            f"({_names(unhashed)}); pip turns on hash checking for all requirements when one has a "
            f"hash and then refuses the others: hash every requirement",
            subject=subject,
        )
