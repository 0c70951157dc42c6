"""HP212: cargo, composer, conda, bundle, poetry, pdm and pipenv installs that are not pinned."""

from __future__ import annotations

import posixpath
import re

from hardpin._lazy import lazy_re
from hardpin.analysis.options import parse
from hardpin.analysis.packages import BUNDLE, CARGO, COMPOSER, CONDA, HEX40, PY_PROJECT
from hardpin.analysis.shell import (
    DECLARATIONS,
    Env,
    exe_name,
    known,
    prologue,
    resolve_word,
    units,
)
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.analysis.shell import Unit
    from hardpin.parsers.dockerfile import Dockerfile, Stage
    from hardpin.parsers.shell import ShWord

# `cargo install --version`: a version without an operator is exact, as is `=X.Y.Z`
_CARGO_EXACT = lazy_re(r"^=?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
# composer: `1.2.3`, `v1.2.3`, `1.2.3-beta1`, `dev-main#<commit>`
_COMPOSER_EXACT = lazy_re(
    r"^(?:==?)?v?\d+(?:\.\d+){0,3}(?:-?[A-Za-z]+\.?\d*)?$|^dev-[^#\s]+#[0-9a-fA-F]{40}$"
)
# conda: `name=1.2.3`, `name==1.2.3`, `name=1.2.3=build`, `name 1.2.3`
_CONDA_SPEC = lazy_re(r"^([A-Za-z0-9_.-]+)(?:\s*(==?)\s*|\s+)(\d[^\s,|<>!*]*)?(?:=\S+)?$")
_CONDA_BRACKET_VERSION = lazy_re(r"version\s*=\s*['\"]?=?=?\d[^'\",|<>!*\]]*['\"]?\s*[,\]]")
_TRUE = frozenset({"true", "1", "yes"})
_CONDA = frozenset({"conda", "mamba", "micromamba"})

# (tool, lock file, manifest)
_PROJECTS = {
    "poetry": ("poetry.lock", "pyproject.toml"),
    "pdm": ("pdm.lock", "pyproject.toml"),
    "pipenv": ("Pipfile.lock", "Pipfile"),
}


class _State:
    """What one shell unit has set so far."""

    __slots__ = ("env", "cwd", "frozen")

    def __init__(self, env: Env, cwd: str | None, frozen: bool) -> None:
        self.env = env
        self.cwd = cwd
        self.frozen = frozen


class HP212(Rule):
    """Language package installs without a pinned version or lock file.

    ## What it does
    Reports installs by language package managers that resolve versions
    when the image is built, in `RUN` instructions and shell scripts:

    - `cargo install CRATE` without `--locked` (the crate's own
      `Cargo.lock` is ignored and its dependencies resolved afresh) or
      without an exact version (`--version 1.2.3`, `--version =1.2.3` or
      `CRATE@1.2.3`); `cargo install --git URL` without `--rev`. Local
      installs (`--path`, or no crate at all) are not reported;
    - `composer require` and `composer global require` of a package
      without an exact version (`vendor/pkg`, `vendor/pkg:^1.2`,
      `vendor/pkg:dev-main`); `vendor/pkg:1.2.3` or `dev-main#<commit>`
      pass;
    - `conda install`, `mamba install` and `micromamba install` of a
      package without `=version` (`numpy`, `numpy>=1.26`); `numpy=1.26.4`,
      `numpy==1.26.4` and `conda-forge::numpy=1.26.4` pass;
    - `bundle install` (or a bare `bundle`) without `--frozen` or
      `--deployment`, a true `BUNDLE_FROZEN` or `BUNDLE_DEPLOYMENT` (in an
      `ENV`, the command's environment or an `export`), or an earlier
      `bundle config [set] frozen true` (or `deployment true`) in the same
      stage or script;
    - `poetry install`, `pdm install` and `pipenv install` (without
      packages) when the project's manifest (`pyproject.toml`, `Pipfile`) is
      copied into the image but its lock file (`poetry.lock`, `pdm.lock`,
      `Pipfile.lock`) is not, or the build context holds the manifest
      without the lock. hardpin reads the build context the way HP202 does
      (the `COPY`/`ADD` instructions before the `RUN`, `WORKDIR`, `cd`,
      `-C`/`--directory`/`--project`); a project that does not come from
      the build context (a `git clone`, a download) is not reported.

    A version or path that comes from a variable hardpin cannot resolve is
    not reported.

    ## Why it matters
    An install without a pinned version or a lock file takes whatever the
    registry serves when the image is built: a new release, or a
    compromised one, enters the image without any change to the
    Dockerfile, and two builds of the same commit differ.

    ## Example
    ```dockerfile
    RUN cargo install ripgrep \
     && composer global require phpunit/phpunit \
     && conda install -y numpy
    COPY Gemfile Gemfile.lock ./
    RUN bundle install
    ```

    ## Use instead
    ```dockerfile
    RUN cargo install --locked ripgrep@14.1.0 \
     && composer global require phpunit/phpunit:11.2.8 \
     && conda install -y numpy=1.26.4
    COPY Gemfile Gemfile.lock ./
    RUN bundle config set frozen true && bundle install
    ```

    ## Fix safety
    No automatic fix: choosing a version is a decision, and looking one up
    needs the network.
    """

    code = "HP212"
    name = "unpinned-language-package"
    severity = Severity.WARNING
    kinds = frozenset({"dockerfile", "shell"})

    def check(self, ctx: RuleContext) -> None:
        frozen_stages: set[int] = set()  # stages where `bundle config … frozen true` ran
        for unit in units(ctx):
            chain = _chain(ctx, unit.stage)
            state = _State(
                _base_env(ctx, unit),
                _initial_cwd(ctx, unit),
                any(i in frozen_stages for i in chain) or (not chain and -1 in frozen_stages),
            )
            for cmd in unit.commands:
                if not cmd.words:
                    continue
                p = prologue(cmd.words)
                argv = p.argv
                prefix: Env = {n: self._resolve(v, state.env) for n, v, _w in p.assignments}
                if not argv:
                    state.env = {**state.env, **prefix}
                    continue
                head = argv[0].value
                if head in DECLARATIONS:
                    for w in argv[1:]:
                        n, eq, v = w.value.partition("=")
                        if eq:
                            state.env = {**state.env, n: self._resolve(v, state.env)}
                    continue
                if head == "cd" and cmd.depth == 0:
                    state.cwd = _chdir(state, argv[1:])
                    continue
                env = {**state.env, **prefix} if prefix else state.env
                name = exe_name(head)
                if name == "cargo":
                    self._cargo(ctx, argv, env)
                elif name == "composer":
                    self._composer(ctx, argv, env)
                elif name in _CONDA:
                    self._conda(ctx, argv, env)
                elif name in ("bundle", "bundler"):
                    if self._bundle(ctx, argv, env, state.frozen):
                        state.frozen = True
                        frozen_stages.update(chain or [-1])
                elif name in _PROJECTS:
                    self._project(ctx, unit, name, argv, env, state.cwd)

    @staticmethod
    def _resolve(value: str, env: Env) -> str | None:
        return resolve_word(value, env) if "$" in value or "`" in value else value

    # -- cargo ---------------------------------------------------------------------------

    def _cargo(self, ctx: RuleContext, argv: list[ShWord], env: Env) -> None:
        words = [w for w in argv[1:] if not w.value.startswith("+")]  # `cargo +nightly …`
        top = parse(words, CARGO, stop_at_operand=True)
        if not top.operands or top.operands[0].value != "install":
            return
        sub = top.operands[0]
        rest = parse(top.operands[1:], CARGO)
        if rest.has("--path", "--list", "--help", "-h"):
            return
        locked = rest.has("--locked", "--frozen")
        git = rest.value("--git")
        if git is not None:
            problems = []
            rev = rest.value("--rev")
            if not rev:
                ref = rest.value("--branch") or rest.value("--tag")
                problems.append(
                    f"`--git` at {'`' + ref + '`' if ref else 'the default branch'} without "
                    f"`--rev <commit>` builds whatever the repository holds at build time"
                )
            elif known(self._resolve(rev, env)) and not HEX40.match(rev):
                problems.append(f"`--rev {rev}` is not a full commit hash")
            if not locked:
                problems.append("without `--locked` its dependencies are resolved afresh")
            if problems:
                word = next(o.word for o in rest.options if o.name == "--git")
                self._report(ctx, word, "cargo install", git, problems, "--rev <commit> --locked")
            return
        if not rest.operands:
            return  # the package in the current directory
        version_opt = rest.value("--version", "--vers")
        for w in rest.operands:
            crate = self._resolve(w.value, env)
            if crate is None or not known(crate):
                continue
            name, at, version = crate.partition("@")
            problems = []
            v = version if at else version_opt
            if v is not None and not known(self._resolve(v, env)):
                v = "1.0.0"  # from a variable: not reported
            if not v:
                problems.append("no `--version`, so the newest release is installed")
            elif not _CARGO_EXACT.match(v):
                problems.append(f"`{v}` is a version range")
            if not locked:
                problems.append(
                    "without `--locked` its dependencies are resolved afresh, ignoring its "
                    "Cargo.lock"
                )
            if problems:
                self._report(
                    ctx, w, f"cargo {sub.value}", name, problems, "`--locked` and `CRATE@X.Y.Z`"
                )

    # -- composer ------------------------------------------------------------------------

    def _composer(self, ctx: RuleContext, argv: list[ShWord], env: Env) -> None:
        top = parse(argv[1:], COMPOSER, stop_at_operand=True)
        ops = top.operands
        what = "composer"
        if ops and ops[0].value == "global":
            what += " global"
            ops = parse(ops[1:], COMPOSER, stop_at_operand=True).operands
        if not ops or ops[0].value not in ("require", "req"):
            return
        what += " require"
        rest = parse(ops[1:], COMPOSER)
        words = rest.operands
        i = 0
        while i < len(words):
            w = words[i]
            value = self._resolve(w.value, env)
            i += 1
            if value is None or not known(value) or "/" not in value:
                continue  # platform packages (`php`, `ext-intl`) or unknown
            m = re.match(r"^([^:=\s]+)(?:[:=\s]\s*(.*))?$", value)
            if m is None:
                continue
            name, version = m.group(1), m.group(2)
            if version is None and i < len(words) and "/" not in words[i].value:
                version = self._resolve(words[i].value, env)  # `vendor/pkg 1.2.3`
                i += 1
            if version is not None and not known(version):
                continue
            if not version:
                problem = "no version, so the newest release is installed"
            elif _COMPOSER_EXACT.match(version.strip()):
                continue
            elif version.startswith("dev-"):
                problem = f"`{version}` is a branch that can move"
            else:
                problem = f"`{version}` is a version range"
            self._report(ctx, w, what, name, [problem], "`vendor/package:X.Y.Z`")

    # -- conda ---------------------------------------------------------------------------

    def _conda(self, ctx: RuleContext, argv: list[ShWord], env: Env) -> None:
        top = parse(argv[1:], CONDA, stop_at_operand=True)
        if not top.operands or top.operands[0].value != "install":
            return
        rest = parse(top.operands[1:], CONDA)
        if rest.has("--revision", "--help", "-h"):
            return
        tool = exe_name(argv[0].value)
        for w in rest.operands:
            spec = self._resolve(w.value, env)
            if spec is None or not known(spec):
                continue
            if "/" in spec and "::" not in spec or spec.startswith((".", "/", "~")):
                continue  # a local package file, a URL (HP206)
            bare = spec.split("::", 1)[1] if "::" in spec else spec
            if "[" in bare:
                if _CONDA_BRACKET_VERSION.search(bare):
                    continue
                name, problem = bare.split("[", 1)[0], None
            else:
                m = _CONDA_SPEC.match(bare.strip())
                if m is not None and m.group(3):
                    continue
                name = re.split(r"[\s=<>!~]", bare.strip(), maxsplit=1)[0]
                problem = f"`{spec}` is a version range" if name != bare.strip() else None
            self._report(
                ctx,
                w,
                f"{tool} install",
                name,
                [problem or "no `=version`, so the newest build is installed"],
                "`name=X.Y.Z`",
            )

    # -- bundle --------------------------------------------------------------------------

    def _bundle(self, ctx: RuleContext, argv: list[ShWord], env: Env, frozen: bool) -> bool:
        """Reports `bundle install` without frozen mode; True when the command turns it on."""
        top = parse(argv[1:], BUNDLE, stop_at_operand=True)
        if not top.operands and len(argv) > 1:
            return False  # `bundle --version`, `bundle --help`
        sub = top.operands[0].value if top.operands else "install"
        if sub == "config":
            values = [w.value.lower() for w in top.operands[1:]]
            for i, v in enumerate(values[:-1]):
                if v in ("frozen", "deployment") and values[i + 1] in _TRUE:
                    return True
            return False
        if sub != "install" or frozen:
            return False
        rest = parse(top.operands[1:], BUNDLE)
        if rest.has("--frozen", "--deployment", "--help", "-h"):
            return False
        for var in ("BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT"):
            if var in env:
                val = env[var]
                if val is None or not known(val) or val.strip("'\"").lower() in _TRUE:
                    return False
        word = top.operands[0] if top.operands else argv[0]
        ctx.report(
            self,
            word.start,
            word.end,
            "`bundle install` without frozen mode may resolve the Gemfile afresh and rewrite "
            "Gemfile.lock; run `bundle config set frozen true` first (or set "
            "BUNDLE_FROZEN=true, or BUNDLE_DEPLOYMENT=true)",
            subject="bundle install",
        )
        return False

    # -- poetry, pdm, pipenv -------------------------------------------------------------

    def _project(
        self,
        ctx: RuleContext,
        unit: Unit,
        tool: str,
        argv: list[ShWord],
        env: Env,
        cwd: str | None,
    ) -> None:
        top = parse(argv[1:], PY_PROJECT, stop_at_operand=True)
        if not top.operands or top.operands[0].value != "install":
            return
        sub = top.operands[0]
        rest = parse(top.operands[1:], PY_PROJECT)
        if rest.operands or rest.has("--help", "-h"):
            return  # `pipenv install PKG` adds a package: not a locked install either way
        where = top.value("-C", "--directory", "-P", "--project", "-p") or rest.value(
            "-C", "--directory", "-P", "--project", "-p"
        )
        if where:
            resolved = self._resolve(where, env)
            if (
                resolved is None
                or not known(resolved)
                or cwd is None
                and not resolved.startswith("/")
            ):
                return
            cwd = posixpath.normpath(posixpath.join(cwd or "/", resolved))
        if tool == "pipenv" and env.get("PIPENV_PIPFILE"):
            return
        lock, manifest = _PROJECTS[tool]
        why = _missing_lock(ctx, unit, cwd, lock, manifest)
        if why is None:
            return
        ctx.report(
            self,
            sub.start,
            sub.end,
            f"`{tool} install` without {lock} resolves the dependencies afresh at build time: "
            f"{why}; copy {lock} in with {manifest}",
            subject=f"{tool} install {lock}",
        )

    def _report(
        self,
        ctx: RuleContext,
        word: ShWord,
        what: str,
        name: str,
        problems: list[str],
        use: str,
    ) -> None:
        ctx.report(
            self,
            word.start,
            word.end,
            f"`{what} {name}`: {'; '.join(problems)}; pin it with {use}",
            subject=f"{what} {name}",
        )


# ---------------------------------------------------------------------------


def _chain(ctx: RuleContext, st: Stage | None) -> list[int]:
    """Indices of `st` and the stages it is built FROM (empty outside a Dockerfile)."""
    if st is None or ctx.kind != "dockerfile":
        return []
    from hardpin.analysis.dockerfile import stage_image

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    out: list[int] = []
    cur: Stage | None = st
    while cur is not None and cur.index not in out:
        out.append(cur.index)
        cur = stage_image(df, cur)[0]
    return out


def _base_env(ctx: RuleContext, unit: Unit) -> Env:
    """ARG and ENV values in force for a RUN, through the stages it is built FROM."""
    if ctx.kind != "dockerfile" or unit.stage is None or unit.instruction is None:
        return {}
    from hardpin.analysis.dockerfile import stage_image
    from hardpin.parsers.dockerfile import stage_env

    df: Dockerfile = ctx.doc  # type: ignore[assignment]
    envs: list[Env] = [stage_env(df, unit.stage, unit.instruction)]
    seen = {unit.stage.index}
    parent = stage_image(df, unit.stage)[0]
    while parent is not None and parent.index not in seen:
        seen.add(parent.index)
        envs.append(stage_env(df, parent))
        parent = stage_image(df, parent)[0]
    env: Env = {}
    for e in reversed(envs):
        env.update(e)
    return env


def _initial_cwd(ctx: RuleContext, unit: Unit) -> str | None:
    if ctx.kind == "dockerfile":
        if unit.stage is None or unit.instruction is None:
            return None
        from hardpin.analysis.pip import workdir

        return workdir(ctx, unit.stage, unit.instruction)
    return ""  # a script: its own directory


def _chdir(state: _State, args: list[ShWord]) -> str | None:
    if len(args) != 1 or state.cwd is None:
        return None
    target = resolve_word(args[0].value, state.env) if "$" in args[0].value else args[0].value
    if target is None or not known(target) or target.startswith("~") or target == "-":
        return None
    if target.startswith("/"):
        return posixpath.normpath(target)
    return posixpath.normpath(posixpath.join(state.cwd or ".", target))


def _missing_lock(
    ctx: RuleContext, unit: Unit, cwd: str | None, lock: str, manifest: str
) -> str | None:
    """Why the lock file is missing where the install runs, or None when it is there or
    when hardpin cannot tell (the project does not come from the build context)."""
    if cwd is None:
        return None
    if ctx.kind != "dockerfile":
        if cwd.startswith("/"):
            return None
        lock_rel = posixpath.normpath(posixpath.join(cwd, lock)) if cwd else lock
        man_rel = posixpath.normpath(posixpath.join(cwd, manifest)) if cwd else manifest
        if ctx.read_related(lock_rel) is not None or ctx.read_related(man_rel) is None:
            return None
        return f"{man_rel} has no {lock} next to it"
    if unit.stage is None or unit.instruction is None or unit.instruction.inner is not None:
        return None
    from hardpin.analysis.pip import context_file

    got = context_file(ctx, unit.stage, unit.instruction, posixpath.join(cwd, lock))
    if isinstance(got, tuple) or got.startswith("it is copied from another"):
        return None
    man = context_file(ctx, unit.stage, unit.instruction, posixpath.join(cwd, manifest))
    if got.startswith("no COPY or ADD brings"):
        if isinstance(man, tuple) or man.startswith("no COPY/ADD source"):
            return f"{manifest} is copied into {cwd} but {lock} is not"
        return None
    if isinstance(man, tuple):
        return f"{manifest} is copied from the build context ({man[0]}) but no {lock} is"
    return None
