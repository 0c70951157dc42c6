"""HP0xx: findings about the file itself rather than its content."""

from __future__ import annotations

from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP001(Rule):
    """File cannot be parsed.

    ## What it does
    Reports a file that hardpin cannot parse: an unknown Dockerfile
    instruction, an unterminated heredoc, an instruction before the first
    `FROM`, invalid JSON in an exec-form instruction, bytes that are not text.
    The finding points at the line where parsing stopped.

    ## Why it matters
    A file the linter cannot read is a file nobody checked. The build tool
    would most likely reject it too.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN <<EOF
    echo never closed
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN <<EOF
    echo closed
    EOF
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "HP001"
    name = "unparsable-file"
    severity = Severity.ERROR
    kinds = frozenset({"*"})

    def check(self, ctx: RuleContext) -> None:
        """Reported by the engine (what does not parse, whatever rules are selected)."""


class HP002(Rule):
    """Suppression comment that suppresses nothing.

    ## What it does
    Reports a `# hardpin: ignore=...` or `# hardpin: ignore-file=...`
    comment naming a code that no finding at that place carries, and
    a suppression comment that names an unknown code.

    ## Why it matters
    Stale suppressions hide the next real finding of that code at the same
    place, and they tell readers a problem exists where none does.

    ## Example
    ```dockerfile
    # hardpin: ignore=HP101 pinned below
    FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20@sha256:beefdbd8a1da6d2915566fde36db9db0b524eb737fc57cd1367effd16dc0d06d
    ```

    ## Fix safety
    No automatic fix: remove the comment, or the code from it.
    """

    code = "HP002"
    name = "unused-suppression"
    severity = Severity.WARNING
    kinds = frozenset({"*"})

    def check(self, ctx: RuleContext) -> None:
        """Reported by the suppression pass after all other rules ran."""


class HP003(Rule):
    """Shell not analysed: RUN under PowerShell or cmd.

    ## What it does
    Notes, once per Dockerfile, that `RUN` instructions executed by a
    PowerShell or cmd `SHELL` (or by the cmd default of a Windows base
    image) are not parsed as POSIX shell, so the shell rules (HP2xx, HP404,
    HP405) do not look inside them. Windows package managers (HP211) are
    still matched word by word. The finding points at the first such RUN.

    ## Why it matters
    A linter that silently skips part of a file gives a false sense of
    coverage; one that fails the whole file (as Scorecard does for
    PowerShell) gives none. This note says exactly what was not checked.

    ## Example
    ```dockerfile
    FROM mcr.microsoft.com/windows/servercore:ltsc2022
    SHELL ["powershell", "-Command"]
    RUN Invoke-WebRequest https://example.com/setup.ps1 -OutFile setup.ps1; ./setup.ps1
    ```

    ## Use instead
    Review such RUN instructions by hand, or suppress the note with
    `# hardpin: ignore-file=HP003` once you have.

    ## Fix safety
    No automatic fix.
    """

    code = "HP003"
    name = "shell-not-analysed"
    severity = Severity.INFO
    kinds = frozenset({"dockerfile"})

    def check(self, ctx: RuleContext) -> None:
        # imported here: HP001 and HP002 (this module) apply to every kind of file
        from hardpin.analysis.dockerfile import is_posix_shell, iter_runs, shell_name, shell_of
        from hardpin.parsers.dockerfile import Dockerfile

        df = ctx.doc
        if not isinstance(df, Dockerfile):
            return
        for st, ins in iter_runs(df):
            if (ins.inner or ins).json_args is not None:
                continue
            shell = shell_of(df, st, ins)
            if not is_posix_shell(shell):
                kw = (ins.inner or ins).keyword_start
                ctx.report(
                    self,
                    kw,
                    kw + 3,
                    f"RUN under {shell_name(shell)} is not analysed as POSIX shell: the HP2xx shell rules "
                    f"skip these RUN instructions (HP211 still applies)",
                    subject=f"shell {shell_name(shell)}",
                )
                return
