"""HP205: go install / go get / go run of a module without a fixed version."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.analysis.options import parse
from hardpin.analysis.packages import GO, HEX40, SEMVER, PkgCommand, pkg_commands
from hardpin.analysis.shell import known
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext

_HEX = lazy_re(r"^[0-9a-fA-F]+$")


def is_remote(path: str) -> bool:
    """A module path Go would download: its first element contains a dot (`golang.org/x/...`).

    Local paths (`.`, `./cmd/x`, `/src/app`), file names (`main.go`), the
    standard library and main-module packages (`cmd/x`, `std`, `all`) are
    built from what is already there.
    """
    if not path or path.startswith((".", "/", "~", "-")) or re.match(r"^[A-Za-z]:[\\/]", path):
        return False
    if path.endswith(".go"):
        return False
    first = path.split("/", 1)[0]
    return "." in first


def version_problem(version: str, insecure: bool) -> str | None:
    """Why `@version` is not fixed, or None when it is a full semver or a commit."""
    if HEX40.match(version):
        return None
    if SEMVER.match(version) and version.startswith("v"):
        if insecure:
            return f"`@{version}` with `-insecure` can be served by anyone on the network"
        return None
    low = version.lower()
    if low in ("latest", "upgrade", "patch"):
        return f"`@{version}` resolves to whatever is newest when the build runs"
    if _HEX.match(version):
        return f"`@{version}` is an abbreviated commit: use the full 40-character hash"
    if re.match(r"^v\d+(?:\.\d+)?$", version):
        return f"`@{version}` is a version prefix that matches every later release in it"
    if version[:1] in "<>=":
        return f"`@{version}` is a version range"
    return f"`@{version}` is a branch or tag name that can move"


class HP205(Rule):
    """go install, go get or go run of a module without a fixed version.

    ## What it does
    Reports `go install`, `go get` and `go run` of a remote module package
    (one whose first path element contains a dot, like
    `golang.org/x/tools/gopls`) that is not fixed to a full semantic version
    (`@v1.2.3`, pre-releases and pseudo-versions included) or a full
    40-character commit hash: no `@version` at all, `@latest`, `@upgrade`,
    `@patch`, a branch or tag name such as `@master`, a version prefix such
    as `@v1` or `@v1.2`, an abbreviated commit, or a range. A semantic
    version does not count as a pin when `-insecure` is also given. A
    package without `@version` is reported even though, inside a module
    that requires it, `go.mod` decides the version: nothing in the
    Dockerfile shows that (hadolint and Scorecard report it too). It also
    reports `go get -u` (and `-u=patch`) when nothing else on the command
    is reported: `-u` moves every dependency to its newest minor or patch
    release.

    `go get` or `go install` of local packages (`.`, `./...`, `./cmd/x`,
    absolute paths), standard-library and main-module packages (`cmd/x`),
    `go run main.go`, `go get` without packages and `pkg@none` (which
    removes a dependency) are not reported. For `go run`, only the package
    (the first operand) is checked; the rest are its arguments. Versions
    held in variables are substituted from `ARG`/`ENV` values and earlier
    assignments; a version that cannot be known is not reported.
    Commands are found in every form of `RUN` (shell form, exec form,
    heredocs, `sh -c "…"` and `su -c "…"` bodies, after `sudo`, `env`, `gosu`
    and `if … then`), in shell scripts, and word by word in `RUN` bodies
    under a PowerShell or cmd `SHELL`.

    ## Why it matters
    Without a fixed version, the Go command asks the module proxy for the
    newest release every time the image is built: a new — possibly
    malicious or broken — release of the tool or of one of its
    dependencies is picked up silently. A full version is checked against
    the checksum database (`sum.golang.org`), so the same bytes are used on
    every build.

    ## Example
    ```dockerfile
    RUN go install golang.org/x/tools/gopls@latest
    RUN go install github.com/go-delve/delve/cmd/dlv
    ```

    ## Use instead
    ```dockerfile
    RUN go install golang.org/x/tools/gopls@v0.16.1
    RUN go install github.com/go-delve/delve/cmd/dlv@v1.23.0
    ```

    ## Fix safety
    No automatic fix: choosing a version is a decision (and looking one up
    needs the network).
    """

    code = "HP205"
    name = "unpinned-go-install"
    severity = Severity.WARNING
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for pc in pkg_commands(ctx):
            if pc.name == "go":
                self._go(ctx, pc)

    def _go(self, ctx: RuleContext, pc: PkgCommand) -> None:
        parsed = parse(pc.words[1:], GO, stop_at_operand=True)
        if not parsed.operands:
            return
        sub = parsed.operands[0]
        if sub.value not in ("install", "get", "run"):
            return
        # flags after the subcommand
        rest = parse(parsed.operands[1:], GO, stop_at_operand=sub.value == "run")
        flags = {o.name.lstrip("-") for o in rest.options}
        insecure = "insecure" in flags
        operands = rest.operands[:1] if sub.value == "run" else rest.operands
        reported = False
        for w in operands:
            value = pc.resolve(w)
            if value is None or not known(value):
                continue
            path, at, version = value.partition("@")
            if not is_remote(path):
                continue
            if not at:
                if sub.value == "get":
                    problem = "no `@version`, so go get moves it to the newest release"
                else:
                    problem = (
                        "no `@version`, so the version built depends on the go.mod of the "
                        "working directory, or is the newest release"
                    )
            else:
                if version == "none":
                    continue
                found = version_problem(version, insecure)
                if found is None:
                    continue
                problem = found
            shown = value if value == w.value else f"{value} (from {w.value})"
            ctx.report(
                self,
                w.start,
                w.end,
                f"`go {sub.value} {shown}`: {problem}; "
                f"pin `{path}@v<major.minor.patch>` or a full commit hash",
                subject=pc.subject(sub, value),
            )
            reported = True
        if sub.value == "get" and "u" in flags and not reported:
            upgrade = next(o.word for o in rest.options if o.name.lstrip("-") == "u")
            ctx.report(
                self,
                upgrade.start,
                upgrade.end,
                "`go get -u` upgrades dependencies to their newest minor or patch releases: "
                "require exact versions in go.mod and commit go.sum",
                subject=pc.subject(sub, "-u", *operands),
            )
