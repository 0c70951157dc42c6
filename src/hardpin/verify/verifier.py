"""One image against the policies that match it -> ImageResult.

For each matching policy (all must pass):

* signature: the image needs a signature by the policy's signer. Candidates are
  the legacy `.sig` layers and the Sigstore bundles whose statement is a cosign
  image signature (`https://sigstore.dev/cosign/sign/v1`). None at all: HP603.
  Some, none verifying: HP604 with each candidate's reason.
* attestations: for each required type, a DSSE attestation (legacy `.att` layer
  or bundle) signed by the same signer, about this digest, whose *signed*
  predicateType matches the type (prefix match). Missing or none verifying: HP605.
  The SBOM it carries must be valid and not empty (and have at least
  `minimum-packages` packages): else HP606.
"""

from __future__ import annotations

import json
from typing import Any

from hardpin._record import record
from hardpin.online.registry import RegistryClient, RegistryError
from hardpin.online.signatures import Layer, Signatures
from hardpin.refs import Digest, ImageRef, InvalidDigest
from hardpin.verify import cosign
from hardpin.verify.crypto import PublicKey, load_public_key
from hardpin.verify.policy import COSIGN_SIGN_TYPE, Policy, type_matches, type_name
from hardpin.verify.sbom import check_document

BUNDLE_PREDICATE_ANNOTATION = "dev.sigstore.bundle.predicateType"
ATT_PREDICATE_ANNOTATION = "predicateType"


@record
class Check:
    """One requirement of one policy for one image."""

    what: str  # "signature", "attestation spdxjson"
    ok: bool
    code: str  # the rule a failure is (HP603-HP606); "" when ok
    message: str
    policy: str  # where the policy was written


@record
class ImageResult:
    image: str  # as the user wrote it
    name: str  # registry/repository
    digest: str
    checks: list[Check]
    error: str | None = None  # the image could not be looked up

    @property
    def failed(self) -> bool:
        return self.error is not None or any(not c.ok for c in self.checks)


