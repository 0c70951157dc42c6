"""HP403: secret in ENV or ARG."""

from __future__ import annotations

import re

from hardpin._lazy import lazy_re
from hardpin.model import Severity
from hardpin.parsers.dockerfile import Dockerfile, key_values
from hardpin.rules.base import Rule, RuleContext
from hardpin.urls import credentials_in_text

_SECRET_NAME = lazy_re(
    r"(?:^|_)(?:PASSWORD|PASSWD|PASSPHRASE|PASS|SECRET|SECRETS|TOKEN|APIKEY|API_KEY|ACCESS_KEY|"
    r"ACCESSKEY|PRIVATE_KEY|PRIVATEKEY|SECRET_KEY|CREDENTIAL|CREDENTIALS|AUTH_TOKEN|AUTHTOKEN)(?:$|_)"
)
# Names that hold something about a secret, not the secret itself.
_NOT_SECRET_SUFFIX = lazy_re(
    r"_(?:FILE|PATH|DIR|URL|URI|HOST|PORT|NAME|USER|USERNAME|ENDPOINT|VERSION|LENGTH|TTL|"
    r"TIMEOUT|EXPIRY|EXPIRATION|EXPIRES|ENABLED|MODE|ID|TYPE|HEADER|FIELD|ENV|VAR|KEY_ID|"
    r"LOCATION|REF|ARN|SECRET_NAME|PROVIDER|COMMAND|CMD|MIN|MAX|SIZE)$"
)
# Token formats that are secrets whatever the variable is called, each with the texts
# one of which every match contains: most values contain none, and their patterns are
# then never compiled
_TOKEN_FORMATS: tuple[tuple[str, tuple[str, ...], re.Pattern[str]], ...] = (
    (
        "a GitHub token",
        ("gh", "github_pat_"),
        lazy_re(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    ),
    ("an AWS access key", ("AKIA", "ASIA"), lazy_re(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitLab token", ("glpat-",), lazy_re(r"\bglpat-[0-9A-Za-z_\-]{20,}")),
    ("a Slack token", ("xox",), lazy_re(r"\bxox[abposr]-[0-9A-Za-z\-]{10,}")),
    ("a Stripe key", ("k_live_",), lazy_re(r"\b[rs]k_live_[0-9A-Za-z]{16,}")),
    ("a Google API key", ("AIza",), lazy_re(r"\bAIza[0-9A-Za-z_\-]{35}")),
    ("an npm token", ("npm_",), lazy_re(r"\bnpm_[A-Za-z0-9]{36}\b")),
    ("a PyPI token", ("pypi-AgE",), lazy_re(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}")),
    ("a private key", ("-----BEGIN ",), lazy_re(r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----")),
)
_VAR_ONLY = lazy_re(r"^\$(?:\{[A-Za-z_][A-Za-z0-9_]*(?::?[-+?][^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)$")


def secret_kind(name: str, value: str) -> str | None:
    """Why `value` of variable `name` looks like a secret, or None."""
    for what, needles, pat in _TOKEN_FORMATS:
        if any(n in value for n in needles) and pat.search(value):
            return what
    if credentials_in_text(value, shell=True):
        return "credentials in a URL"
    up = name.upper().replace("-", "_")
    if not _SECRET_NAME.search(up) or _NOT_SECRET_SUFFIX.search(up):
        return None
    v = value.strip()
    if not v or _VAR_ONLY.match(v) or v.startswith("/run/secrets/"):
        return None
    return "a literal value for a secret-looking name"


class HP403(Rule):
    """Secret in ENV or ARG.

    ## What it does
    Reports `ENV` and `ARG` instructions that put a secret into the image:
    a literal value for a name that looks like a secret (`*_PASSWORD`,
    `*_TOKEN`, `API_KEY`, `*_SECRET`, …; names like `*_FILE`, `*_URL`,
    `*_USER` are not secrets), or a value in a known token format (GitHub,
    GitLab, AWS, Slack, Stripe, Google, npm and PyPI tokens, private keys,
    credentials in a URL) whatever the name. The message names the variable,
    never the value.

    ## Why it matters
    ENV values are stored in the image configuration and ARG values in its
    build history: anyone who can pull the image can read them, long after
    the build.

    ## Example
    ```dockerfile
    ARG NPM_TOKEN=npm_0123456789abcdefghijklmnopqrstuvwxyz
    RUN npm ci
    ```

    ## Use instead
    ```dockerfile
    RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN npm ci
    ```
    and pass it with `docker build --secret id=npm_token,env=NPM_TOKEN`.

    ## Fix safety
    No automatic fix: the secret must also be rotated.
    """

    code = "HP403"
    name = "secret-in-env"
    severity = Severity.ERROR

    def check(self, ctx: RuleContext) -> None:
        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        for ins in df.instructions:
            target = ins.inner or ins
            if target.keyword not in ("ENV", "ARG"):
                continue
            for key, value, kstart, vstart, vend in key_values(target):
                if value is None or vstart is None or vend is None:
                    continue
                why = secret_kind(key, value)
                if why is None:
                    continue
                ctx.report(
                    self,
                    kstart,
                    vend,
                    f"{target.keyword} {key} holds {why}, which stays readable in the image: "
                    f"pass it with RUN --mount=type=secret instead",
                    subject=f"{target.keyword} {key}",
                )
