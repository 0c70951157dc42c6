"""HP507: a signature check that accepts any signer."""

from __future__ import annotations

from hardpin.analysis import yamldoc as y
from hardpin.analysis.signing import (
    broad_identity,
    keyless_entries,
    kyverno_policies,
    verify_images,
    workflow_jobs,
)
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP507(Rule):
    """A signature check that accepts any signer.

    ## What it does
    Reports `cosign verify`, `verify-attestation`, `verify-blob` and
    `verify-blob-attestation` in workflow steps that verify keyless
    signatures (no `--key`) without a certificate identity and an OIDC
    issuer, or with a `--certificate-identity-regexp` that matches every
    identity (`.*`, `.+`, `^.*$`), is not anchored with `^` (cosign's
    regular expressions match anywhere in the identity) or fixes no more
    than a host (`^https://github.com/.*`). In Kyverno policies, reports
    keyless attestors whose `subject` is `*`, whose `subjectRegExp` is as
    broad, or that name no `issuer`/`issuerRegExp`.

    ## Why it matters
    A keyless certificate proves only who the OIDC issuer says the signer
    is. With GitHub as the issuer, anyone with a public repository can get
    a certificate: a check that accepts any identity accepts their
    signature on a malicious image. The common tutorial command
    `cosign verify --certificate-identity-regexp=".*"` is exactly this.

    ## Example
    ```sh
    cosign verify --certificate-identity-regexp='.*' \
      --certificate-oidc-issuer=https://token.actions.githubusercontent.com IMAGE
    ```

    ## Use instead
    ```sh
    cosign verify \
      --certificate-identity='https://github.com/org/app/.github/workflows/release.yml@refs/tags/v1.2.3' \
      --certificate-oidc-issuer=https://token.actions.githubusercontent.com IMAGE
    ```

    ## Fix safety
    No automatic fix: only the project knows which identity signs its
    images.
    """

    code = "HP507"
    name = "signature-check-accepts-any-signer"
    severity = Severity.ERROR
    kinds = frozenset({"workflow", "action", "kubernetes"})

    def check(self, ctx: RuleContext) -> None:
        if ctx.kind == "kubernetes":
            self._kyverno(ctx)
            return
        for job in workflow_jobs(ctx):
            for e in job.events:
                if e.what != "verify" or "--key" in e.options:
                    continue
                why = self._why(e.options)
                if why:
                    ctx.report(self, e.start, e.end, f"{e.label} {why}", subject=e.label)

    @staticmethod
    def _why(opts: dict[str, str | None]) -> str | None:
        ident = opts.get("--certificate-identity")
        regexp = opts.get("--certificate-identity-regexp")
        has_issuer = (
            "--certificate-oidc-issuer" in opts or "--certificate-oidc-issuer-regexp" in opts
        )
        if "--certificate-identity" not in opts and "--certificate-identity-regexp" not in opts:
            return "names no --certificate-identity, so any signer is accepted"
        if ident is None and regexp is not None and "${{" not in regexp and "$" != regexp[:1]:
            broad = broad_identity(regexp)
            if broad:
                return f"accepts any signer: --certificate-identity-regexp {regexp!r}: {broad}"
        if not has_issuer:
            return (
                "names no --certificate-oidc-issuer, so a certificate from any issuer is accepted"
            )
        return None

    def _kyverno(self, ctx: RuleContext) -> None:
        text = ctx.source.text
        for policy in kyverno_policies(ctx):
            for _rule, entry in verify_images(policy):
                for k in keyless_entries(entry):
                    subject = y.get(k, "subject")
                    subject_re = y.get(k, "subjectRegExp")
                    s, e = y.span(text, k)
                    sv, srv = y.scalar(subject), y.scalar(subject_re)
                    if sv is not None and sv.strip() in ("*", ""):
                        ctx.report(
                            self,
                            *y.span(text, subject),  # type: ignore[arg-type]
                            "keyless attestor with subject '*' accepts any signer",
                        )
                    elif sv is None and srv is not None and broad_identity(srv):
                        ctx.report(
                            self,
                            *y.span(text, subject_re),  # type: ignore[arg-type]
                            f"keyless attestor's subjectRegExp {srv!r} accepts any signer: "
                            f"{broad_identity(srv)}",
                        )
                    elif sv is None and srv is None:
                        ctx.report(self, s, s, "keyless attestor names no subject")
                    if y.get(k, "issuer") is None and y.get(k, "issuerRegExp") is None:
                        ctx.report(
                            self,
                            s,
                            s,
                            "keyless attestor names no issuer, so a certificate from any "
                            "issuer is accepted",
                        )
