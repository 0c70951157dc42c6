"""HP101: image reference not pinned by digest."""

from __future__ import annotations

from hardpin.analysis.dockerfile import (
    borrowed_digest,
    describe,
    digest_span,
    literal_span,
    lookup_name,
    other_arg_use,
    sites,
)
from hardpin.model import FixAvailability, ImageKey, Pending, Severity
from hardpin.refs import digest_problem
from hardpin.rules.base import Rule, RuleContext

_WHERE = {"from": "FROM", "copy": "COPY --from", "mount": "RUN --mount from="}


class HP101(Rule):
    """Image reference not pinned by digest.

    ## What it does
    Reports every image a Dockerfile pulls — in `FROM`, `COPY --from=<image>`
    and `RUN --mount=...,from=<image>` — that is not pinned to a content
    digest (`@sha256:` followed by 64 hex digits). ARGs are substituted
    first (`$VAR`, `${VAR}`, `${VAR:-default}`), so `FROM ${BASE}` with
    `ARG BASE=python:3.12` is reported as `python:3.12`, and an ARG default
    that carries a digest counts as pinned where that ARG is the whole
    reference (`FROM ${BASE}`). Where the ARG is only part of it
    and names an image of its own (`FROM mirror.example/${IMAGE}` with
    `ARG IMAGE=img@sha256:…`), the digest was written for that other image,
    so the site is reported as not pinned; an ARG that supplies tag and
    digest of a repository named at the site (`golang:${GO_VER}` with
    `ARG GO_VER=1.21@sha256:…`) pins it. Stage names and `scratch` are
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
    points to today. A reference spelled as one ARG (`FROM ${BASE}`) is
    pinned in the ARG's default, and only when every use of that ARG is
    such a whole reference: with `FROM ${BASE}-slim`, `RUN echo $BASE` or
    `ARG FULL=${BASE}` also in its scope the digest would land there too, so
    the fix is not offered and the message names the other use.
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
            borrowed = borrowed_digest(site)
            if borrowed is not None:
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"{where} image {describe(site)} is not pinned: its digest comes from ARG "
                    f"{borrowed}, which names an image of its own, so the digest was not "
                    "resolved for this reference; pin it by hand",
                    subject=site.raw,
                    availability=FixAvailability.NONE,
                )
                continue
            shared = other_arg_use(ctx, site) if site.args_used else None
            if ref.digest is None:
                span = literal_span(ctx, site)
                pending = None
                if shared is not None:
                    hint = f"{shared[0]} is also used in line {shared[1]}, so pin it by hand"
                elif span is not None:
                    # a tagless reference gets `:latest` written out, so `hardpin update` can follow it
                    prefix = "@" if ref.tag else ":latest@"
                    pending = Pending(ImageKey(lookup_name(ref)), span[1], span[1], prefix=prefix)
                    hint = ""  # the output says how it is fixed (`[fix: network]`)
                else:
                    hint = "it is assembled from ARGs, so pin it by hand"
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"{where} image {describe(site)} is not pinned by digest; "
                    f"pin it as {ref.familiar}@sha256:<digest>" + (f" ({hint})" if hint else ""),
                    subject=site.raw,
                    pending=pending,
                    availability=None if pending else FixAvailability.NONE,
                )
            elif not ref.digest_ok:
                digest = digest_span(ctx, site) if ref.tag and shared is None else None
                pending = None if digest is None else Pending(ImageKey(lookup_name(ref)), *digest)
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
