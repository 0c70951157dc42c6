"""HP209: OS packages installed without a version."""

from __future__ import annotations

import re
from collections.abc import Callable

from hardpin._lazy import lazy_re
from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.packages import APK, APT, GEM, RPM, ZYPPER, PkgCommand, pkg_commands
from hardpin.analysis.shell import UNKNOWN
from hardpin.model import Severity
from hardpin.parsers.shell import ShWord
from hardpin.rules.base import Rule, RuleContext

APT_TOOLS = frozenset({"apt-get", "apt", "aptitude"})
RPM_TOOLS = frozenset({"yum", "dnf", "dnf5", "microdnf", "tdnf"})
_PATH = lazy_re(r"^(?:\.{0,2}/|~/|[a-z][a-z0-9+.-]*://)", re.I)
_EXACT = lazy_re(r"(?<![<>])=")  # `=` that is not part of `>=` or `<=`
_RPM_VERSION_PART = lazy_re(r"^(?:\d+:)?\d[0-9A-Za-z.~^_:+*]*$")


def rpm_has_version(spec: str) -> bool:
    """`name-version` or `name-version-release` (yum/dnf NEVRA forms), or `'name = version'`."""
    if re.search(r"[<>=]", spec):
        return bool(re.search(r"(?<![<>])=\s*\S", spec))  # 'pkg = 1.2' pins, 'pkg >= 1.2' does not
    parts = spec.split("-")
    if len(parts) < 2 or not parts[0]:
        return False
    return bool(_RPM_VERSION_PART.match(parts[-1]))


_TODAY = "installs whatever version the repository has today"


def _lead(spec: str) -> str:
    """The start of the problem text: a range, or no version at all."""
    return "accepts a range of versions, not one" if any(c in spec for c in "<>") else _TODAY


def _name_of(spec: str) -> str:
    return re.split(r"\s*[<>=]", spec, maxsplit=1)[0]


