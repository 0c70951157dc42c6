"""HP206: downloaded code executed or installed without a checksum or signature check."""

from __future__ import annotations

import posixpath

from hardpin._record import field, record
from hardpin.analysis.downloads import (
    COMMIT_HASH,
    FILE_COPIERS,
    GATES_ALL,
    PATH_DIRS,
    Download,
    Extraction,
    GitCall,
    Interp,
    Redirect,
    builds_tree,
    command_start,
    extraction,
    gate,
    git_call,
    interpreter,
    is_download_tool,
    is_pinned_url,
    made_executable,
    names_checked,
    nested_before,
    package_file,
    parse_download,
    pipes_into,
    redirects,
    sets_errexit,
    shell_errexit,
    stdin_files,
    stdout_files,
    upstream,
    url_basename,
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
    from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage


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
    """A file (or, with `tree`, every file under a directory) that came from an unverified
    download, archive or clone."""

    path: str  # as written in the download command
    tool: str
    url: str
    line: int
    tree: bool = False  # a directory: what an archive or a clone wrote
    what: str = ""  # how it arrived, for messages ("" for a plain download)
    reported: bool = False  # a finding names it already


@record
class _Landing:
    """Where an unverified file was installed; reported at the end of the stage unless a
    check of the file follows."""

    taint: _Taint
    start: int
    end: int
    how: str  # "is installed into /usr/local/bin", …


@record
class _State:
    tainted: dict[str, _Taint] = field(default_factory=dict)
    cwd: str = "<cwd>"
    trees: dict[str, _Taint] = field(default_factory=dict)
    landings: list[_Landing] = field(default_factory=list)
    path_dirs: frozenset[str] = PATH_DIRS
    # paths and directories a later COPY or ADD wrote into a tree: not the tree's files
    copied: set[str] = field(default_factory=set)

    def copy(self) -> _State:
        return _State(
            dict(self.tainted), self.cwd, dict(self.trees), [], self.path_dirs, set(self.copied)
        )

    def lookup(self, key: str) -> _Taint | None:
        """The taint of a path key: the file itself, or a tree that holds it."""
        t = self.tainted.get(key)
        if t is not None or not self.trees:
            return t
        for d, tt in self.trees.items():
            if key == d or key.startswith(d.rstrip("/") + "/"):
                if self.copied and any(
                    key == c or (key.startswith(c.rstrip("/") + "/") and len(c) >= len(d))
                    for c in self.copied
                ):
                    return None
                return tt
        return None

    def overwritten(self, ins: Instruction, cwd: str) -> None:
        """What a COPY or ADD writes is no longer a downloaded file or part of a tree."""
        flags, rest = ins.flags()
        if ins.json_args is not None or len(rest) < 2:
            return
        sources, dest = rest[:-1], rest[-1].value
        dest_key = path_key(dest, cwd)
        as_dir = dest.endswith("/") or len(sources) > 1
        for w in sources:
            if as_dir or w.value in (".", "./") or w.value.endswith("/"):
                key = posixpath.join(dest_key, posixpath.basename(w.value.rstrip("/")))
                self.copied.add(dest_key if w.value.rstrip("/") in ("", ".") else key)
                if self.trees:
                    self.copied.add(dest_key)
            else:
                key = dest_key
                self.copied.add(key)
            self.tainted.pop(key, None)


def _installs_into(d: str, path_dirs: frozenset[str]) -> bool:
    """A directory on PATH, or one that holds a PATH directory (`/usr/local`, `/`, `/opt/go`
    with `/opt/go/bin` on PATH): an archive extracted there installs its programs."""
    d = d.rstrip("/") or "/"
    if d in path_dirs:
        return True
    prefix = "/" if d == "/" else d + "/"
    return any(p.startswith(prefix) for p in path_dirs)


def path_key(path: str, cwd: str) -> str:
    """A comparable key for a file path: absolute, `~/…`, `$VAR/…` as written; others joined to cwd."""
    p = path.strip()
    if p.startswith(('"', "'")):
        p = p.strip("\"'")
    if not p.startswith(("/", "~", "$")):
        p = cwd.rstrip("/") + "/" + p
    return posixpath.normpath(p)


class HP206(Rule):
    """Downloaded code run or installed without a checksum, signature or commit check.

    ## What it does
    Follows every download to where it lands, and reports code that a
    build or script downloads and then runs or installs without checking
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
      Scorecard does); or named by `ENTRYPOINT` or `CMD` (`["/entry.sh"]`,
      `["sh", "/opt/start.sh"]`). Files are followed through `cd`,
      `WORKDIR`, `mv`, `cp`, `ln` and `install`;
    * a downloaded file that is *installed*, even if the build never runs
      it (the image ships it): written, moved, copied or linked into a
      `PATH` directory (`/usr/local/bin`, `/usr/bin`, `/bin`, the `sbin`
      ones and the directories the stage's `ENV PATH` adds), made
      executable (`chmod +x`, `chmod 755`, `install` without a `-m` that
      drops the execute bits);
    * an archive extracted (`tar -x`, `bsdtar`, `unzip`, `7z x`, `gunzip`,
      also `curl URL | tar -xz -C DIR`) into a `PATH` directory or one that
      holds one (`tar -C /usr/local -xzf go.tgz`, `-C /`), or whose files are
      then run (`./configure`, `DIR/install.sh`), built (`make`, `cmake`,
      `pip install DIR`, …) or moved into `PATH`. Extracted into the
      working directory, the files are followed to the end of the `RUN`;
    * a downloaded package handed to a package installer: `dpkg -i`,
      `apt-get install ./x.deb`, `rpm -i`/`-U`, `yum`/`dnf`/`microdnf`/
      `zypper install x.rpm`, `apk add x.apk`, `pip install x.whl` (or an
      sdist), `npm install x.tgz`, `gem install x.gem`; and a package URL an
      installer fetches itself: `rpm -Uvh https://…`, `yum`/`dnf`/`zypper
      install https://….rpm`, `apk add https://…` (pip and npm URLs are
      HP203's);
    * a file copied with `COPY --from=<stage>` out of a stage that downloaded
      it, and installed or run in the new stage as above;
    * a `git clone` at a ref that can move (no ref, or a `--branch`/`-b`,
      which names a branch or a tag, and no later `git checkout <40-hex>`
      or `git reset --hard <40-hex>` in the clone) whose tree is then built
      (`make`, `cmake`, `ninja`, `go build`/`go install ./...`, `npm
      install`/`npm ci`, `cargo build`, `mvn`, `gradle`, `bundle install`,
      …), installed (`pip install DIR`, `python setup.py install`), run
      (`./configure`, `./install.sh`) or sourced (`. DIR/x.sh`). A ref from
      a build argument without a value is given the benefit of the doubt.

    A check counts only when its failure stops the build: followed by `&&`
    (it covers the rest of its `&&` chain), the last command of the `RUN`,
    a condition (`if ! … | sha256sum -c -; then exit 1; fi`), or followed
    by `;` or a newline in a `RUN` that has `set -e` (or a `SHELL` with
    `-e`, or a script with `set -e`). `check || true`, `check || echo …`
    and, without `set -e`, `check; next` stop nothing; `check || exit 1`
    and `check || { …; exit 1; }` do. A check in a later `RUN` of the
    stage still stops the build before the image ships an installed file,
    but not before a `RUN` that already ran it.

    An install (not a run) is reported once per downloaded file, at the
    first place it lands; an archive's or a clone's files once in all.

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
    `openssl dgst -verify`, `slsa-verifier verify-artifact`,
    `gh attestation verify` and `rpm -K` / `rpmkeys --checksig`. When a check does not say which file it covers
    (`sha256sum -c SHA256SUMS`, `echo "$SUM  $FILE" | sha256sum -c`), every
    file downloaded so far counts as checked. MD5 and SHA-1 checks do not
    count. Nothing can verify a pipe: `curl URL | sh` is always reported.

    Downloads from GitHub raw URLs pinned to a full commit hash
    (`raw.githubusercontent.com/<owner>/<repo>/<40-hex>/…`, also
    `github.com/…/raw/<40-hex>/…`, gists and jsDelivr `gh/…@<40-hex>`),
    and source archives of a commit (`github.com/<owner>/<repo>/archive/
    <40-hex>.tar.gz`, `codeload.github.com/…/<40-hex>`), are immutable and
    exempt.

    Variables: a URL that contains a variable is still a download (only
    its pinned-commit exemption needs its value, and Dockerfile `ARG` and
    `ENV` values are substituted for that); file paths are compared as
    written, so `$DIR/f` matches `$DIR/f` but not `/opt/f`. A bare command
    name matches a file downloaded into the working directory, except
    names of common tools (`install`, `make`, `go`, …) that almost always
    mean the tool itself; `sh -n f` only checks syntax and is not a run.

    In `RUN`s under a PowerShell `SHELL`, or under cmd (the default shell
    of Windows images) with `powershell -Command …` bodies and `curl.exe`
    downloads, the same is followed by a PowerShell reader
    (`analysis/powershell.py`): `Invoke-WebRequest`/`iwr`,
    `Invoke-RestMethod`/`irm`, `curl.exe`, `Start-BitsTransfer` and
    `(New-Object Net.WebClient).DownloadFile(…)` downloads that are run
    (`Start-Process`, `msiexec /i`, `& $path`, `.\\x.exe`, `python f`),
    extracted (`Expand-Archive`, `tar -x`,
    `[IO.Compression.ZipFile]::ExtractToDirectory`) into a directory that
    is put on `PATH` (`$env:PATH = …`, `setx PATH`,
    `[Environment]::SetEnvironmentVariable('PATH', …)`, `ENV PATH`) or
    whose files are run, and `iex` of downloaded content (`iwr URL | iex`,
    `iex ((New-Object Net.WebClient).DownloadString(URL))`). A check gates
    a file when its failure stops the build: `if ((Get-FileHash f).Hash
    -ne $sha) { throw … }` (or `exit N` with N not 0, or `Write-Error` with
    `$ErrorActionPreference = 'Stop'`), also through a variable holding
    the hash or with `-eq … else { throw }`; `-Algorithm MD5`/`SHA1` and a
    comparison that only prints do not count.

    The finding is reported at the command that runs the downloaded code
    (the interpreter, or the downloaded file itself) or at the place it is
    installed; the message says how the file arrived and where it landed
    ("`kubectl` downloaded by curl from URL (line 4) is moved into
    /usr/local/bin without a checksum or signature check"), naming the
    download's line when it is another.

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
    RUN curl -fsSL https://get.helm.sh/helm-v3.15.0-linux-amd64.tar.gz | tar -xz -C /usr/local/bin
    RUN rpm -Uvh https://dl.fedoraproject.org/pub/epel/epel-release-latest-9.noarch.rpm
    RUN git clone --branch v1.2.3 https://github.com/example/lib.git && make -C lib install
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
    check out a clone at a full commit (`git checkout <40-hex>`), or install
    the tool from a package manager with pinned, hashed versions.

    ## Fix safety
    No automatic fix: the expected checksum has to come from a trusted
    source, not from the same server as the download.
    """

    code = "HP206"
    name = "download-then-execute"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        if ctx.kind == "dockerfile":
            _windows_runs(self, ctx)
        all_units = units(ctx)
        reported: set[int] = set()
        if ctx.kind != "dockerfile":
            if not all_units:
                return
            state = _State()
            doc = ctx.doc
            errexit = _shebang_errexit(getattr(doc, "interpreter", ""), ctx.source.text)
            for unit in all_units:
                _Analysis(self, ctx, unit, state, reported, persist_cwd=True, errexit=errexit).run()
            self.flush(ctx, state)
            return
        from hardpin.analysis.dockerfile import shell_of, stage_image

        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        cwds = _run_cwds(df)
        finals: dict[int, _State] = {}
        by_ins = {u.instruction.start: u for u in all_units if u.instruction is not None}
        for st in df.stages:
            parent, _ref = stage_image(df, st)
            state = (
                finals[parent.index].copy()
                if parent is not None and parent.index in finals
                else _State()
            )
            state.path_dirs = state.path_dirs | _env_path_dirs(df, st)
            for ins in st.instructions[1:]:
                if ins.inner is not None:
                    onbuild = by_ins.get(ins.start)
                    if onbuild is not None:
                        # ONBUILD RUN runs in another build: analyse it on its own
                        own = _State(cwd=cwds.get(ins.start, state.cwd), path_dirs=state.path_dirs)
                        _Analysis(self, ctx, onbuild, own, reported).run()
                        self.flush(ctx, own)
                    continue
                cwd = cwds.get(ins.start, state.cwd)
                if ins.keyword == "RUN":
                    run = by_ins.get(ins.start)
                    if run is None:
                        continue
                    state.cwd = cwd
                    errexit = shell_errexit(shell_of(df, st, ins))
                    _Analysis(self, ctx, run, state, reported, errexit=errexit).run()
                elif ins.keyword in ("ENTRYPOINT", "CMD", "SHELL") and (
                    state.tainted or state.trees
                ):
                    self.entrypoint(ctx, ins, state, cwd, reported)
                elif ins.keyword in ("COPY", "ADD"):
                    src_stage = _from_stage(df, ins) if ins.keyword == "COPY" else None
                    if src_stage is not None and src_stage.index in finals:
                        self.copy_from(ctx, ins, src_stage, finals[src_stage.index], state, cwd)
                    else:
                        state.overwritten(ins, cwd)
            self.flush(ctx, state)
            finals[st.index] = state

    def flush(self, ctx: RuleContext, state: _State) -> None:
        """Report the installs of unverified files that no later check covered."""
        for landing in state.landings:
            t = landing.taint
            if t.reported:
                continue
            t.reported = True
            line = ctx.source.position(landing.start)[0]
            ctx.report(
                self,
                landing.start,
                landing.end,
                f"{_describe(t, line)} {landing.how} {_without(t)}",
                subject=f"{t.url} -> {t.path} -> {landing.how}",
            )
        state.landings.clear()

    def entrypoint(
        self, ctx: RuleContext, ins: Instruction, state: _State, cwd: str, reported: set[int]
    ) -> None:
        """ENTRYPOINT, CMD or SHELL naming a downloaded file (or one an interpreter it names runs)."""
        from hardpin.analysis.dockerfile import exec_words

        if ins.json_args is not None:
            words = exec_words(ins, ins.json_args)
        else:
            words = [ShWord(w.raw, w.value, w.start, w.end) for w in ins.words()]
        if not words:
            return
        target = words[0]
        interp = interpreter(words)
        if interp is not None and interp.script is not None:
            target = interp.script
        key = path_key(target.value, cwd) if "/" in target.value else ""
        t = state.lookup(key) if key else _bare_name(state, target.value, cwd)
        if t is None or target.start in reported or (t.tree and t.reported):
            return
        reported.add(target.start)
        t.reported = True
        line = ctx.source.position(target.start)[0]
        ctx.report(
            self,
            target.start,
            target.end,
            f"{_describe(t, line)} {_be(t)} run by {ins.keyword} {_without(t)}",
            subject=f"{t.url} -> {t.path} -> {ins.keyword}",
        )

    def copy_from(
        self,
        ctx: RuleContext,
        ins: Instruction,
        src_stage: Stage,
        src: _State,
        state: _State,
        cwd: str,
    ) -> None:
        """COPY --from=<stage> of files that came unverified into that stage."""
        flags, rest = ins.flags()
        if ins.json_args is not None or len(rest) < 2:
            return
        sources, dest = rest[:-1], rest[-1].value
        dest_key = path_key(dest, cwd)
        as_dir = dest.endswith("/") or len(sources) > 1
        mode = next((f.value for f in flags if f.name == "chmod" and f.value), None)
        executable = (
            mode is not None
            and mode.isdigit()
            and any(int(d) & 1 for d in mode[-3:] if d in "01234567")
        )
        stage_name = src_stage.name or str(src_stage.index)
        for w in sources:
            s_key = path_key(w.value, "/")
            found: list[tuple[str, _Taint]] = []
            t = src.lookup(s_key)
            if t is not None:
                found.append(("", t))
            prefix = s_key.rstrip("/") + "/"
            for k, tt in src.tainted.items():
                if k.startswith(prefix):
                    found.append((k[len(prefix) :], tt))
            for rel, tt in found:
                if rel:
                    new_key = posixpath.join(dest_key, rel)
                elif as_dir:
                    new_key = posixpath.join(dest_key, posixpath.basename(s_key))
                else:
                    new_key = dest_key
                state.tainted[new_key] = tt
                if tt.tree and not rel:
                    state.trees[new_key] = tt
                d = new_key if tt.tree and not rel else posixpath.dirname(new_key)
                if d in state.path_dirs or (tt.tree and _installs_into(d, state.path_dirs)):
                    state.landings.append(
                        _Landing(
                            tt,
                            w.start,
                            w.end,
                            f"{_be(tt)} copied from stage `{stage_name}` into {d}",
                        )
                    )
                elif executable:
                    state.landings.append(
                        _Landing(
                            tt,
                            w.start,
                            w.end,
                            f"{_be(tt)} copied from stage `{stage_name}` with --chmod={mode}",
                        )
                    )


def _windows_runs(rule: HP206, ctx: RuleContext) -> None:
    """RUNs under PowerShell or cmd: analysed by analysis/powershell.py."""
    from hardpin.analysis.packages import may_have_windows_runs

    if not may_have_windows_runs(ctx.doc):  # type: ignore[arg-type]
        return
    from hardpin.analysis.powershell import windows_findings

    for f in windows_findings(ctx):
        ctx.report(rule, f.start, f.end, f.message, subject=f.subject)


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
            elif (ins.inner or ins).keyword in ("RUN", "ENTRYPOINT", "CMD", "SHELL", "COPY", "ADD"):
                out[ins.start] = cwd
        final[st.index] = cwd
    return out


def _from_stage(df: Dockerfile, ins: Instruction) -> Stage | None:
    """The stage a `COPY --from=<name or index>` reads from (None for an image or no --from)."""
    f = ins.flag("from")
    if f is None or not f.value:
        return None
    name = f.value.lower()
    for st in df.stages:
        if st.name == name or (name.isdigit() and st.index == int(name)):
            return st if st.from_.start < ins.start else None
    return None


def _env_path_dirs(df: Dockerfile, st: Stage) -> frozenset[str]:
    """Literal directories a stage's `ENV PATH=…` puts on PATH."""
    from hardpin.parsers.dockerfile import stage_env

    value = stage_env(df, st).get("PATH")
    if not value:
        return frozenset()
    return frozenset(p.rstrip("/") for p in value.split(":") if p.startswith("/") and "$" not in p)


def _shebang_errexit(interpreter: str, text: str) -> bool:
    """A script whose shebang turns errexit on (`#!/bin/sh -e`, `#!/usr/bin/env -S bash -e`)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    if not first.startswith("#!"):
        return False
    return any(
        len(a) > 1 and a[0] == "-" and a[1:].isalpha() and "e" in a[1:] and a != "-S"
        for a in first[2:].split()[1:]
    )


def _be(t: _Taint) -> str:
    return "are" if t.tree and not t.what.startswith("`") else "is"


def _without(t: _Taint) -> str:
    if t.tool == "git":
        return "without a check that it is a fixed commit"
    return "without a checksum or signature check"


def _describe(t: _Taint, at_line: int) -> str:
    """How a tainted file arrived, with the line when it is not `at_line`:
    "`kubectl` downloaded by curl from URL (line 4)"."""
    where = f" (line {t.line})" if t.line != at_line else ""
    if t.what:
        return t.what.replace("{where}", where)
    name = posixpath.basename(t.path.rstrip("/")) or t.path
    return f"`{name}` downloaded by {t.tool} from {t.url}{where}"


def _bare_name(state: _State, word: str, cwd: str) -> _Taint | None:
    """The taint of a command run by its bare name: a file in a PATH directory (or the working
    directory, for names that are not common commands)."""
    if not word or word.startswith(("$(", "`", "<(")):
        return None
    here = posixpath.normpath(cwd)
    for key, t in state.tainted.items():
        if posixpath.basename(key) == word:
            d = posixpath.dirname(key)
            if d in state.path_dirs or (d == here and word not in _COMMON_COMMANDS):
                return t
    return None


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
        errexit: bool = False,
    ) -> None:
        self.errexit = errexit
        self.local_trees: list[str] = []
        # taints a check removed only until its `&&` chain ends: (end index, key, taint, tree)
        self.suspended: list[tuple[int, str, _Taint, bool]] = []
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

    def env_value(self, value: str) -> str | None:
        """A word with Dockerfile ARG/ENV values substituted; None when a variable has none."""
        if "$" not in value:
            return value
        unit = self.unit
        if not self.dockerfile or unit.stage is None or unit.instruction is None:
            return None
        from hardpin.parsers.dockerfile import expand, global_env, stage_env

        if self._env is None:
            df: Dockerfile = self.ctx.doc  # type: ignore[assignment]
            self._env = {**global_env(df), **stage_env(df, unit.stage, unit.instruction)}
        out, missing = expand(value, self._env)
        return None if missing else out

    def run(self) -> None:
        cwds = {0: self.state.cwd}
        depth = 0
        for i, cmd in enumerate(self.cmds):
            if self.suspended:
                self.restore(i)
            d = cmd.depth
            if d > depth:
                for k in range(depth + 1, d + 1):
                    cwds[k] = cwds[depth]
            depth = d
            cwd = cwds[d]
            words = self.words[i]
            if not words:
                continue
            name = basename(words[0].value)
            if name in ("cd", "pushd"):
                cwds[d] = _cd(words, cwd)
                continue
            if d == 0:
                on = sets_errexit(words)
                if on is not None:
                    self.errexit = on
            self.executions(i, cmd, words, cwd)
            self.verifications(i, cmd, words, cwd)
            self.record(i, cmd, words, cwd)
        if self.suspended:
            self.restore(len(self.cmds))
        if self.persist_cwd:
            self.state.cwd = cwds[0]
        else:
            for key in self.local_trees:
                self.state.trees.pop(key, None)

    def restore(self, i: int) -> None:
        """Taints whose check only covered an `&&` chain that has ended are back."""
        keep = []
        for item in self.suspended:
            end, key, t, tree = item
            if end <= i:
                (self.state.trees if tree else self.state.tainted).setdefault(key, t)
            else:
                keep.append(item)
        self.suspended = keep

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
        self.installs(i, words, cwd)
        if not self.state.tainted and not self.state.trees:
            return
        built = builds_tree(words)
        if built is not None:
            tool, d = built
            t = self.state.lookup(path_key(d or ".", cwd))
            if t is not None and t.tree:
                verb = "installed" if tool == "pip" else "built"
                self.report_landing(w0, t, f"{_be(t)} {verb} by {tool}")
                return
        if self.text[w0.end : w0.end + 1] == ")" or any(c in w0.value for c in "*?["):
            return  # a `case` pattern (`arm/*)`) or a glob, not a command
        t = self.executed_file(w0.value, cwd)
        if t is not None:
            self.report_file(w0, t, None)

    def installs(self, i: int, words: list[ShWord], cwd: str) -> None:
        """Package installers given a downloaded file, or a URL they fetch themselves."""
        pkg = package_file(words)
        if pkg is None:
            return
        for u in pkg.urls:
            if u.start in self.reported:
                continue
            self.reported.add(u.start)
            url = display_url(u.value, max_len=120) or "a URL"
            name = url_basename(u.value) or u.value
            self.ctx.report(
                self.rule,
                u.start,
                u.end,
                f"`{name}` is downloaded from {url} and installed by {pkg.tool} "
                "without a checksum or signature check",
                subject=f"{pkg.tool} {url}",
            )
        for f in pkg.files:
            t = self.tainted(f.value, cwd)
            if t is not None:
                self.report_landing(f, t, f"{_be(t)} installed by {pkg.tool}")

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
        return self.state.lookup(path_key(path, cwd))

    def executed_file(self, word: str, cwd: str) -> _Taint | None:
        """The taint of a command word that names a downloaded file (`./f`, `/p/f`, bare `f`)."""
        if not word or word.startswith(("$(", "`", "<(")):
            return None
        if "/" in word:
            return self.tainted(word, cwd)
        return _bare_name(self.state, word, cwd)

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
        scope = gate(self.cmds, i, self.errexit, self.words)
        if scope is None:
            return  # `check || true`, `check; next` without `set -e`: a failure stops nothing
        keys = {path_key(n, cwd) for n in names if n}
        bases = {posixpath.basename(n) for n in names if n}
        hit = [k for k in self.state.tainted if k in keys or posixpath.basename(k) in bases]
        if not hit:
            hit = list(self.state.tainted)  # the check does not say which file: give it the benefit
        cleared: set[int] = set()
        for k in hit:
            t = self.state.tainted.pop(k)
            cleared.add(id(t))
            if scope != GATES_ALL:
                self.suspended.append((scope, k, t, False))
        if scope == GATES_ALL:
            self.state.landings = [x for x in self.state.landings if id(x.taint) not in cleared]

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
                    t = tainted[key] = _Taint(
                        out, dl.tool, display_url(dl.url, max_len=120) or "an unknown URL", line
                    )
                    self.land_in_path(t, key, dl.cmd_word, "written")
            return
        name = basename(words[0].value)
        src = self.piped_download(i) if cmd.joined_by in ("|", "|&") else None
        # pipelines that carry a download: `curl URL | tee f`, `curl URL | gunzip > f`
        if src is not None:
            outs = list(stdout_files(self.reds(i)))
            if name == "tee":
                outs.extend(w.value for w in words[1:] if not w.value.startswith("-"))
            line = self.line(words[0].start)
            for out in outs:
                if out not in ("/dev/null", "/dev/stdout", "/dev/stderr"):
                    key = path_key(out, cwd)
                    t = tainted[key] = _Taint(
                        out, src.tool, display_url(src.url, max_len=120) or "an unknown URL", line
                    )
                    self.land_in_path(t, key, words[0], "written")
        ex = extraction(words)
        if ex is not None:
            self.extracted(ex, src, words, cwd)
            return
        git = git_call(words)
        if git is not None:
            self.git(git, words, cwd)
            return
        if not tainted and not self.state.trees:
            return
        if name in ("mv", "cp", "install", "ln"):
            self.copy_taint(name, words, cwd)
        elif name == "chmod":
            for f in made_executable(words):
                ft = self.tainted(f, cwd)
                if ft is not None and not ft.tree:
                    self.land(ft, words[0], f"{_be(ft)} made executable by chmod")
        elif name == "rm":
            gone = []
            for w in words[1:]:
                if not w.value.startswith("-"):
                    key = path_key(w.value, cwd)
                    gone.append(tainted.pop(key, None))
                    gone.append(self.state.trees.pop(key, None))
            # a file removed in the same stage is not in the image: its install is no longer one
            left = {id(t) for t in tainted.values()} | {id(t) for t in self.state.trees.values()}
            dropped = {id(t) for t in gone if t is not None and id(t) not in left}
            if dropped:
                self.state.landings = [x for x in self.state.landings if id(x.taint) not in dropped]

    def piped_download(self, i: int) -> Download | None:
        """The unpinned download whose output reaches command i through a pipe, if any."""
        for u in upstream(self.cmds, i):
            d = self.dls[self.index[id(u)]]
            if d is not None:
                return None if self.pinned(d) else d
        return None

    def land(self, t: _Taint, at: ShWord, how: str) -> None:
        """An install of an unverified file: reported at the end of the stage (or script) unless
        a check of the file that stops the build follows."""
        if t.reported or any(x.taint is t for x in self.state.landings):
            return
        self.state.landings.append(_Landing(t, at.start, at.end, how))

    def land_in_path(self, t: _Taint, key: str, at: ShWord, verb: str) -> None:
        d = posixpath.dirname(key)
        if d in self.state.path_dirs:
            self.land(
                t,
                at,
                f"{_be(t)} {verb} into {d}"
                if verb != "written"
                else f"{_be(t)} installed into {d}",
            )

    def extracted(
        self, ex: Extraction, src: Download | None, words: list[ShWord], cwd: str
    ) -> None:
        """An archive extracted: what it writes is as unverified as the archive."""
        line = self.line(words[0].start)
        if ex.archive is None:
            if src is None:
                return
            url = display_url(src.url, max_len=120) or "an unknown URL"
            origin = _Taint("", src.tool, url, line)
            what = f"files that {ex.tool} extracted from a download by {src.tool} of {url}{{where}}"
        else:
            arch = self.tainted(ex.archive, cwd)
            if arch is None:
                return
            origin = arch
            what = (
                f"files that {ex.tool} extracted from `{posixpath.basename(ex.archive)}` "
                f"(downloaded by {arch.tool} from {arch.url}{{where}})"
            )
        if ex.outputs:
            for out in ex.outputs:
                key = path_key(out, cwd)
                t = self.state.tainted[key] = _Taint(
                    out, origin.tool, origin.url, origin.line,
                    what=f"`{posixpath.basename(out)}`, decompressed by {ex.tool} from "
                    f"`{posixpath.basename(ex.archive or '')}` ({origin.tool} from {origin.url}{{where}}),",
                )  # fmt: skip
                self.land_in_path(t, key, words[0], "written")
            return
        dest = path_key(ex.dest or ".", cwd)
        t = _Taint(ex.dest or ".", origin.tool, origin.url, origin.line, tree=True, what=what)
        if _installs_into(dest, self.state.path_dirs):
            self.land(t, words[0], f"are extracted into {ex.dest or dest}")
        else:
            self.state.trees[dest] = t
            if ex.dest in ("", ".", "./"):
                self.local_trees.append(dest)  # the working directory: followed in this unit only

    def git(self, git: GitCall, words: list[ShWord], cwd: str) -> None:
        """`git clone` at a moving ref marks its tree; a checkout of a commit clears it."""
        base = path_key(git.directory, cwd) if git.directory else cwd
        if git.sub == "clone":
            ref = git.ref.value if git.ref is not None else None
            if ref is not None and COMMIT_HASH.match(self.env_value(ref) or "0" * 40):
                return
            if "$" in git.url and self.env_value(git.url) is None and git.url.startswith("$"):
                url = display_url(git.url, max_len=120) or git.url
            else:
                url = display_url(self.env_value(git.url) or git.url, max_len=120) or git.url
            at = f"`{ref}`" if ref is not None else "its default branch"
            dest = path_key(git.dest or ".", base)
            self.state.trees[dest] = _Taint(
                git.dest, "git", url, self.line(words[0].start), tree=True,
                what=f"`{posixpath.basename(dest)}` cloned by git from {url} at {at}{{where}}",
            )  # fmt: skip
            return
        if git.ref is None or not self.state.trees:
            return
        ref = self.env_value(git.ref.value)
        if ref is not None and not COMMIT_HASH.match(ref):
            return  # a branch or a tag: the tree still moves
        t = self.state.lookup(base)
        if t is None or not t.tree:
            return
        for k, v in list(self.state.trees.items()):
            if v is t:
                del self.state.trees[k]

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
        mode = parsed.value("-m", "--mode")
        exec_mode = (
            mode is None
            or not mode.isdigit()
            or any(int(d) & 1 for d in mode[-3:] if d in "01234567")
        )
        dest_key = path_key(dest, cwd)
        for src in operands:
            t = self.tainted(src, cwd)
            if t is None:
                continue
            if t.tree:
                if path_key(src, cwd) in self.state.trees:
                    continue  # the whole directory: followed no further
                t = _Taint(
                    src, t.tool, t.url, t.line, reported=t.reported,
                    what=f"`{posixpath.basename(src.rstrip('/'))}`, from {t.what},",
                )  # fmt: skip
            into = posixpath.join(dest_key, posixpath.basename(src.rstrip("/")))
            if target_dir is None:
                tainted[dest_key] = t
            tainted[into] = t
            verb = {"mv": "moved", "cp": "copied", "ln": "linked", "install": "installed"}[name]
            if dest_key in self.state.path_dirs:
                self.land(t, words[0], f"{_be(t)} {verb} into {dest_key}")
            elif posixpath.dirname(dest_key) in self.state.path_dirs and target_dir is None:
                self.land(t, words[0], f"{_be(t)} {verb} into {posixpath.dirname(dest_key)}")
            elif name == "install" and exec_mode:
                self.land(t, words[0], f"{_be(t)} installed by install as an executable")

    def report_landing(self, at: ShWord, t: _Taint, how: str) -> None:
        """Unverified code used where it runs: once per site for a downloaded file, once in all
        for an archive's or a clone's files."""
        if at.start in self.reported or (t.reported and (t.tree or t.what)):
            return
        self.reported.add(at.start)
        t.reported = True
        line = self.line(at.start)
        self.ctx.report(
            self.rule,
            at.start,
            at.end,
            f"{_describe(t, line)} {how} {_without(t)}",
            subject=f"{t.url} -> {t.path} -> {how}",
        )

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
        if t.what:
            if interp in (".", "source"):
                how = f"{_be(t)} sourced"
            else:
                how = f"{_be(t)} run by `{interp}`" if interp else f"{_be(t)} run (`{at.value}`)"
            self.report_landing(at, t, how)
            return
        if at.start in self.reported:
            return
        self.reported.add(at.start)
        t.reported = True
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
