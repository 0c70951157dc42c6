"""HP103: image from a registry outside `allowed-registries`."""

from __future__ import annotations

from fnmatch import fnmatchcase

from hardpin.analysis.dockerfile import describe, sites
from hardpin.model import Severity
from hardpin.refs import DEFAULT_REGISTRY
from hardpin.rules.base import Rule, RuleContext

_HUB_ALIASES = ("docker.io", "index.docker.io", "registry-1.docker.io", "hub.docker.com")


def allowed(registry: str, repository: str, patterns: tuple[str, ...]) -> bool:
    full = f"{registry}/{repository}"
    for pat in patterns:
        p = pat.strip().lower()
        if "/" in p:
            if fnmatchcase(full, p) or fnmatchcase(full, p.rstrip("/") + "/*"):
                return True
            continue
        if p in _HUB_ALIASES:
            p = DEFAULT_REGISTRY
        if fnmatchcase(registry, p):
            return True
    return False


class HP103(Rule):
    """Image from a registry that is not allowed.

    ## What it does
    When the `allowed-registries` option is set, reports every image whose
    registry is not in it. Entries are globs matched against the registry
    host (`*.gcr.io`, `ghcr.io`, `registry.example.com:5000`), or, when they
    contain a `/`, against `registry/repository` (`ghcr.io/my-org/*`). An
    image without a registry host is on Docker Hub: write `docker.io` to
    allow it. Nothing is reported while the option is unset.

    ## Why it matters
    A policy of trusted sources (your own mirror, a vetted vendor registry)
    only holds when every Dockerfile follows it; a single `FROM` on an
    unknown registry brings in code nobody reviewed.

    ## Example
    With `allowed-registries = ["registry.example.com"]`:
    ```dockerfile
    FROM python:3.12
    ```

    ## Use instead
    ```dockerfile
    FROM registry.example.com/mirror/python:3.12
    ```

    ## Fix safety
    No automatic fix.
    """

    code = "HP103"
    name = "disallowed-registry"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> None:
        patterns = ctx.settings.allowed_registries
        if not patterns:
            return
        for site in sites(ctx):
            ref = site.ref
            if site.missing or ref is None:
                continue
            if not allowed(ref.registry, ref.repository, patterns):
                ctx.report(
                    self,
                    site.start,
                    site.end,
                    f"image {describe(site)} comes from registry {ref.registry}, "
                    f"which is not in allowed-registries",
                    subject=site.raw,
                )