class HP209(Rule):
    """OS package installed without a version.

    ## What it does
    Reports every package word of an operating-system or Ruby package
    install that does not name a version, one finding per word:

    - `apt-get install`, `apt install`, `aptitude install` without
      `pkg=version` (`pkg/release` picks a release, not a version);
    - `apk add` without `pkg=version` or `pkg~version`;
    - `yum`, `dnf`, `microdnf`, `tdnf install` without `pkg-version` or
      `'pkg = version'` (the word must end in a version or release that
      starts with a digit, so `epel-release` or `java-17-openjdk` are
      names, not versions); package groups (`@group`) and file provides
      (`/usr/bin/x`); `yum`/`dnf module install` without `module:stream`;
    - `zypper install` / `zypper in` without `pkg=version`;
    - `gem install` / `gem i` without `gem:version` or a `-v`/`--version`
      option.

    A range (`pkg>=1.2`, `'pkg > 1.2'`) is not one version and is reported
    too.

    Local package files (`.deb`, `.apk`, `.rpm`, `.gem`) and paths are not
    reported, nor option values (`-t bookworm-backports`,
    `--virtual .build-deps`, `-o Dpkg::…`, `gem install … -- build-args`).
    A package list in a variable (`apt-get install $BUILD_DEPS`) is
    substituted from the Dockerfile's `ARG`/`ENV` values and from
    assignments earlier in the same `RUN` or script and reported at the
    variable; a list whose value cannot be known is not reported.
    Commands are found in every form of `RUN` (shell form, exec form,
    heredocs, `sh -c "…"` and `su -c "…"` bodies, after `sudo`, `env`, `gosu`
    and `if … then`), in shell scripts, and word by word in `RUN` bodies
    under a PowerShell or cmd `SHELL`.

    The severity is `info` by default: distribution archives drop old
    versions, so exact pins break builds and most projects accept that
    trade-off. Raise it in the configuration when you do pin
    (`severity = { HP209 = "warning" }`).

    ## Why it matters
    Without a version, the package installed is whatever the mirror serves
    on the day of the build: two builds of the same Dockerfile can differ,
    and a compromised or broken update lands in the image unnoticed.

    ## Example
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends curl
    RUN apk add --no-cache git
    ```

    ## Use instead
    ```dockerfile
    RUN apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
    RUN apk add --no-cache git=2.45.2-r0
    ```
    Or build from a base image pinned by digest and a snapshot archive
    (`snapshot.debian.org`) when you need reproducible OS packages.

    ## Fix safety
    No automatic fix: the available versions depend on the archive at build
    time.
    """

    code = "HP209"
    name = "unpinned-os-package"
    severity = Severity.INFO
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for pc in pkg_commands(ctx):
            tool = pc.name
            if tool in APT_TOOLS:
                self._generic(ctx, pc, tool, APT, ("install",), self._apt)
            elif tool == "apk":
                self._generic(ctx, pc, tool, APK, ("add",), self._apk)
            elif tool in RPM_TOOLS:
                self._rpm(ctx, pc, tool)
            elif tool == "zypper":
                self._generic(ctx, pc, tool, ZYPPER, ("install", "in"), self._zypper)
            elif tool == "gem":
                self._gem(ctx, pc)

    # -- per manager: return a problem text for an unpinned spec, or None --

    @staticmethod
    def _apt(spec: str) -> str | None:
        if "=" in spec or spec.endswith(".deb") or _PATH.match(spec):
            return None
        if "/" in spec:
            name, rel = spec.split("/", 1)
            return f"selects the `{rel}` release, not a version: pin `{name}=<version>`"
        return f"{_TODAY}: pin `{spec}=<version>`"

    @staticmethod
    def _apk(spec: str) -> str | None:
        if spec.endswith(".apk") or _PATH.match(spec) or _EXACT.search(spec) or "~" in spec:
            return None
        name, at, tag = _name_of(spec).partition("@")
        return f"{_lead(spec)}: pin `{name}=<version>{at}{tag}`"

    @staticmethod
    def _zypper(spec: str) -> str | None:
        if spec.endswith(".rpm") or _PATH.match(spec) or _EXACT.search(spec):
            return None
        return f"{_lead(spec)}: pin `{_name_of(spec)}=<version>`"

    @staticmethod
    def _rpm_spec(spec: str) -> str | None:
        if spec.endswith(".rpm") or rpm_has_version(spec):
            return None
        if spec.startswith("/"):
            return (
                "installs whichever package provides the file: pin that package as `name-<version>`"
            )
        if _PATH.match(spec):
            return None
        if spec.startswith("@"):
            return "is a package group, which cannot be pinned: install its packages with versions"
        return f"{_lead(spec)}: pin `{_name_of(spec)}-<version>`"

    @staticmethod
    def _module(spec: str) -> str | None:
        if ":" in spec:
            return None
        return f"has no stream: pin it as `{spec}:<stream>`"

    # -- command shapes ----------------------------------------------------

    def _generic(
        self,
        ctx: RuleContext,
        pc: PkgCommand,
        tool: str,
        table: OptionTable,
        verbs: tuple[str, ...],
        judge: Callable[[str], str | None],
    ) -> None:
        parsed = parse(pc.words[1:], table)
        ops = parsed.operands
        if not ops or ops[0].value not in verbs:
            return
        self._report_all(ctx, pc, f"{tool} {ops[0].value}", ops[1:], judge)

    def _rpm(self, ctx: RuleContext, pc: PkgCommand, tool: str) -> None:
        parsed = parse(pc.words[1:], RPM)
        ops = parsed.operands
        if not ops:
            return
        verb = ops[0].value
        if verb == "install":
            self._report_all(ctx, pc, f"{tool} install", ops[1:], self._rpm_spec)
        elif verb == "module" and len(ops) > 1 and ops[1].value == "install":
            self._report_all(ctx, pc, f"{tool} module install", ops[2:], self._module)

    def _gem(self, ctx: RuleContext, pc: PkgCommand) -> None:
        words = pc.words[1:]
        cut = next((i for i, w in enumerate(words) if w.value == "--"), len(words))
        parsed = parse(words[:cut], GEM)
        ops = parsed.operands
        if not ops or ops[0].value not in ("install", "i"):
            return
        if parsed.has("-v", "--version"):
            return

        def judge(spec: str) -> str | None:
            if ":" in spec or spec.endswith(".gem") or _PATH.match(spec):
                return None
            return f"{_TODAY}: pin `{spec}:<version>` or add `-v <version>`"

        self._report_all(ctx, pc, f"gem {ops[0].value}", ops[1:], judge)

    def _report_all(
        self,
        ctx: RuleContext,
        pc: PkgCommand,
        verb: str,
        words: list[ShWord],
        judge: Callable[[str], str | None],
    ) -> None:
        for w in words:
            value = pc.resolve(w)
            if value is None:
                continue
            specs = value.split() if value != w.value else [value]
            problems = [(s, judge(s)) for s in specs if s and UNKNOWN not in s]
            bad = [(s, p) for s, p in problems if p is not None]
            if not bad:
                continue
            if value == w.value:
                spec, problem = bad[0]
                msg = f"`{verb} {spec}` {problem}"
                subject = pc.subject(*verb.split()[1:], spec)
            else:
                names = " ".join(s for s, _ in bad)
                first = f"`{bad[0][0]}` {bad[0][1]}"
                more = "; likewise for the others" if len(bad) > 1 else ""
                msg = f"`{verb} {w.value}` ({names}): {first}{more}"
                subject = pc.subject(*verb.split()[1:], names)
            ctx.report(self, w.start, w.end, msg, subject=subject)
