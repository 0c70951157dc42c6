"""HP404: sudo in RUN."""

from __future__ import annotations

from hardpin.analysis.dockerfile import iter_runs, scripts_of
from hardpin.analysis.shell import prologue
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP404(Rule):
    """`sudo` in RUN.

    ## What it does
    Reports `sudo` used as a command in a `RUN` instruction (shell form,
    exec form and heredoc scripts, including inside `$(…)`, subshells and
    after `env` or variable assignments).

    ## Why it matters
    Build steps already run as the current `USER`; `sudo` in a Dockerfile
    means the image ships sudo and a user allowed to use it, which undoes
    the point of switching away from root. It also behaves unpredictably
    without a TTY.

    ## Example
    ```dockerfile
    USER app
    RUN sudo apt-get update
    ```

    ## Use instead
    ```dockerfile
    USER root
    RUN apt-get update
    USER app
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "HP404"
    name = "sudo-in-run"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> None:
        for st, ins in iter_runs(ctx.doc):  # type: ignore[arg-type]
            for script in scripts_of(ctx, st, ins):
                for cmd in script.commands:
                    words = cmd.words
                    sudo = next((w for w in prologue(words).wrappers if w.value == "sudo"), None)
                    if sudo is not None:
                        i = words.index(sudo)
                        ctx.report(
                            self,
                            sudo.start,
                            sudo.end,
                            "sudo in RUN: set USER root for the steps that need it instead",
                            subject="sudo " + " ".join(w.value for w in words[i + 1 : i + 3]),
                        )
