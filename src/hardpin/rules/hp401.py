"""HP401: final stage runs as root."""

from __future__ import annotations

from hardpin.analysis.dockerfile import is_windows_image, stage_image
from hardpin.model import Severity
from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage, expand, global_env, stage_env
from hardpin.rules.base import Rule, RuleContext

_ROOT = frozenset({"root", "0"})


def _is_root(user: str) -> bool:
    return user.split(":", 1)[0].strip() in _ROOT


def last_user(df: Dockerfile, st: Stage) -> tuple[Instruction | None, Stage, str | None]:
    """The last USER in the stage chain (following FROM <stage>), its stage and base image."""
    cur: Stage | None = st
    seen: list[Stage] = []
    while cur is not None and cur not in seen:
        seen.append(cur)
        for ins in reversed(cur.instructions):
            if ins.keyword == "USER":
                return ins, cur, None
        parent, ref = stage_image(df, cur)
        if parent is None:
            return None, cur, (str(ref) if ref is not None else None)
        cur = parent
    return None, st, None


class HP401(Rule):
    """Final stage runs as root.

    ## What it does
    Reports the final build stage when the image it produces runs as root:
    no `USER` instruction anywhere in its stage chain (the stage and the
    stages it is built `FROM`), or a last `USER` of `root`, `0`, `root:…` or
    `0:…`. Base images whose tag says they run unprivileged (`nonroot`,
    `rootless`) and Windows base images are exempt.

    ## Why it matters
    A process that runs as root inside the container turns any code
    execution bug into root on the container's filesystem, and one
    container-escape bug away from root on the host.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY app /app
    CMD ["python", "/app/main.py"]
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN useradd --uid 10001 app
    COPY app /app
    USER 10001
    CMD ["python", "/app/main.py"]
    ```

    ## Fix safety
    No automatic fix: the user must exist and own what it needs.
    """

    code = "HP401"
    name = "root-user"
    severity = Severity.WARNING

    def check(self, ctx: RuleContext) -> None:
        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        final = df.stages[-1]
        user_ins, owner, base = last_user(df, final)
        if user_ins is not None:
            env = {**global_env(df), **stage_env(df, owner, user_ins)}
            value, missing = expand(user_ins.args.strip(), env)
            if missing or not _is_root(value):
                return
            s, e = user_ins.span(0, len(user_ins.args))
            ctx.report(
                self, s, e, f"the final stage runs as {value}: switch to an unprivileged USER"
            )
            return
        low = (base or "").lower()
        if any(w in low for w in ("nonroot", "rootless", "distroless/static:nonroot")):
            return
        if is_windows_image(low) or df.escape == "`":
            return
        ins = final.from_
        img = final.image
        s, e = (img.start, img.end) if img is not None else (ins.start, ins.end)
        ctx.report(
            self,
            s,
            e,
            "the final stage sets no USER, so it runs as the base image's user (root for most images): "
            "add an unprivileged USER",
            subject=f"FROM {img.raw if img else ''}",
        )
