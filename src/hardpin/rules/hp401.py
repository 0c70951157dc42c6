"""HP401: final stage runs as root."""

from __future__ import annotations

from hardpin.analysis.dockerfile import stage_image, windows_by_default
from hardpin.model import Severity
from hardpin.parsers.dockerfile import Dockerfile, Instruction, Stage, expand, global_env, stage_env
from hardpin.refs import ImageRef
from hardpin.rules.base import Rule, RuleContext

_ROOT = frozenset({"root", "0"})

# Base images known to run as an unprivileged user (their image config sets USER).
# A pattern without `:` matches the image name (any tag), one with `:` matches
# `name:tag`; names are in the short form (`cimg/python`, `python`), `*` matches any
# text. The `nonroot-images` setting replaces this list, `extend-nonroot-images` adds to it.
DEFAULT_NONROOT_IMAGES: tuple[str, ...] = (
    "*:*nonroot*",  # gcr.io/distroless/*:nonroot, *:debug-nonroot, ...
    "*:*rootless*",  # docker:dind-rootless, ...
    "mcr.microsoft.com/dotnet/*:*-chiseled*",  # .NET chiseled Ubuntu images run as `app`
    "cgr.dev/chainguard/*",  # Chainguard images run as `nonroot` (65532)
    "cimg/*",  # CircleCI convenience images run as `circleci`
    "circleci/*",  # CircleCI's legacy images, likewise
    "jupyter/*",  # Jupyter Docker Stacks run as `jovyan`
    "quay.io/jupyter/*",
)


def _is_root(user: str) -> bool:
    return user.split(":", 1)[0].strip() in _ROOT


def last_user(df: Dockerfile, st: Stage) -> tuple[Instruction | None, Stage, ImageRef | None]:
    """The last USER in the stage chain (following FROM <stage>), its stage and base image
    (the stage at the root of the chain and its image when no USER is found)."""
    cur: Stage | None = st
    seen: list[Stage] = []
    while cur is not None and cur not in seen:
        seen.append(cur)
        for ins in reversed(cur.instructions):
            if ins.keyword == "USER":
                return ins, cur, None
        parent, ref = stage_image(df, cur)
        if parent is None:
            return None, cur, ref
        cur = parent
    return None, st, None


def _chain(df: Dockerfile, st: Stage) -> list[Stage]:
    out: list[Stage] = []
    cur: Stage | None = st
    while cur is not None and cur not in out:
        out.append(cur)
        cur = stage_image(df, cur)[0]
    return out


def is_nonroot_image(ref: ImageRef, patterns: tuple[str, ...] | list[str]) -> bool:
    """Whether `ref` (its short name, with its tag when it has one) matches a pattern."""
    from fnmatch import fnmatchcase

    name = ref.familiar.split("@", 1)[0].lower()
    bare = name if ref.tag is None else name[: -len(ref.tag) - 1]
    tagged = name if ref.tag is not None else f"{name}:latest"
    for p in patterns:
        p = p.lower()
        if fnmatchcase(tagged if ":" in p else bare, p):
            return True
    return False


def _is_data_image(df: Dockerfile, root: Stage, chain: list[Stage]) -> bool:
    """FROM scratch and nothing that runs: no RUN, CMD or ENTRYPOINT in the stage chain."""
    if root.image is None or root.image.value.lower() != "scratch":
        return False
    return not any(
        (ins.inner or ins).keyword in ("RUN", "CMD", "ENTRYPOINT")
        for st in chain
        for ins in st.instructions
    )


class HP401(Rule):
    """Final stage runs as root.

    ## What it does
    Reports the final build stage when the image it produces runs as root:
    no `USER` instruction anywhere in its stage chain (the stage and the
    stages it is built `FROM`), or a last `USER` of `root`, `0`, `root:…` or
    `0:…`.

    Exempt are Windows base images, data images (`FROM scratch` with no
    `RUN`, `CMD` or `ENTRYPOINT`: nothing runs in them), and base images
    known to run as an unprivileged user. The default list of those
    (patterns on the short image name; with a `:`, on `name:tag`):

    | Pattern | Images |
    | --- | --- |
    | `*:*nonroot*` | distroless `:nonroot`, `:debug-nonroot`, any `nonroot` tag |
    | `*:*rootless*` | `docker:dind-rootless` and the like |
    | `mcr.microsoft.com/dotnet/*:*-chiseled*` | .NET chiseled images (user `app`) |
    | `cgr.dev/chainguard/*` | Chainguard images (user `nonroot`) |
    | `cimg/*`, `circleci/*` | CircleCI images (user `circleci`) |
    | `jupyter/*`, `quay.io/jupyter/*` | Jupyter Docker Stacks (user `jovyan`) |

    `nonroot-images = [...]` in the configuration replaces the list,
    `extend-nonroot-images = [...]` adds to it.

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
        if base is not None:
            patterns = ctx.settings.get("nonroot-images")
            if patterns is None:
                patterns = DEFAULT_NONROOT_IMAGES
            extra = ctx.settings.get("extend-nonroot-images") or ()
            if is_nonroot_image(base, (*patterns, *extra)):  # type: ignore[misc]
                return
        if windows_by_default(df, owner, base):
            return
        if _is_data_image(df, owner, _chain(df, final)):
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
