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
    """RUN under cmd only partly analysed.

    ## What it does
    Notes, once per Dockerfile, that `RUN` instructions executed by cmd
    (a `SHELL ["cmd", "/S", "/C"]`, or the cmd default of a Windows base
    image) are only partly analysed. The finding points at the first `RUN`
    with a cmd command other than a PowerShell hand-off.

    What is analysed:

    - under a PowerShell `SHELL` (`powershell`, `pwsh`), the whole `RUN`:
      downloads (`Invoke-WebRequest`/`iwr`, `Invoke-RestMethod`/`irm`,
      `curl.exe`, `Start-BitsTransfer`, `(New-Object Net.WebClient)
      .DownloadFile(…)`) followed to what runs or installs them, `iex` of
      downloaded code, and gating `Get-FileHash` checks (HP206); `pip
      install` (HP201, HP202); npm, yarn, pnpm (HP204); Chocolatey, NuGet,
      dotnet and MSBuild (HP211);
    - under cmd, the command string given to `powershell -Command …` or
      `pwsh -Command …` as above, and in cmd itself `curl.exe`/`wget.exe`
      downloads, `msiexec /i`, `tar -x`, `setx PATH`, `copy`/`move`/`del`,
      `cd`, a downloaded file run by name or by an interpreter, and the
      package managers above.

    Not analysed: the rest of cmd's language (`if`, `for`, `call` of batch
    files, delayed expansion), and the rules that only mean something in a
    POSIX shell (HP203, HP205, HP207 to HP210, HP404, HP405). An exec-form
    `RUN ["…"]` runs no shell and is read word by word.

    ## Why it matters
    A linter that silently skips part of a file gives a false sense of
    coverage; one that fails the whole file (as Scorecard does for
    PowerShell) gives none. This note says exactly what was not checked.

    ## Example
    ```dockerfile
    FROM mcr.microsoft.com/windows/servercore:ltsc2022
    RUN curl.exe -o setup.exe https://example.com/setup.exe && if exist setup.exe setup.exe /S
    ```

    ## Use instead
    Write such steps in PowerShell (`SHELL ["powershell", "-Command",
    "$ErrorActionPreference = 'Stop';"]`), which hardpin analyses, review
    them by hand, or suppress the note with `# hardpin: ignore-file=HP003`
    once you have.

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
            if is_posix_shell(shell):
                continue
            from hardpin.analysis.powershell import run_bodies

            _bodies, cmd_commands = run_bodies(shell, ins)
            if not cmd_commands:
                continue  # PowerShell, or cmd handing everything to PowerShell
            kw = (ins.inner or ins).keyword_start
            ctx.report(
                self,
                kw,
                kw + 3,
                f"RUN under {shell_name(shell)} is only partly analysed: downloads (curl.exe, "
                "powershell -Command bodies), installers run from them and package managers "
                "are; other cmd syntax and the POSIX-only shell rules are not",
                subject=f"shell {shell_name(shell)}",
            )
            return
