"""HP211: Windows and .NET package managers without checksums, versions or locked mode."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.analysis.options import Parsed, parse
from hardpin.analysis.packages import CHOCO, DOTNET, NUGET, PkgCommand, pkg_commands
from hardpin.model import Severity
from hardpin.parsers.shell import ShWord
from hardpin.rules.base import Rule, RuleContext

CHOCO_CHECKSUM = frozenset(
    {"--requirechecksum", "--requirechecksums", "--require-checksums", "--checksum", "--checksum64",
     "--download-checksum", "--downloadchecksum", "--download-checksum-x64",
     "--downloadchecksumx64"}
)  # fmt: skip
IMPLICIT_RESTORE = frozenset({"build", "publish", "pack", "test"})
_LOCKED_PROP = lazy_re(r"(?:^|;)\s*RestoreLockedMode\s*=\s*true\s*(?:;|$)", re.I)
_PROPS_LOCKED = lazy_re(r"<RestoreLockedMode>\s*true\s*</RestoreLockedMode>", re.I)


def _locked_property(words: list[ShWord]) -> bool:
    """`-p:RestoreLockedMode=true` (also `/p:`, `--property:`, `-property:`, `-p Name=value`)."""
    for i, w in enumerate(words):
        m = re.match(r"^(?:--?|/)(?:p|property)(?::(.*))?$", w.value, re.I | re.S)
        if not m:
            continue
        val = m.group(1)
        if val is None:
            val = words[i + 1].value if i + 1 < len(words) else ""
        if _LOCKED_PROP.search(val):
            return True
    return False


def _msbuild_options(words: list[ShWord]) -> list[tuple[str, str]]:
    """msbuild switches as (lower-case name, value): `/t:Restore`, `-p:A=1;B=2`, `-restore`."""
    out = []
    for w in words:
        v = w.value
        if len(v) > 1 and v[0] in "-/" and not (v[0] == "/" and v.count("/") > 1 and ":" not in v):
            name, _, val = v.lstrip("-/").partition(":")
            out.append((name.lower(), val))
    return out


class HP211(Rule):
    """Windows or .NET package install without checksums, a version or locked mode.

    ## What it does
    Reports, like OpenSSF Scorecard's Pinned-Dependencies check:

    - `choco install` (and `cinst`) without `--requirechecksums` (or
      `--requirechecksum`, `--require-checksums`, or an explicit
      `--checksum`), and — beyond Scorecard — without `--version`, unless it
      installs from a `packages.config`;
    - `nuget install <pkg>` without `-Version` (a `packages.config` argument
      carries its versions); `dotnet add [project] package <pkg>` without
      `--version`/`-v`; `dotnet tool install|update <tool>` without
      `--version`; a floating version (`1.*`) is not a pin;
    - `nuget restore` without `-LockedMode`, `dotnet restore` without
      `--locked-mode`, `msbuild /t:restore` (or `-restore`, `-r`) without
      `/p:RestoreLockedMode=true`;
    - `dotnet build`, `publish`, `pack` and `test`, which restore
      implicitly, unless they pass `--no-restore` (or `--no-build` for
      `test`) or locked mode (`-p:RestoreLockedMode=true`).

    Locked mode set for the whole build in a `Directory.Build.props` next to
    the Dockerfile or script (`<RestoreLockedMode>true</RestoreLockedMode>`
    without a condition) counts as locked mode. Commands are matched in
    POSIX shell (`RUN`, exec form, heredocs, scripts) and, word by word, in
    `RUN` bodies under a PowerShell or cmd `SHELL` or a Windows base image —
    including the command string given to `powershell -Command "…"` and
    `cmd /c "…"`. Command names match with or without `.exe` and in any
    letter case.

    ## Why it matters
    Without locked mode, NuGet resolves the dependency graph again on every
    restore and may pick other versions than the ones recorded and reviewed
    in `packages.lock.json`; without a version, the newest package is
    installed; without checksums, Chocolatey runs installers it downloaded
    without verifying them.

    ## Example
    ```dockerfile
    RUN dotnet restore
    RUN dotnet publish -c Release -o /app
    ```

    ## Use instead
    ```dockerfile
    RUN dotnet restore --locked-mode
    RUN dotnet publish -c Release -o /app --no-restore
    ```
    Commit `packages.lock.json` (set `RestorePackagesWithLockFile` to
    `true` in the project) so that locked mode has something to enforce.

    ## Fix safety
    No automatic fix: locked mode fails the build until a lock file is
    committed, and versions are a decision.
    """

    code = "HP211"
    name = "unpinned-dotnet-or-windows-package"
    severity = Severity.WARNING
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for pc in pkg_commands(ctx):
            name = pc.name
            if name in ("choco", "chocolatey", "cinst"):
                self._choco(ctx, pc, name)
            elif name == "nuget":
                self._nuget(ctx, pc)
            elif name == "dotnet":
                self._dotnet(ctx, pc)
            elif name == "msbuild":
                self._msbuild(ctx, pc, pc.words[1:], pc.words[0], "msbuild")

    def _props_locked(self, ctx: RuleContext) -> bool:
        def compute() -> bool:
            text = ctx.read_related("Directory.Build.props")
            return bool(text and _PROPS_LOCKED.search(text))

        return ctx.cached("hp211:props_locked", compute)

    def _report(
        self, ctx: RuleContext, pc: PkgCommand, at: ShWord, msg: str, *subject: ShWord | str
    ) -> None:
        ctx.report(self, at.start, at.end, msg, subject=pc.subject(*subject))

    # -- Chocolatey --------------------------------------------------------

    def _choco(self, ctx: RuleContext, pc: PkgCommand, name: str) -> None:
        parsed = parse(pc.words[1:], CHOCO)
        ops = parsed.operands
        if name == "cinst":
            sub, pkgs = pc.words[0], ops
            verb: list[str] = []
        else:
            if not ops or ops[0].value.lower() != "install":
                return
            sub, pkgs = ops[0], ops[1:]
            verb = ["install"]
        if not pkgs:
            return
        missing = []
        if not any(o.name.lower() in CHOCO_CHECKSUM for o in parsed.options):
            missing.append("`--requirechecksums` (downloaded installers are not verified)")
        from_config = any(p.value.lower().endswith(".config") for p in pkgs)
        if not from_config and not parsed.has("--version", "-version"):
            missing.append("`--version` (the newest package is installed)")
        if missing:
            names = " ".join(p.value for p in pkgs)
            self._report(
                ctx,
                pc,
                sub,
                f"`choco install {names}` without " + " and without ".join(missing),
                *verb,
                names,
            )

    # -- NuGet CLI ---------------------------------------------------------

    def _nuget(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], NUGET)
        ops = parsed.operands
        if not ops:
            return
        sub = ops[0]
        verb = sub.value.lower()
        if verb == "install":
            pkgs = ops[1:]
            if not pkgs or parsed.has("-version"):
                return
            if any(p.value.lower().endswith("packages.config") for p in pkgs):
                return
            names = " ".join(p.value for p in pkgs)
            self._report(
                ctx,
                pc,
                sub,
                f"`nuget install {names}` without `-Version` installs the newest release",
                "install",
                names,
            )
        elif verb == "restore":
            if parsed.has("-lockedmode") or self._props_locked(ctx):
                return
            self._report(
                ctx,
                pc,
                sub,
                "`nuget restore` without `-LockedMode` resolves package versions "
                "again instead of enforcing packages.lock.json",
                "restore",
            )

    # -- dotnet CLI --------------------------------------------------------

    def _dotnet(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], DOTNET)
        ops = parsed.operands
        if not ops:
            return
        sub = ops[0]
        verb = sub.value.lower()
        if verb == "msbuild":
            self._msbuild(ctx, pc, pc.words[pc.words.index(sub) + 1 :], sub, "dotnet msbuild")
            return
        locked = parsed.has("--locked-mode") or _locked_property(pc.words[1:])
        if verb == "restore":
            if locked or self._props_locked(ctx):
                return
            self._report(
                ctx,
                pc,
                sub,
                "`dotnet restore` without `--locked-mode` resolves package versions "
                "again instead of enforcing packages.lock.json",
                "restore",
            )
        elif verb in IMPLICIT_RESTORE:
            if parsed.has("--no-restore") or (verb == "test" and parsed.has("--no-build")):
                return
            if locked or self._props_locked(ctx):
                return
            self._report(
                ctx,
                pc,
                sub,
                f"`dotnet {verb}` restores packages implicitly without locked mode: "
                "restore with `--locked-mode` first and pass `--no-restore`, or add "
                "`-p:RestoreLockedMode=true`",
                verb,
            )
        elif verb == "add":
            idx = next((i for i, w in enumerate(ops[1:], 1) if w.value.lower() == "package"), None)
            if idx is None or idx + 1 >= len(ops):
                return
            pkg = ops[idx + 1]
            problem = self._version_problem(parsed, ("-v", "--version"))
            if problem:
                self._report(
                    ctx, pc, pkg, f"`dotnet add package {pkg.value}` {problem}", "add package", pkg
                )
        elif verb == "tool" and len(ops) > 2 and ops[1].value.lower() in ("install", "update"):
            tool = ops[2]
            problem = self._version_problem(parsed, ("--version",))
            if problem:
                self._report(
                    ctx,
                    pc,
                    tool,
                    f"`dotnet tool {ops[1].value} {tool.value}` {problem}",
                    "tool",
                    ops[1],
                    tool,
                )

    @staticmethod
    def _version_problem(parsed: Parsed, names: tuple[str, ...]) -> str | None:
        val = parsed.value(*names)
        if val is None:
            return "without a version installs the newest release"
        if "*" in val or val.startswith(("[", "(")) and "," in val:
            return f"with the floating version `{val}` installs the newest matching release"
        return None

    # -- MSBuild -----------------------------------------------------------

    def _msbuild(
        self, ctx: RuleContext, pc: PkgCommand, args: list[ShWord], at: ShWord, label: str
    ) -> None:
        opts = _msbuild_options(args)
        restores = False
        locked = False
        for name, val in opts:
            if name in ("t", "target"):
                restores = restores or any(
                    t.strip().lower() == "restore" for t in re.split(r"[;,]", val)
                )
            elif name in ("restore", "r"):
                restores = val.lower() not in ("false", "0")
            elif name in ("p", "property"):
                locked = locked or bool(_LOCKED_PROP.search(val))
        if not restores or locked or self._props_locked(ctx):
            return
        word = next(
            (w for w in args if re.match(r"^[-/](?:t|target|restore|r)(?::|$)", w.value, re.I)), at
        )
        self._report(
            ctx,
            pc,
            word,
            f"`{label} {word.value}` restores without `/p:RestoreLockedMode=true`, "
            "so package versions are resolved again instead of enforcing packages.lock.json",
            *label.split()[1:],
            "restore",
        )
