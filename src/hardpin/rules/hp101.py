"""HP101: image reference not pinned by digest."""

from __future__ import annotations

from hardpin._lazy import lazy_re
from hardpin.model import FixAvailability, Pending, Severity
from hardpin.refs import ImageRef, digest_problem
from hardpin.rules.base import Rule, RuleContext
from hardpin.rules.dockerfile_common import ImageSite, image_sites

_SINGLE_VAR = lazy_re(r"\$(?:\{(\w+)\}|(\w+))")

_WHERE = {"from": "FROM", "copy": "COPY --from", "mount": "RUN --mount from="}


def sites(ctx: RuleContext) -> list[ImageSite]:
    return ctx.cached("image_sites", lambda: image_sites(ctx.doc))  # type: ignore[arg-type]


def literal_span(ctx: RuleContext, site: ImageSite) -> tuple[int, int] | None:
    """Source span of the text that spells the whole image reference, or None.

    That is the site itself when it uses no ARG; for `FROM ${BASE}` (one ARG and
    nothing else) it is the default of the ARG in effect (`ARG BASE=python:3.12`),
    inside its quotes. References assembled from parts (`python:${V}-slim`) have none:
    a digest there would silently override the ARG.
    """
    if not site.args_used:
        return site.start, site.end
    m = _SINGLE_VAR.fullmatch(site.raw)
    if m is None:
        return None
    name = m.group(1) or m.group(2)
    df = ctx.doc
    cands = []
    if site.kind != "from":
        cands = [a for a in site.stage.args if a.name == name and a.name_start < site.start]
    if not cands or cands[-1].value_start is None:
        cands = [a for a in df.global_args if a.name == name]  # type: ignore[attr-defined]
    if not cands:
        return None
    arg = cands[-1]
    if arg.value_start is None or arg.value_end is None or arg.default != site.expanded:
        return None
    start, end = arg.value_start, arg.value_end
    text = ctx.source.text[start:end]
    if len(text) >= 2 and text[0] in "\"'" and text[-1] == text[0]:
        start, end = start + 1, end - 1
    if ctx.source.text[start:end] != site.expanded:
        return None  # escapes or quotes inside: leave it to a person
    return start, end


def digest_span(ctx: RuleContext, site: ImageSite) -> tuple[int, int] | None:
    """Source span of the digest (after `@`) in the text that spells the reference."""
    span = literal_span(ctx, site)
    if span is None:
        return None
    at = ctx.source.text.rfind("@", span[0], span[1])
    return None if at == -1 else (at + 1, span[1])


def lookup_name(ref: ImageRef) -> str:
    """`registry/repository:tag` (tag `latest` when none is written): what a pin resolves."""
    return f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"


def describe(site: ImageSite) -> str:
    """`python:3.12`, or `python:3.12 (from ${BASE})` when ARGs were substituted."""
    if site.args_used:
        return f"{site.expanded} (from {site.raw})"
    return site.expanded


class HP101(Rule):
    """Image reference not pinned by digest.

    ## What it does
    Reports every image a Dockerfile pulls — in `FROM`, `COPY --from=<image>`
    and `RUN --mount=...,from=<image>` — that is not pinned to a content
    digest (`@sha256:` followed by 64 hex digits). ARGs are substituted
    first (`$VAR`, `${VAR}`, `${VAR:-default}`), so `FROM ${BASE}` with
    `ARG BASE=python:3.12` is reported as `python:3.12`, and an ARG default
    that carries a digest counts as pinned. Stage names and `scratch` are
    not images. A digest that is not `sha256:` with 64 lower-case hex digits
    (a truncated or placeholder digest) is not a pin and is reported too.

    ## Why it matters
    A tag is a pointer the registry owner (or an attacker holding their
    credentials) can move at any time: the same Dockerfile then builds from
    different bytes. A digest names the content itself; the build fails
    rather than use anything else.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    COPY --from=ghcr.io/astral-sh/uv:0.4 /uv /bin/uv
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim@sha256:2a6386ad2db20e7f55073f69a98d6da2cf9f168e05e7487d2670baeb9b7601c5
    COPY --from=ghcr.io/astral-sh/uv:0.4@sha256:5436c72d52c9c0d011010ce68f4c399702b3b0764adcf282fe0e546f20ebaef6 /uv /bin/uv
    ```
    Keep the tag next to the digest (`name:tag@sha256:…`): people read the
    tag, the builder uses the digest, and `hardpin update` can move both.

    ## Fix safety
    Fixable with network: `hardpin check --fix` resolves the tag through the
    registry and writes the digest of the multi-platform index, so every
    platform keeps building. The fix changes nothing about what the tag
    points to today.
    """

    code = "HP101"
    name = "unpinned-image"
    severity = Severity.ERROR
    fix = FixAvailability.NETWORK

    def check(self, ctx: RuleContext) -> None:
        for site in sites(ctx):
            if site.missing:
                continue  # HP104
            if site.ref is None:
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"{_WHERE[site.kind]} {describe(site)} is not a valid image reference "
                    f"({site.error}), so it cannot be pinned",
                    subject=site.raw,
                    availability=FixAvailability.NONE,
                )
                continue
            ref = site.ref
            where = _WHERE[site.kind]
            if ref.digest is None:
                span = literal_span(ctx, site)
                pending = None
                if span is not None:
                    # a tagless reference gets `:latest` written out, so `hardpin update` can follow it
                    prefix = "@" if ref.tag else ":latest@"
                    pending = Pending("image", (lookup_name(ref),), span[1], span[1], prefix=prefix)
                    hint = "fixable with network"
                else:
                    hint = "it is assembled from ARGs, so pin it by hand"
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"{where} image {describe(site)} is not pinned by digest; "
                    f"pin it as {ref.familiar}@sha256:<digest> ({hint})",
                    subject=site.raw,
                    pending=pending,
                    availability=None if pending else FixAvailability.NONE,
                )
            elif not ref.digest_ok:
                digest = digest_span(ctx, site) if ref.tag else None
                pending = None if digest is None else Pending("image", (lookup_name(ref),), *digest)
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"{where} image {describe(site)} has a malformed digest, which is not a pin: "
                    f"{digest_problem(ref.digest)}",
                    subject=site.raw,
                    pending=pending,
                    availability=None if pending else FixAvailability.NONE,
                )