class Verifier:
    def __init__(self, client: RegistryClient) -> None:
        self.client = client
        self.signatures = Signatures(client)
        self._keys: dict[str, PublicKey] = {}
        self._blobs: dict[tuple[str, str], bytes | str] = {}

    def key(self, path: str) -> PublicKey:
        k = self._keys.get(path)
        if k is None:
            k = self._keys[path] = load_public_key(path)
        return k

    def digest_of(self, ref: ImageRef) -> Digest:
        if ref.digest is not None:
            try:
                return Digest.parse(ref.digest)
            except InvalidDigest as exc:
                raise RegistryError(f"{ref.raw}: {exc}") from None
        return self.client.resolve(ref).digest

    def verify(
        self, ref: ImageRef, policies: list[Policy], shown: str | None = None
    ) -> ImageResult:
        shown = shown or ref.raw
        try:
            digest = self.digest_of(ref)
            found = self.signatures.find(ref, digest)
        except RegistryError as exc:
            return ImageResult(image=shown, name=ref.name, digest="", checks=[], error=str(exc))
        checks: list[Check] = []
        for policy in policies:
            check = self._signature(ref, digest, found.layers, policy)
            if check.code == "HP603" and found.notes:
                check = Check(
                    what=check.what,
                    ok=False,
                    code="HP603",
                    message=f"{check.message} (skipped: " + "; ".join(found.notes[:3]) + ")",
                    policy=check.policy,
                )
            checks.append(check)
            for wanted in policy.attestations:
                checks.extend(self._attestation(ref, digest, found.layers, policy, wanted))
        return ImageResult(image=shown, name=ref.name, digest=str(digest), checks=checks)

    # -- candidates ----------------------------------------------------------------
    def _blob(self, ref: ImageRef, layer: Layer) -> bytes | str:
        """The layer's blob, or why it could not be read."""
        k = (ref.name, layer.digest or layer.where)
        got = self._blobs.get(k)
        if got is None:
            try:
                got = self.signatures.blob(ref, layer)
            except RegistryError as exc:
                got = f"cannot read it: {exc}"
            self._blobs[k] = got
        return got

    def _outcome(
        self, ref: ImageRef, digest: Digest, layer: Layer, policy: Policy
    ) -> cosign.Outcome:
        blob = self._blob(ref, layer)
        if isinstance(blob, str):
            return cosign.Outcome(ok=False, reason=blob)
        if policy.keyless:
            from hardpin.verify.keyless import keyless_outcome

            return keyless_outcome(layer, blob, policy, str(digest))
        key = self.key(policy.key)  # type: ignore[arg-type]
        if layer.kind == "simplesigning":
            return cosign.check_simplesigning(blob, layer.annotations, key, str(digest))
        if layer.kind == "dsse":
            env, why = cosign.parse_envelope(blob)
            if env is None:
                return cosign.Outcome(ok=False, reason=why)
            return cosign.verify_envelope(env, key, str(digest))
        bundle, why = cosign.parse_bundle(blob)
        if bundle is None:
            return cosign.Outcome(ok=False, reason=why)
        if cosign.bundle_is_keyless(bundle):
            return cosign.Outcome(
                ok=False,
                reason=f"a keyless (certificate) bundle, and the policy wants {key.source}",
            )
        env, why = cosign.parse_envelope(bundle["dsseEnvelope"])
        if env is None:
            return cosign.Outcome(ok=False, reason=why)
        return cosign.verify_envelope(env, key, str(digest), hint=cosign.bundle_hint(bundle))

    def _signature(
        self, ref: ImageRef, digest: Digest, layers: list[Layer], policy: Policy
    ) -> Check:
        reasons: list[str] = []
        candidates = 0
        for layer in layers:
            if layer.kind == "dsse":
                continue
            if layer.kind == "bundle":
                claimed = layer.annotations.get(BUNDLE_PREDICATE_ANNOTATION)
                if claimed is not None and claimed != COSIGN_SIGN_TYPE:
                    continue  # says it is an attestation: looked at for attestations
            outcome = self._outcome(ref, digest, layer, policy)
            if layer.kind == "bundle" and outcome.ok and outcome.predicate_type != COSIGN_SIGN_TYPE:
                if layer.annotations.get(BUNDLE_PREDICATE_ANNOTATION) is None:
                    continue  # an attestation without the annotation: not a signature
                outcome = cosign.Outcome(
                    ok=False,
                    reason=f"the signed statement is a {outcome.predicate_type[:80]} "
                    "attestation, not an image signature",
                )
            candidates += 1
            if outcome.ok:
                return Check(
                    what="signature",
                    ok=True,
                    code="",
                    message=f"signed by {policy.signer()} ({layer.where})",
                    policy=policy.origin,
                )
            reasons.append(f"{layer.where}: {outcome.reason}")
        if not candidates:
            return Check(
                what="signature",
                ok=False,
                code="HP603",
                message=f"no signature for {digest}",
                policy=policy.origin,
            )
        return Check(
            what="signature",
            ok=False,
            code="HP604",
            message=f"no signature verifies with {policy.signer()}: " + "; ".join(reasons[:5]),
            policy=policy.origin,
        )

    def _attestation(
        self, ref: ImageRef, digest: Digest, layers: list[Layer], policy: Policy, wanted: str
    ) -> list[Check]:
        name = type_name(wanted)
        what = f"attestation {name}"
        reasons: list[str] = []
        sbom_failures: list[Check] = []
        for layer in layers:
            if layer.kind == "simplesigning":
                continue
            annotation = (
                ATT_PREDICATE_ANNOTATION if layer.kind == "dsse" else BUNDLE_PREDICATE_ANNOTATION
            )
            claimed = layer.annotations.get(annotation)
            if claimed is not None and not type_matches(claimed, wanted):
                continue  # the unsigned annotation only filters
            outcome = self._outcome(ref, digest, layer, policy)
            if not outcome.ok:
                reasons.append(f"{layer.where}: {outcome.reason}")
                continue
            if not type_matches(outcome.predicate_type, wanted):
                if claimed is None and outcome.predicate_type == COSIGN_SIGN_TYPE:
                    continue  # an image signature bundle without annotations
                reasons.append(
                    f"{layer.where}: the signed statement's predicateType is "
                    f"{outcome.predicate_type[:80]}"
                    + (f" although its annotation says {claimed[:80]}" if claimed else "")
                )
                continue
            problem = self._sbom_problem(outcome.predicate, policy)
            if problem is None:
                return [
                    Check(
                        what=what,
                        ok=True,
                        code="",
                        message=f"{self._sbom_summary(outcome.predicate)} signed by "
                        f"{policy.signer()} ({layer.where})",
                        policy=policy.origin,
                    )
                ]
            sbom_failures.append(
                Check(
                    what=what,
                    ok=False,
                    code="HP606",
                    message=f"{layer.where}: the {name} SBOM {problem}",
                    policy=policy.origin,
                )
            )
        if sbom_failures:
            return sbom_failures[:1]
        if not reasons:
            msg = f"no {name} attestation for {digest}"
        else:
            msg = f"no {name} attestation verifies with {policy.signer()}: " + "; ".join(
                reasons[:5]
            )
        return [Check(what=what, ok=False, code="HP605", message=msg, policy=policy.origin)]

    @staticmethod
    def _predicate_doc(predicate: Any) -> Any:
        if isinstance(predicate, str):
            try:
                return json.loads(predicate)
            except (ValueError, RecursionError):
                return None
        return predicate

    def _sbom_problem(self, predicate: Any, policy: Policy) -> str | None:
        doc = self._predicate_doc(predicate)
        if doc is None:
            if isinstance(predicate, str):
                return "is not JSON (SPDX tag-value cannot be checked; attest with --type spdxjson)"
            return "is missing (empty predicate)"
        report = check_document(doc)
        if not report.valid:
            return f"is invalid ({report.describe() or 'unknown format'}): " + "; ".join(
                report.problems[:3]
            )
        if report.packages == 0:
            return "is empty (no packages)"
        if policy.minimum_packages is not None and report.packages < policy.minimum_packages:
            return (
                f"lists {report.packages} packages, the policy wants at least "
                f"{policy.minimum_packages}"
            )
        return None

    def _sbom_summary(self, predicate: Any) -> str:
        report = check_document(self._predicate_doc(predicate))
        return f"{report.describe()} SBOM with {report.packages} packages"
