"""HP210: insecure package index for pip."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.analysis.options import parse
from hardpin.analysis.pip import PIP, PipCall, pip_calls, pip_command
from hardpin.analysis.shell import UNKNOWN, assignments, resolve, simple_commands, units
from hardpin.model import Severity
from hardpin.parsers.shell import ShWord
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import redact

_HTTP = lazy_re(r"^http://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)", re.IGNORECASE)
_LOOPBACK = lazy_re(
    r"^(?:localhost|127(?:\.\d{1,3}){3}|\[?::1\]?|0\.0\.0\.0|host\.docker\.internal)$",
    re.IGNORECASE,
)
# environment variables: name -> role ("index", "extra", "links")
ENV_ROLES = {
    "PIP_INDEX_URL": "index",
    "PIP_EXTRA_INDEX_URL": "extra",
    "PIP_FIND_LINKS": "links",
    "UV_INDEX_URL": "index",
    "UV_DEFAULT_INDEX": "index",
    "UV_EXTRA_INDEX_URL": "uv-extra",
    "UV_INDEX": "uv-extra",
    "UV_FIND_LINKS": "links",
}
_CONFIG_ROLES = {"index-url": "index", "extra-index-url": "extra", "find-links": "links"}


def plain_http(url: str) -> bool:
    """A plain `http://` URL to another machine (loopback addresses are not on the network)."""
    m = _HTTP.match(url.strip())
    if not m:
        return False
    host = m.group(1)
    return UNKNOWN not in host and not _LOOPBACK.match(host)


def _uv_url(value: str) -> str:
    """`--index name=https://…` names its index; the URL is after `=`."""
    if "=" in value and not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        return value.split("=", 1)[1]
    return value


class HP210(Rule):
    """Insecure package index for pip.

    ## What it does
    Reports package indexes that pip (also `uv pip`, `pipx`) is told to use
    in an insecure way, in `RUN` instructions, `ENV`/`ARG` and shell scripts:

    - an index over plain `http://` — `--index-url`/`-i`, `--find-links`/`-f`,
      `PIP_INDEX_URL`, `PIP_FIND_LINKS`, uv's `--default-index`,
      `UV_INDEX_URL`, `UV_DEFAULT_INDEX`, and
      `pip config set global.index-url`: an **error**;
    - any `--extra-index-url` / `PIP_EXTRA_INDEX_URL`: a **warning**, or
      an error when it is plain `http://` too. pip treats every index as
      equal and takes the best version from any of them, so a package name
      that exists on the private index can be taken over by whoever
      publishes that name, with a higher version, on PyPI (dependency
      confusion). uv looks for a package in its indexes in order and
      stops at the first that has it, so uv's `--extra-index-url` /
      `--index` are reported only with `--index-strategy unsafe-best-match`
      or `unsafe-first-match` (or `UV_INDEX_STRATEGY`), and for plain http.

    Environment variables are reported where they are set: on the command
    (`PIP_INDEX_URL=http://… pip install …`, `env PIP_INDEX_URL=…`), by
    `export`, or by a Dockerfile `ENV` or `ARG` default. Loopback addresses
    (`localhost`, `127.0.0.1`, `::1`, `host.docker.internal`) are not on
    the network and are not reported. Credentials in URLs never appear in
    messages. `--trusted-host` (which turns off certificate checks) is
    HP208's.

    ## Why it matters
    Over plain http anyone on the network path — a compromised proxy, a
    hostile Wi-Fi, a DNS spoof in the build farm — can serve different
    packages, and pip cannot tell (hashes protect only what is hashed). An
    extra index mixed with PyPI is how the `torchtriton` package of
    PyTorch's nightly index was hijacked in December 2022.

    ## Example
    ```dockerfile
    ENV PIP_INDEX_URL=http://pypi.internal.example/simple
    RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu torch==2.3.1
    ```

    ## Use instead
    ```dockerfile
    ENV PIP_INDEX_URL=https://pypi.internal.example/simple
    RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.3.1
    ```
    Use one index that mirrors or proxies everything you need (or separate
    `pip install --index-url` commands per index), and pin with hashes
    (HP202) so a package cannot be swapped even by the index.

    ## Fix safety
    No automatic fix: whether the index is served over https, and which
    packages belong to which index, is known only to its owner.
    """

    code = "HP210"
    name = "insecure-pip-index"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        for call in pip_calls(ctx):
            self._check_call(ctx, call)
        for unit in units(ctx):
            for cmd in unit.commands:
                for name, raw, word in assignments(cmd.words):
                    role = ENV_ROLES.get(name)
                    if role is not None:
                        self._check_value(ctx, role, name, resolve(raw, {}), word.start, word.end)
        if ctx.kind == "dockerfile":
            self._check_dockerfile_env(ctx)
        for _unit, _cmd, words in simple_commands(ctx):
            self._check_pip_config(ctx, words)

    def _check_call(self, ctx: RuleContext, call: PipCall) -> None:
        unsafe_uv = any(
            (o.value or "").startswith("unsafe") for o in call.values("--index-strategy")
        ) or (call.env.get("UV_INDEX_STRATEGY") or "").startswith("unsafe")
        for o in call.options:
            if o.value is None:
                continue
            w = o.value_word or o.word
            if o.name in ("--index-url", "--default-index"):
                role = "index"
            elif o.name == "--find-links":
                role = "links"
            elif o.name == "--extra-index-url" or (o.name == "--index" and call.tool == "uv"):
                role = "extra" if call.tool != "uv" or unsafe_uv else "uv-extra"
            else:
                continue
            value = _uv_url(o.value) if call.tool == "uv" else o.value
            self._check_value(ctx, role, o.name, value, w.start, w.end, call.tool)

    def _check_value(
        self,
        ctx: RuleContext,
        role: str,
        what: str,
        value: str,
        start: int,
        end: int,
        tool: str = "pip",
    ) -> None:
        urls = value.split() or [value]
        http = [u for u in urls if plain_http(u)]
        shown = redact(http[0] if http else urls[0]).replace(UNKNOWN, "…")
        subject = f"{what} {shown}"
        if http:
            if role in ("extra", "uv-extra"):
                extra = " and, mixed with the main index, lets a package of the same name on either index win"
                extra = extra if role == "extra" else ""
                msg = (
                    f"{what} {shown} is plain http: packages can be swapped in transit{extra}; "
                    f"use https"
                )
            else:
                kind = "package source" if role == "links" else "package index"
                msg = f"{what} {shown} is a {kind} over plain http: packages can be swapped in transit; use https"
            ctx.report(self, start, end, msg, subject=subject)
            return
        if role == "extra" and any(u.strip() and u != UNKNOWN for u in urls):
            who = "uv with an unsafe --index-strategy" if tool == "uv" else "pip"
            ctx.report(
                self,
                start,
                end,
                f"{what} {shown} adds a second index that {who} treats as equal to the first, so a package "
                f"published under the same name with a higher version on either index wins (dependency "
                f"confusion); use a single index that proxies both, or one --index-url per install",
                subject=subject,
                severity=Severity.WARNING,
            )

    def _check_dockerfile_env(self, ctx: RuleContext) -> None:
        from hardpin.parsers.dockerfile import ParseError, key_values

        for ins in ctx.doc.instructions:  # type: ignore[attr-defined]
            target = ins.inner or ins
            if target.keyword not in ("ENV", "ARG"):
                continue
            try:
                pairs = key_values(target)
            except ParseError:
                continue
            for key, value, kstart, vstart, vend in pairs:
                role = ENV_ROLES.get(key)
                if role is None or value is None or vstart is None or vend is None:
                    continue
                self._check_value(ctx, role, key, value, kstart, vend)

    def _check_pip_config(self, ctx: RuleContext, words: list[ShWord]) -> None:
        found = pip_command(words)
        if found is None or found[0] != "pip":
            return
        args = parse(found[1], PIP).operands
        if len(args) < 4 or args[0].value != "config" or args[1].value != "set":
            return
        key = args[2].value.lower()
        role = _CONFIG_ROLES.get(key.rsplit(".", 1)[-1])
        if role is None:
            return
        val = args[3]
        self._check_value(ctx, role, key, resolve(val.value, {}), val.start, val.end)
