"""HP206: downloaded code executed without a checksum or signature check."""

from __future__ import annotations

import posixpath

from hardpin._record import field, record
from hardpin.analysis.downloads import (
    FILE_COPIERS,
    PATH_DIRS,
    Download,
    Interp,
    Redirect,
    command_start,
    interpreter,
    is_download_tool,
    is_pinned_url,
    names_checked,
    nested_before,
    parse_download,
    pipes_into,
    redirects,
    stdin_files,
    stdout_files,
    upstream,
    verification,
)
from hardpin.analysis.options import parse
from hardpin.analysis.shell import argv, basename, units
from hardpin.model import Severity
from hardpin.parsers.shell import Command, ShWord
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import display_url

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.analysis.shell import Unit
    from hardpin.parsers.dockerfile import Dockerfile


# A bare command name runs from PATH, not from the working directory; Scorecard still
# matches a file downloaded into the working directory by its bare name (as in
# `aws s3api get-object … . && exe`), and so does hardpin, except for names that
# are far more likely the standard command than the downloaded file.
_COMMON_COMMANDS = frozenset(
    """install make cp mv rm ln mkdir chmod chown cat echo test true false tar unzip gzip sed
    awk grep find sort env sh bash go git python python3 pip pip3 node npm java curl wget
    apt-get apt apk yum dnf rpm dpkg gpg sha256sum docker kubectl helm""".split()
)


@record
class _Taint:
    """A file written by an unverified download."""

    path: str  # as written in the download command
    tool: str
    url: str
    line: int


@record
class _State:
    tainted: dict[str, _Taint] = field(default_factory=dict)
    cwd: str = "<cwd>"

    def copy(self) -> _State:
        return _State(dict(self.tainted), self.cwd)


def path_key(path: str, cwd: str) -> str:
    """A comparable key for a file path: absolute, `~/…`, `$VAR/…` as written; others joined to cwd."""
    p = path.strip()
    if p.startswith(('"', "'")):
        p = p.strip("\"'")
    if not p.startswith(("/", "~", "$")):
        p = cwd.rstrip("/") + "/" + p
    return posixpath.normpath(p)


