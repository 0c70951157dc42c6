"""HP204: npm / yarn / pnpm install without a lockfile or an exact version."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.analysis.options import Parsed, parse
from hardpin.analysis.packages import NPM, PNPM, SEMVER, YARN, PkgCommand, pkg_commands
from hardpin.analysis.shell import UNKNOWN
from hardpin.model import Applicability, Edit, Fix, FixAvailability, Severity
from hardpin.parsers.shell import ShWord
from hardpin.rules.base import Rule, RuleContext

# npm's own alias table (lib/utils/cmd-list.js)
NPM_INSTALL = frozenset(
    {
        "install",
        "i",
        "in",
        "ins",
        "inst",
        "insta",
        "instal",
        "isnt",
        "isnta",
        "isntal",
        "isntall",
        "add",
    }
)
NPM_INSTALL_TEST = frozenset({"install-test", "it"})
NPM_UPDATE = frozenset({"update", "up", "upgrade", "udpate"})
_GLOBAL = ("-g", "--global")
# package specs that are not registry names (HP203 judges git and URL specs)
_NOT_REGISTRY = lazy_re(
    r"^(?:\.{0,2}/|~/|\.\.?$|[A-Za-z]:[\\/]|file:|link:|workspace:|portal:|patch:|exec:|"
    r"git\+|git:|github:|gitlab:|bitbucket:|gist:|https?://)",
    re.I,
)
_TARBALL = lazy_re(r"\.(?:tgz|tar|tar\.gz)$", re.I)


def split_spec(spec: str) -> tuple[str, str | None]:
    """`@scope/name@1.2.3` -> (`@scope/name`, `1.2.3`); no `@version` -> (name, None)."""
    at = spec.find("@", 1 if spec.startswith("@") else 0)
    if at == -1:
        return spec, None
    return spec[:at], spec[at + 1 :]


def registry_spec(spec: str) -> bool:
    """A name from the registry (not a path, tarball, URL, git repository or GitHub shorthand)."""
    if not spec or _NOT_REGISTRY.match(spec) or _TARBALL.search(spec):
        return False
    name, _ = split_spec(spec)
    if "/" in name and not name.startswith("@"):
        return False  # owner/repo: a GitHub repository
    return True


def version_problem(spec: str) -> str | None:
    """Why a registry spec is not pinned to one exact version, or None when it is.

    `name@npm:other@1.2.3` (an alias) is judged by its target.
    """
    name, version = split_spec(spec)
    if version is not None and version.lower().startswith("npm:"):
        target = version[4:]
        if not registry_spec(target):
            return None
        return version_problem(target)
    if version is None or version == "":
        return f"`{name}` has no version: the newest release is installed"
    v = version[1:] if version.startswith("=") else version
    if SEMVER.match(v):
        return None
    if v in ("*", "x", "X"):
        return f"`{name}@{version}` matches any version"
    if re.match(r"^[A-Za-z][\w.-]*$", v) and not re.match(r"^v\d", v):
        return f"`{name}@{version}` is a dist-tag that moves with each release, not a version"
    return f"`{name}@{version}` is a version range, not one exact version"


class HP204(Rule):
    """npm, yarn or pnpm install without a lockfile or an exact version.

    ## What it does
    Reports JavaScript package installs in `RUN` instructions and shell
    scripts that do not pin what they install:

    - `npm install` / `npm i` (and npm's other aliases: `add`, `in`, `ins`,
      `isntall`, …, and `npm install-test` / `npm it`) without package
      names — it resolves `package.json` ranges and may rewrite the
      lockfile; `npm ci` installs exactly what `package-lock.json` records;
    - `npm update` (`up`, `upgrade`) in any form;
    - `npm install <pkg>` — global (`-g`) or local — where a registry
      package has no exact version: a bare name, a dist-tag such as
      `@latest` or `@next`, or a range such as `@^1`, `@~1.2` or `@1`
      (`@1.2.3` is a pin; `name@npm:other@1.2.3` aliases are judged by
      their target);
    - `yarn install` and bare `yarn` without `--frozen-lockfile` or
      `--immutable` (or `YARN_ENABLE_IMMUTABLE_INSTALLS=true`); `yarn add`
      and `yarn global add` of names without an exact version;
      `yarn upgrade` / `yarn up`;
    - `pnpm install` / `pnpm i` without `--frozen-lockfile`; `pnpm add` of
      names without an exact version; `pnpm update` / `pnpm up`.

    Local folders, tarballs, URLs and git specs are left to HP203, which
    checks that they name an immutable commit or carry a checksum. A package
    or version held in a variable is substituted from the Dockerfile's
    `ARG`/`ENV` values and from assignments earlier in the same `RUN` or
    script; when the value cannot be known (a build argument without a
    default, a value from the base image, a command substitution) the word
    is not reported. Commands are found in every form of `RUN` (shell form, exec form,
    heredocs, `sh -c "…"` and `su -c "…"` bodies, after `sudo`, `env`, `gosu`
    and `if … then`), in shell scripts, and word by word in `RUN` bodies
    under a PowerShell or cmd `SHELL`.

    ## Why it matters
    Without a lockfile or an exact version, every build resolves the
    dependency tree again and takes whatever the registry serves that day:
    a compromised or broken release (as with `event-stream`, `ua-parser-js`
    or `node-ipc`) lands in the image without any change to the Dockerfile.

    ## Example
    ```dockerfile
    COPY package.json package-lock.json ./
    RUN npm install
    RUN npm install -g typescript@latest
    RUN yarn install
    ```

    ## Use instead
    ```dockerfile
    COPY package.json package-lock.json ./
    RUN npm ci
    RUN npm install -g typescript@5.4.5
    RUN yarn install --frozen-lockfile
    ```

    ## Fix safety
    `npm install` (or an alias) that names no package is rewritten to
    `npm ci`. The fix is unsafe and applied only with `--unsafe-fixes`:
    `npm ci` needs a `package-lock.json` (or `npm-shrinkwrap.json`) that
    matches `package.json`, deletes an existing `node_modules`, and fails
    where `npm install` would have updated the lockfile. Other findings
    have no automatic fix: choosing a version is a decision.
    """

    code = "HP204"
    name = "unpinned-npm-install"
    severity = Severity.WARNING
    fix = FixAvailability.UNSAFE
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for pc in pkg_commands(ctx):
            name = pc.name
            if name == "npm":
                self._npm(ctx, pc)
            elif name == "yarn":
                self._yarn(ctx, pc)
            elif name == "pnpm":
                self._pnpm(ctx, pc)

    # -- npm ---------------------------------------------------------------

    def _npm(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], NPM)
        if not parsed.operands or parsed.has("-h", "--help", "--usage", "-?"):
            return
        sub = parsed.operands[0]
        subv = sub.value
        if subv in NPM_UPDATE:
            ctx.report(
                self,
                sub.start,
                sub.end,
                f"`npm {subv}` installs the newest versions the package.json ranges allow: "
                "use `npm ci` with a committed package-lock.json",
                subject=pc.subject(sub),
            )
            return
        if subv not in NPM_INSTALL and subv not in NPM_INSTALL_TEST:
            return
        is_global = parsed.has(*_GLOBAL) or parsed.value("--location") == "global"
        pkgs = parsed.operands[1:]
        if not pkgs:
            fix = None
            if subv in NPM_INSTALL and not is_global and sub.raw == subv:
                fix = Fix((Edit(sub.start, sub.end, "ci"),), Applicability.UNSAFE, "use npm ci")
            what = "`npm install -g` of the current package" if is_global else f"`npm {subv}`"
            ctx.report(
                self,
                sub.start,
                sub.end,
                f"{what} resolves package.json ranges instead of the lockfile: "
                "use `npm ci`, which installs exactly what package-lock.json records",
                subject=pc.subject(sub),
                fix=fix,
            )
            return
        self._packages(ctx, pc, sub, pkgs, "npm", is_global)

    # -- yarn --------------------------------------------------------------

    def _yarn(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], YARN)
        ops = parsed.operands
        sub = ops[0] if ops else None
        subv = sub.value if sub is not None else "install"
        if parsed.has("-h", "--help") or (sub is None and parsed.has("-v", "--version")):
            return
        if subv == "install":
            if ops[1:]:
                return  # `yarn install <pkg>` is an error in yarn; nothing is installed
            if self._yarn_frozen(pc, parsed):
                return
            at = sub if sub is not None else pc.words[0]
            ctx.report(
                self,
                at.start,
                at.end,
                f"`{'yarn install' if sub is not None else 'yarn'}` without `--frozen-lockfile` "
                "(yarn 1) or `--immutable` (yarn 2+) may resolve new versions and rewrite "
                "yarn.lock",
                subject=pc.subject(*([sub] if sub is not None else [])),
            )
            return
        if subv in ("upgrade", "up"):
            assert sub is not None
            ctx.report(
                self,
                sub.start,
                sub.end,
                f"`yarn {subv}` installs the newest versions the ranges allow: "
                "install from the committed yarn.lock with `yarn install --frozen-lockfile`",
                subject=pc.subject(sub),
            )
            return
        if subv == "add":
            assert sub is not None
            self._packages(ctx, pc, sub, ops[1:], "yarn", False)
        elif subv == "global" and len(ops) > 1 and ops[1].value == "add":
            self._packages(ctx, pc, ops[1], ops[2:], "yarn global", True)

    @staticmethod
    def _yarn_frozen(pc: PkgCommand, parsed: Parsed) -> bool:
        for o in parsed.options:
            if o.name in ("--frozen-lockfile", "--immutable") and (
                o.value is None or o.value.lower() != "false"
            ):
                return True
        for var in ("YARN_ENABLE_IMMUTABLE_INSTALLS", "YARN_FROZEN_LOCKFILE"):
            val = pc.prefix.get(var)
            if val is None:
                val = pc.env.get(var)
            if val is not None and val.strip("'\"").lower() in ("true", "1"):
                return True
        return False

    # -- pnpm --------------------------------------------------------------

    def _pnpm(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], PNPM)
        ops = parsed.operands
        if not ops or parsed.has("-h", "--help"):
            return
        sub = ops[0]
        subv = sub.value
        if subv in ("install", "i"):
            if ops[1:]:
                return  # pnpm refuses `pnpm install <pkg>` (use `pnpm add`)
            for o in parsed.options:
                if o.name == "--frozen-lockfile" and (
                    o.value is None or o.value.lower() != "false"
                ):
                    return
            ctx.report(
                self,
                sub.start,
                sub.end,
                f"`pnpm {subv}` without `--frozen-lockfile` may resolve new versions "
                "and rewrite pnpm-lock.yaml",
                subject=pc.subject(sub),
            )
        elif subv in ("update", "up", "upgrade"):
            ctx.report(
                self,
                sub.start,
                sub.end,
                f"`pnpm {subv}` installs the newest versions the ranges allow: "
                "use `pnpm install --frozen-lockfile`",
                subject=pc.subject(sub),
            )
        elif subv == "add":
            is_global = parsed.has(*_GLOBAL)
            self._packages(ctx, pc, sub, ops[1:], "pnpm", is_global)

    # -- named packages ----------------------------------------------------

    def _packages(
        self,
        ctx: RuleContext,
        pc: PkgCommand,
        sub: ShWord,
        pkgs: list[ShWord],
        tool: str,
        is_global: bool,
    ) -> None:
        verb = f"{tool} {sub.value}{' -g' if is_global and tool != 'yarn global' else ''}"
        for w in pkgs:
            value = pc.resolve(w)
            if value is None:
                continue  # a variable whose value cannot be known here
            for spec in value.split():
                if UNKNOWN in spec or not registry_spec(spec):
                    continue
                problem = version_problem(spec)
                if problem is None:
                    continue
                name, _ = split_spec(spec)
                shown = spec if spec == w.value else f"{spec} (from {w.value})"
                ctx.report(
                    self,
                    w.start,
                    w.end,
                    f"`{verb} {shown}`: {problem}; pin it as `{name}@<version>`",
                    subject=pc.subject(sub, spec),
                )
