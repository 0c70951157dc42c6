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
        """Reported by the engine when a parser raises; never by itself."""


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