class HP206(Rule):
    """Downloaded code executed without a checksum or signature check.

    ## What it does
    Reports code that a build or script downloads and runs without checking
    it first:

    * a download piped into an interpreter: `curl -fsSL URL | sh`,
      `wget -qO- URL | sudo bash -s --`, `curl URL | python3 -` (the whole
      pipeline counts: `curl URL | tee f | sh` too);
    * an interpreter reading a download through process substitution or a
      here-string: `bash <(curl URL)`, `bash <<< "$(curl URL)"`;
    * downloaded code passed as an argument, or run as the command itself:
      `sh -c "$(curl URL)"`, `eval "$(wget -qO- URL)"`, `$(curl URL)`;
    * a downloaded file that is executed later in the same `RUN`, in a later
      `RUN` of the same stage (or of a stage built `FROM` it), or later in
      the same script: `curl -o f URL`, `curl -O URL` and `wget URL` (the
      file is named after the URL), `wget -O f`, `curl URL > f`,
      `gsutil cp gs://… f`, `aws s3 cp s3://… f`, `aws s3api get-object …
      f`, followed by `sh f`, `bash f`, `./f`, `/abs/f`, `python f`,
      `source f`, `. f`, `sh < f`, `cat f | sh`, or `f` itself once copied
      into a `PATH` directory or when it sits in the current directory (as
      Scorecard does). Files are followed through `cd`, `WORKDIR`, `mv`,
      `cp` and `install`.

    Downloads are curl, wget, gsutil, `gcloud storage`, `aws s3 cp` and
    `aws s3api get-object`; interpreters are the POSIX shells, `su`, Python,
    Perl, Ruby, Node.js, PHP, Lua, Tcl, R, PowerShell, `source`/`.` and
    `eval` (and Java and .NET for a downloaded file they are given).

    A file is verified — and no longer reported — once a checksum or
    signature check of it runs between the download and the execution:
    `sha256sum -c` (also sha224/384/512sum, b2sum and `shasum -a 256`),
    with the list from a file (`sha256sum -c f.sha256`) or from standard
    input (`echo "<hash>  f" | sha256sum -c -`), a comparison of
    `sha256sum f` output (`[ "$(sha256sum f | cut -d' ' -f1)" = … ]`),
    `gpg --verify`, `gpgv`, `cosign verify-blob`, `minisign -V`,
    `openssl dgst -verify`, `slsa-verifier verify-artifact` and
    `gh attestation verify`. When a check does not say which file it covers
    (`sha256sum -c SHA256SUMS`, `echo "$SUM  $FILE" | sha256sum -c`), every
    file downloaded so far counts as checked. MD5 and SHA-1 checks do not
    count. Nothing can verify a pipe: `curl URL | sh` is always reported.

    Downloads from GitHub raw URLs pinned to a full commit hash
    (`raw.githubusercontent.com/<owner>/<repo>/<40-hex>/…`, also
    `github.com/…/raw/<40-hex>/…`, gists and jsDelivr `gh/…@<40-hex>`)
    are immutable and exempt.

    Variables: a URL that contains a variable is still a download (only
    its pinned-commit exemption needs its value, and Dockerfile `ARG` and
    `ENV` values are substituted for that); file paths are compared as
    written, so `$DIR/f` matches `$DIR/f` but not `/opt/f`. A bare command
    name matches a file downloaded into the working directory, except
    names of common tools (`install`, `make`, `go`, …) that almost always
    mean the tool itself; `sh -n f` only checks syntax and is not a run.

    The finding is reported at the command that runs the downloaded code
    (the interpreter, or the downloaded file itself); when the download is
    on another line its line is named in the message.

    Differences from Scorecard's Pinned-Dependencies `downloadThenRun`:
    hardpin follows downloads per stage (a file fetched in one stage does
    not exist in an unrelated stage), reads JSON exec-form `RUN` as Docker
    runs it (`RUN ["echo", "x", "&&", "/tmp/f"]` runs no shell, so nothing
    is executed), and does not report interpreters that only read data from
    the pipe (`curl URL | python3 -c 'import json, sys; …'`,
    `curl URL | perl -ne …`). It also recognises `curl -o/-O`, `tee`,
    verification steps and pinned URLs in either form.

    ## Why it matters
    Whoever controls the server, the DNS, a mirror or a CDN in between
    decides what the build runs, with the build's privileges and secrets.
    An install script fetched at build time can change between two builds
    of the same commit, and nothing in the repository records what ran.

    ## Example
    ```dockerfile
    RUN curl -fsSL https://get.example.com/install.sh | sh
    RUN wget -O /tmp/tool https://example.com/tool && chmod +x /tmp/tool
    RUN /tmp/tool --version
    ```

    ## Use instead
    ```dockerfile
    ARG TOOL_SHA256=7f3b5f0f4f7c2a1e9d3b8e6c5a4f2d1b0c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f
    RUN curl -fsSLo /tmp/tool https://example.com/tool \
     && echo "${TOOL_SHA256}  /tmp/tool" | sha256sum -c - \
     && chmod +x /tmp/tool && /tmp/tool --version
    ```
    Or pin the script to a commit
    (`https://raw.githubusercontent.com/<owner>/<repo>/<commit>/install.sh`),
    or install the tool from a package manager with pinned, hashed versions.

    ## Fix safety
    No automatic fix: the expected checksum has to come from a trusted
    source, not from the same server as the download.
    """

    code = "HP206"
    name = "download-then-execute"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        all_units = units(ctx)
        if not all_units:
            return
        reported: set[int] = set()
        if ctx.kind != "dockerfile":
            state = _State()
            for unit in all_units:
                _Analysis(self, ctx, unit, state, reported, persist_cwd=True).run()
            return
        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        cwds = _run_cwds(df)
        finals: dict[int, _State] = {}
        by_stage: dict[int, list[Unit]] = {}
        for unit in all_units:
            if unit.stage is not None:
                by_stage.setdefault(unit.stage.index, []).append(unit)
        from hardpin.analysis.dockerfile import stage_image

        for st in df.stages:
            parent, _ref = stage_image(df, st)
            state = (
                finals[parent.index].copy()
                if parent is not None and parent.index in finals
                else _State()
            )
            for unit in by_stage.get(st.index, []):
                ins = unit.instruction
                if ins is not None and ins.inner is not None:
                    # ONBUILD RUN runs in another build: analyse it on its own
                    _Analysis(
                        self, ctx, unit, _State(cwd=cwds.get(ins.start, state.cwd)), reported
                    ).run()
                    continue
                if ins is not None:
                    state.cwd = cwds.get(ins.start, state.cwd)
                _Analysis(self, ctx, unit, state, reported).run()
            finals[st.index] = state


