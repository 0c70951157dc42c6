"""HP508: a Kyverno verifyImages rule that does not enforce."""

from __future__ import annotations

from hardpin.analysis import yamldoc as y
from hardpin.analysis.signing import kyverno_policies, verify_images
from hardpin.model import Severity
from hardpin.rules.base import Rule, RuleContext


class HP508(Rule):
    """A Kyverno verifyImages rule that does not enforce.

    ## What it does
    Reports Kyverno `ClusterPolicy` and `Policy` documents with
    `verifyImages` rules that let an unverified image run: the policy's
    `validationFailureAction` is `Audit` (or missing: Kyverno's default is
    Audit) and the entry sets no `failureAction: Enforce`; an entry's
    `failureAction: Audit`, `required: false`, `verifyDigest: false` or
    `mutateDigest: false`.

    ## Why it matters
    In Audit mode a failed signature check is a report line, and the pod
    still starts. Without `verifyDigest` and `mutateDigest` a verified tag
    can be moved after the check, so the node runs an image nobody
    verified.

    ## Example
    ```yaml
    spec:
      validationFailureAction: Audit
      rules:
        - name: check-signature
          verifyImages:
            - imageReferences: ["ghcr.io/org/*"]
              mutateDigest: false
    ```

    ## Use instead
    ```yaml
    spec:
      validationFailureAction: Enforce
      rules:
        - name: check-signature
          verifyImages:
            - imageReferences: ["ghcr.io/org/*"]
    ```

    ## Fix safety
    No automatic fix: switching a policy to Enforce can stop workloads from
    starting; roll it out deliberately.
    """

    code = "HP508"
    name = "image-verification-not-enforced"
    severity = Severity.WARNING
    kinds = frozenset({"kubernetes"})

    def check(self, ctx: RuleContext) -> None:
        text = ctx.source.text
        for policy in kyverno_policies(ctx):
            spec = y.get(policy, "spec")
            action = y.get(spec, "validationFailureAction")
            entries = verify_images(policy)
            audit_entries = []
            for _rule, entry in entries:
                fa = y.get(entry, "failureAction")
                fav = (y.scalar(fa) or "").strip().lower()
                if fa is not None and fav == "audit":
                    ctx.report(
                        self,
                        *y.span(text, fa),
                        "verifyImages failureAction is Audit: "
                        "an image that fails verification still runs",
                    )
                elif fa is None:
                    audit_entries.append(entry)
                for key in ("required", "verifyDigest", "mutateDigest"):
                    n = y.get(entry, key)
                    if (y.scalar(n) or "").strip().lower() == "false":
                        ctx.report(self, *y.span(text, n), self._why(key))  # type: ignore[arg-type]
            if not audit_entries:
                continue
            av = (y.scalar(action) or "").strip().lower()
            if action is not None and av == "audit":
                ctx.report(
                    self,
                    *y.span(text, action),
                    "validationFailureAction is Audit: an image that fails verification still runs",
                )
            elif action is None:
                s = y.span(text, spec)[0] if spec is not None else y.start(policy)
                ctx.report(
                    self,
                    s,
                    s,
                    "no validationFailureAction: Kyverno's default is Audit, so an image that "
                    "fails verification still runs; set `validationFailureAction: Enforce`",
                )

    @staticmethod
    def _why(key: str) -> str:
        return {
            "required": "required: false lets images that are not signed run",
            "verifyDigest": "verifyDigest: false accepts images referenced by a movable tag",
            "mutateDigest": "mutateDigest: false keeps the tag, so the image that runs may not "
            "be the one verified",
        }[key]
