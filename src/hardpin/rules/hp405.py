"""HP405: RUN with a pipe under /bin/sh without pipefail."""

from __future__ import annotations

from hardpin._lazy import lazy_re
from hardpin.analysis.dockerfile import is_posix_shell, iter_runs, scripts_of, shell_of
from hardpin.model import Severity
from hardpin.parsers.shell import Command
from hardpin.rules.base import Rule, RuleContext

_OPT_O = lazy_re(r"^-[a-zA-Z]*o$")


def sets_pipefail(argv: list[str]) -> bool:
    """`-o pipefail` in an argument list, with clustered options (`-euxo pipefail`)."""
    for i in range(len(argv) - 1):
        if _OPT_O.match(argv[i]) and argv[i + 1] == "pipefail":
            return True
    return False


def _is_set_pipefail(cmd: Command) -> bool:
    argv = cmd.argv
    return bool(argv) and argv[0] == "set" and sets_pipefail(argv)


class HP405(Rule):
    """RUN with a pipe but without `set -o pipefail`.

    ## What it does
    Reports the first pipe (`|`) of a `RUN` shell script when neither the
    `SHELL` in force passes `-o pipefail` nor the script runs
    `set -o pipefail` (or `set -euo pipefail`, …) before the pipe. Exec-form
    RUN, and RUN under a PowerShell or cmd `SHELL`, are not shell pipelines
    and are skipped.

    ## Why it matters
    A pipeline's exit status is that of its last command. In
    `RUN curl -fsSL https://example.com/key | gpg --dearmor > key.gpg` a
    failed download still makes the step succeed, and the build goes on
    with an empty or partial file.

    ## Example
    ```dockerfile
    RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/example.gpg
    ```

    ## Use instead
    ```dockerfile
    SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    RUN curl -fsSL https://example.com/key | gpg --dearmor -o /usr/share/keyrings/example.gpg
    ```

    ## Fix safety
    No automatic fix: `/bin/sh` on some base images has no `pipefail`, so
    the right change depends on the image.
    """

    code = "HP405"
    name = "pipe-without-pipefail"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> None:
        df = ctx.doc
        for st, ins in iter_runs(df):  # type: ignore[arg-type]
            target = ins.inner or ins
            if target.json_args is not None:
                continue
            shell = shell_of(df, st, ins)  # type: ignore[arg-type]
            if not is_posix_shell(shell) or sets_pipefail(list(shell)):
                continue
            for script in scripts_of(ctx, st, ins):
                on = False
                for cmd in script.commands:
                    if _is_set_pipefail(cmd):
                        on = True
                    if cmd.joined_by in ("|", "|&") and not on:
                        s = cmd.op_offset
                        ctx.report(
                            self,
                            s,
                            s + len(cmd.joined_by),
                            "pipe in RUN without `set -o pipefail`: a failure before the pipe is ignored",
                            subject=" ".join(w.value for w in cmd.words[:3]),
                        )
                        break
                else:
                    continue
                break