def _run_cwds(df: Dockerfile) -> dict[int, str]:
    """The working directory of every RUN (by instruction offset), from WORKDIR instructions."""
    from hardpin.analysis.dockerfile import stage_image

    out: dict[int, str] = {}
    final: dict[int, str] = {}
    for st in df.stages:
        parent, _ref = stage_image(df, st)
        cwd = (
            final.get(parent.index, f"<stage{parent.index}>")
            if parent is not None
            else f"<stage{st.index}>"
        )
        for ins in st.instructions[1:]:
            if ins.keyword == "WORKDIR":
                ws = ins.words()
                if ws:
                    cwd = path_key(ws[0].value, cwd)
            elif (ins.inner or ins).keyword == "RUN":
                out[ins.start] = cwd
        final[st.index] = cwd
    return out


class _Analysis:
    """One unit (a RUN or a script), in order, against the stage's state."""

    def __init__(
        self,
        rule: HP206,
        ctx: RuleContext,
        unit: Unit,
        state: _State,
        reported: set[int],
        persist_cwd: bool = False,
    ) -> None:
        self.reported_downloads: set[int] = ctx.cached("hp206:reported-downloads", set)
        self.rule = rule
        self.ctx = ctx
        self.text = ctx.source.text
        self.dockerfile = ctx.kind == "dockerfile"
        self.cmds = unit.commands
        self.state = state
        self.reported = reported
        self.persist_cwd = persist_cwd
        self.words = [argv(c) for c in self.cmds]
        self._reds: dict[int, list[Redirect]] = {}
        self.dls: list[Download | None] = [
            parse_download(w, self.reds(k)) if is_download_tool(w) else None
            for k, w in enumerate(self.words)
        ]
        self.index = {id(c): k for k, c in enumerate(self.cmds)}
        self.unit = unit
        self._env: dict[str, str | None] | None = None

    def reds(self, k: int) -> list[Redirect]:
        """The redirections of command k (read from the source text on first use)."""
        got = self._reds.get(k)
        if got is None:
            c = self.cmds[k]
            got = self._reds[k] = redirects(self.text, c, self.dockerfile) if c.words else []
        return got

    def pinned(self, dl: Download) -> bool:
        """Every URL of the download is pinned to a commit (Dockerfile ARG/ENV values substituted)."""
        if dl.pinned:
            return True
        unit = self.unit
        if not self.dockerfile or unit.stage is None or unit.instruction is None or not dl.urls:
            return False
        if not all("$" in u.value for u in dl.urls):
            return False
        from hardpin.parsers.dockerfile import expand, global_env, stage_env

        if self._env is None:
            df: Dockerfile = self.ctx.doc  # type: ignore[assignment]
            self._env = {**global_env(df), **stage_env(df, unit.stage, unit.instruction)}
        for u in dl.urls:
            value, missing = expand(u.value, self._env)
            if missing or not is_pinned_url(value):
                return False
        return True

    def line(self, offset: int) -> int:
        return self.ctx.source.position(offset)[0]

    def run(self) -> None:
        cwd = self.state.cwd
        for i, cmd in enumerate(self.cmds):
            words = self.words[i]
            if not words:
                continue
            name = basename(words[0].value)
            if name in ("cd", "pushd") and cmd.depth == 0:
                cwd = _cd(words, cwd)
                continue
            self.executions(i, cmd, words, cwd)
            self.verifications(i, cmd, words, cwd)
            self.record(i, cmd, words, cwd)
        if self.persist_cwd:
            self.state.cwd = cwd

    # -- what runs downloaded code ------------------------------------------

    def executions(self, i: int, cmd: Command, words: list[ShWord], cwd: str) -> None:
        w0 = words[0]
        if w0.value.startswith(("$(", "`")):
            # `$(curl URL)` as the command itself: the download's output is run
            for c in nested_before(self.cmds, i):
                dl = self.dls[self.index[id(c)]]
                if w0.start <= command_start(c) < w0.end and dl is not None and not self.pinned(dl):
                    self.report_substitution(w0, dl)
                    return
        interp = interpreter(words)
        if interp is not None:
            if self.direct(i, cmd, interp):
                return
            if interp.script is not None:
                t = self.tainted(interp.script.value, cwd)
                if t is not None:
                    self.report_file(interp.word, t, interp.name)
                    return
            if interp.stdin:
                for f in stdin_files(self.reds(i)):
                    t = self.tainted(f, cwd)
                    if t is not None:
                        self.report_file(interp.word, t, interp.name)
                        return
                for up in upstream(self.cmds, i):
                    uw = self.words[self.index[id(up)]]
                    if uw and basename(uw[0].value) == "cat":
                        for a in uw[1:]:
                            t = self.tainted(a.value, cwd)
                            if t is not None:
                                self.report_file(interp.word, t, interp.name)
                                return
            if interp.any_arg:
                for a in words[1:]:
                    if a.value.startswith("-"):
                        continue
                    t = self.tainted(a.value, cwd)
                    if t is not None:
                        self.report_file(interp.word, t, interp.name)
                        return
        if not self.state.tainted:
            return
        t = self.executed_file(w0.value, cwd)
        if t is not None:
            self.report_file(w0, t, None)

    def direct(self, i: int, cmd: Command, interp: Interp) -> bool:
        """Pipes, process substitution, here-strings and `-c "$(…)"`: report and return True."""
        nested = nested_before(self.cmds, i)
        spans: list[ShWord] = list(interp.code)
        if interp.script is not None and interp.script.value.startswith("<("):
            spans.append(interp.script)
        for w in spans:
            for c in nested:
                if w.start <= command_start(c) < w.end:
                    dl = self.dls[self.index[id(c)]]
                    if dl is not None and not self.pinned(dl):
                        how = (
                            "through process substitution"
                            if w is interp.script
                            else "as a command argument"
                        )
                        self.report_direct(interp, dl, how)
                        return True
        if not interp.stdin:
            return False
        for up in upstream(self.cmds, i):
            dl = self.dls[self.index[id(up)]]
            if dl is not None and not self.pinned(dl):
                self.report_direct(interp, dl, "through a pipe")
                return True
        # here-string: `bash <<< "$(curl …)"` (lexed as nested, but inside no word)
        for c in nested:
            s = command_start(c)
            if any(w.start <= s < w.end for w in cmd.words):
                continue
            dl = self.dls[self.index[id(c)]]
            if dl is not None and not self.pinned(dl):
                self.report_direct(interp, dl, "through a here-string")
                return True
        return False

    def tainted(self, path: str, cwd: str) -> _Taint | None:
        if not path or path.startswith("<("):
            return None
        return self.state.tainted.get(path_key(path, cwd))

    def executed_file(self, word: str, cwd: str) -> _Taint | None:
        """The taint of a command word that names a downloaded file (`./f`, `/p/f`, bare `f`)."""
        if not word or word.startswith(("$(", "`", "<(")):
            return None
        if "/" in word:
            return self.tainted(word, cwd)
        here = posixpath.normpath(cwd)
        for key, t in self.state.tainted.items():
            if posixpath.basename(key) == word:
                d = posixpath.dirname(key)
                if d in PATH_DIRS or (d == here and word not in _COMMON_COMMANDS):
                    return t
        return None

    # -- checks -----------------------------------------------------------

    def verifications(self, i: int, cmd: Command, words: list[ShWord], cwd: str) -> None:
        if not self.state.tainted:
            return
        check = verification(words, cmd.depth > 0, pipes_into(self.cmds, i))
        if check is None:
            return
        names = names_checked(check.names, check.lists)
        if check.stdin:
            for up in upstream(self.cmds, i):
                for w in self.words[self.index[id(up)]][1:]:
                    names.extend(n.lstrip("*") for n in w.value.split())
        keys = {path_key(n, cwd) for n in names if n}
        bases = {posixpath.basename(n) for n in names if n}
        hit = [k for k in self.state.tainted if k in keys or posixpath.basename(k) in bases]
        if not hit:
            hit = list(self.state.tainted)  # the check does not say which file: give it the benefit
        for k in hit:
            del self.state.tainted[k]

    # -- what downloads write ----------------------------------------------

    def record(self, i: int, cmd: Command, words: list[ShWord], cwd: str) -> None:
        dl = self.dls[i]
        tainted = self.state.tainted
        if dl is not None:
            line = self.line(words[0].start)
            for out in dl.outputs:
                key = path_key(out, cwd)
                if self.pinned(dl):
                    tainted.pop(key, None)
                else:
                    tainted[key] = _Taint(
                        out, dl.tool, display_url(dl.url, max_len=120) or "an unknown URL", line
                    )
            return
        name = basename(words[0].value)
        # pipelines that carry a download: `curl URL | tee f`, `curl URL | gunzip > f`
        if cmd.joined_by in ("|", "|&"):
            src = next(
                (
                    d
                    for d in (self.dls[self.index[id(u)]] for u in upstream(self.cmds, i))
                    if d is not None
                ),
                None,
            )
            if src is not None and not self.pinned(src):
                outs = list(stdout_files(self.reds(i)))
                if name == "tee":
                    outs.extend(w.value for w in words[1:] if not w.value.startswith("-"))
                line = self.line(words[0].start)
                for out in outs:
                    if out not in ("/dev/null", "/dev/stdout", "/dev/stderr"):
                        tainted[path_key(out, cwd)] = _Taint(
                            out,
                            src.tool,
                            display_url(src.url, max_len=120) or "an unknown URL",
                            line,
                        )
        if name in ("mv", "cp", "install", "ln") and tainted:
            self.copy_taint(name, words, cwd)
        elif name == "rm":
            for w in words[1:]:
                if not w.value.startswith("-"):
                    tainted.pop(path_key(w.value, cwd), None)

    def copy_taint(self, name: str, words: list[ShWord], cwd: str) -> None:
        tainted = self.state.tainted
        parsed = parse(words[1:], FILE_COPIERS[name])
        target_dir = parsed.value("-t", "--target-directory") or None
        operands = [w.value for w in parsed.operands]
        if target_dir is None:
            if len(operands) < 2:
                return
            dest = operands.pop()
        else:
            dest = target_dir
        for src in operands:
            t = tainted.get(path_key(src, cwd))
            if t is None:
                continue
            if target_dir is None:
                tainted[path_key(dest, cwd)] = t
            tainted[path_key(posixpath.join(dest, posixpath.basename(src.rstrip("/"))), cwd)] = t

    # -- reports ------------------------------------------------------------

    def report_substitution(self, at: ShWord, dl: Download) -> None:
        if at.start in self.reported or dl.cmd_word.start in self.reported_downloads:
            return  # `sh -c "$(curl …)"` was reported at `sh` already
        self.reported.add(at.start)
        url = display_url(dl.url, max_len=120) or "a URL hardpin cannot read"
        self.ctx.report(
            self.rule,
            at.start,
            at.end,
            f"the output of {dl.tool} from {url} is run as a command, "
            "without a checksum or signature check",
            subject=f"$({dl.tool} {url})",
        )

    def report_direct(self, interp: Interp, dl: Download, how: str) -> None:
        at = interp.word
        self.reported_downloads.add(dl.cmd_word.start)
        if at.start in self.reported:
            return
        self.reported.add(at.start)
        url = display_url(dl.url, max_len=120) or "a URL hardpin cannot read"
        where = ""
        dl_line = self.line(dl.cmd_word.start)
        if dl_line != self.line(at.start):
            where = f" (line {dl_line})"
        self.ctx.report(
            self.rule,
            at.start,
            at.end,
            f"`{interp.name}` runs code downloaded by {dl.tool} from {url}{where} {how}, "
            "without a checksum or signature check",
            subject=f"{dl.tool} {url} | {interp.name}",
        )

    def report_file(self, at: ShWord, t: _Taint, interp: str | None) -> None:
        if at.start in self.reported:
            return
        self.reported.add(at.start)
        where = f" (line {t.line})" if t.line != self.line(at.start) else ""
        if interp:
            head = f"`{interp}` runs `{t.path}`, which {t.tool} downloaded"
        else:
            head = f"`{at.value}` is run here; {t.tool} downloaded it"
        self.ctx.report(
            self.rule,
            at.start,
            at.end,
            f"{head} from {t.url}{where} without a checksum or signature check in between",
            subject=f"{t.url} -> {t.path} -> {interp or posixpath.basename(t.path)}",
        )


def _cd(words: list[ShWord], cwd: str) -> str:
    """The directory after `cd ARG` (an opaque token when it cannot be known)."""
    args = [w.value for w in words[1:] if not (w.value.startswith("-") and w.value != "-")]
    if not args:
        return "~"
    if args[0] == "-":
        return f"<unknown:{words[0].start}>"
    return path_key(args[0], cwd)
