"""The verify policy: which images must be signed by whom and carry which SBOMs.

In the config file (`[tool.hardpin.verify]` of pyproject.toml, `[verify]` of
.hardpin.toml), one table per group of images, as Kyverno's `verifyImages`:

    [[tool.hardpin.verify.images]]
    references = ["ghcr.io/acme/*"]        # image globs (`*` also matches `/`)
    key = "keys/cosign.pub"                # PEM public key, relative to the config file
    # or keyless:
    # certificate-identity = "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
    # certificate-identity-regexp = "^https://github.com/acme/"
    # certificate-oidc-issuer = "https://token.actions.githubusercontent.com"
    # certificate-oidc-issuer-regexp = "..."
    # trusted-root = "trusted_root.json"   # keyless: the Sigstore trusted root (offline)
    # ignore-tlog = false                  # keyless: do not require the transparency log
    attestations = ["spdxjson"]            # required SBOM attestations: spdxjson, cyclonedx
    minimum-packages = 10                  # optional: fewer packages in the SBOM fail

Every entry whose globs match an image applies to it (all must pass), as every
matching Kyverno rule does. A glob matches the image's full name
(`registry/repository`, as normalised: `docker.io/library/alpine`) or that name with
its tag; a glob without a registry part also matches the familiar name (`alpine`).
"""

from __future__ import annotations

import os
import re
from fnmatch import fnmatchcase
from typing import Any

from hardpin._record import record
from hardpin.model import HardpinError
from hardpin.refs import ImageRef

SPDX_TYPE = "https://spdx.dev/Document"
CYCLONEDX_TYPE = "https://cyclonedx.org/bom"
COSIGN_SIGN_TYPE = "https://sigstore.dev/cosign/sign/v1"
# cosign's --type names (cmd/cosign/cli/options/predicate.go) for SBOMs
TYPE_NAMES = {"spdxjson": SPDX_TYPE, "spdx": SPDX_TYPE, "cyclonedx": CYCLONEDX_TYPE}
SBOM_TYPES = (SPDX_TYPE, CYCLONEDX_TYPE)

_KEYS = {
    "references",
    "key",
    "certificate-identity",
    "certificate-identity-regexp",
    "certificate-oidc-issuer",
    "certificate-oidc-issuer-regexp",
    "trusted-root",
    "ignore-tlog",
    "attestations",
    "minimum-packages",
}


class PolicyError(HardpinError):
    """A verify policy that cannot be used (one line, naming where it came from)."""


@record(frozen=True)
class Policy:
    """One entry: who must have signed the matching images and which SBOMs they need."""

    references: tuple[str, ...]
    origin: str  # where it was written: "pyproject.toml: verify.images[0]", "command line"
    key: str | None = None  # path of a PEM public key
    identity: str | None = None
    identity_regexp: str | None = None
    issuer: str | None = None
    issuer_regexp: str | None = None
    trusted_root: str | None = None
    ignore_tlog: bool = False
    attestations: tuple[str, ...] = ()  # predicate type URIs (prefix match)
    minimum_packages: int | None = None

    @property
    def keyless(self) -> bool:
        return self.key is None

    def matches(self, ref: ImageRef) -> bool:
        return any(_glob_matches(g, ref) for g in self.references)

    def signer(self) -> str:
        """Who must have signed, for messages."""
        if self.key is not None:
            return f"key {self.key}"
        ident = self.identity or f"/{self.identity_regexp}/"
        issuer = self.issuer or f"/{self.issuer_regexp}/"
        return f"identity {ident} (issuer {issuer})"


def _glob_matches(glob: str, ref: ImageRef) -> bool:
    name = ref.name
    names = [name]
    if ref.tag:
        names.append(f"{name}:{ref.tag}")
    familiar = ref.familiar.split("@", 1)[0]
    names.append(familiar)
    if ref.tag and familiar.endswith(f":{ref.tag}"):
        names.append(familiar[: -(len(ref.tag) + 1)])
    return any(fnmatchcase(n, glob) for n in names)


def type_uri(value: str, where: str) -> str:
    """A predicate type from cosign's `--type` name or a URI."""
    v = value.strip()
    if v.lower() in TYPE_NAMES:
        return TYPE_NAMES[v.lower()]
    if v.startswith("https://") or v.startswith("http://"):
        return v.rstrip("/")
    raise PolicyError(
        f"{where}: unknown attestation type {value!r} (spdxjson, cyclonedx or a predicate type URI)"
    )


def type_matches(predicate_type: object, wanted: str) -> bool:
    """Prefix match on path segments: `https://spdx.dev/Document/v2.3` is SPDX."""
    if not isinstance(predicate_type, str):
        return False
    p = predicate_type.rstrip("/")
    return p == wanted or p.startswith(wanted + "/")


def type_name(uri: str) -> str:
    if uri == SPDX_TYPE:
        return "spdxjson"
    if uri == CYCLONEDX_TYPE:
        return "cyclonedx"
    return uri


def _regexp(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise PolicyError(f"{where}: expected a non-empty string")
    try:
        re.compile(value)
    except re.error as exc:
        raise PolicyError(f"{where}: invalid regular expression: {exc}") from None
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: expected a non-empty string")
    return value.strip()


def make_policy(
    *,
    references: tuple[str, ...],
    origin: str,
    key: str | None = None,
    identity: str | None = None,
    identity_regexp: str | None = None,
    issuer: str | None = None,
    issuer_regexp: str | None = None,
    trusted_root: str | None = None,
    ignore_tlog: bool = False,
    attestations: tuple[str, ...] = (),
    minimum_packages: int | None = None,
) -> Policy:
    """A checked Policy: exactly one way of naming the signer."""
    if key is not None:
        if any(v is not None for v in (identity, identity_regexp, issuer, issuer_regexp)):
            raise PolicyError(
                f"{origin}: give either a key or a certificate identity and issuer, not both"
            )
    else:
        if identity is None and identity_regexp is None:
            raise PolicyError(
                f"{origin}: no signer: give a key, or certificate-identity(-regexp) "
                "and certificate-oidc-issuer(-regexp)"
            )
        if identity is not None and identity_regexp is not None:
            raise PolicyError(f"{origin}: certificate-identity and -regexp: choose one")
        if issuer is None and issuer_regexp is None:
            raise PolicyError(
                f"{origin}: keyless verification needs certificate-oidc-issuer(-regexp)"
            )
        if issuer is not None and issuer_regexp is not None:
            raise PolicyError(f"{origin}: certificate-oidc-issuer and -regexp: choose one")
        if identity_regexp is not None:
            _regexp(identity_regexp, f"{origin}: certificate-identity-regexp")
        if issuer_regexp is not None:
            _regexp(issuer_regexp, f"{origin}: certificate-oidc-issuer-regexp")
    if minimum_packages is not None and minimum_packages < 0:
        raise PolicyError(f"{origin}: minimum-packages must be 0 or more")
    if minimum_packages is not None and not attestations:
        raise PolicyError(f"{origin}: minimum-packages needs an SBOM attestation type")
    return Policy(
        references=references,
        origin=origin,
        key=key,
        identity=identity,
        identity_regexp=identity_regexp,
        issuer=issuer,
        issuer_regexp=issuer_regexp,
        trusted_root=trusted_root,
        ignore_tlog=ignore_tlog,
        attestations=tuple(dict.fromkeys(attestations)),
        minimum_packages=minimum_packages,
    )


def policies_from_table(table: object, config_path: str, shown: str) -> tuple[Policy, ...]:
    """The entries of a `verify` table; paths are relative to the config file's directory."""
    if table is None:
        return ()
    if not isinstance(table, dict):
        raise PolicyError(f"{shown}: verify: expected a table")
    unknown = sorted(set(table) - {"images"})
    if unknown:
        raise PolicyError(f"{shown}: verify: unknown key {unknown[0]!r} (expected `images`)")
    images = table.get("images", [])
    if not isinstance(images, list):
        raise PolicyError(f"{shown}: verify.images: expected an array of tables")
    base = os.path.dirname(os.path.abspath(config_path))
    out: list[Policy] = []
    for n, entry in enumerate(images):
        where = f"{shown}: verify.images[{n}]"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: expected a table")
        bad = sorted(set(entry) - _KEYS)
        if bad:
            raise PolicyError(f"{where}: unknown key {bad[0]!r}")
        refs = entry.get("references")
        if isinstance(refs, str):
            refs = [refs]
        if (
            not isinstance(refs, list)
            or not refs
            or not all(isinstance(r, str) and r for r in refs)
        ):
            raise PolicyError(f"{where}: references: expected a list of image globs")
        opt: dict[str, Any] = {}
        for k, attr in (
            ("certificate-identity", "identity"),
            ("certificate-identity-regexp", "identity_regexp"),
            ("certificate-oidc-issuer", "issuer"),
            ("certificate-oidc-issuer-regexp", "issuer_regexp"),
        ):
            if k in entry:
                opt[attr] = _string(entry[k], f"{where}: {k}")
        for k, attr in (("key", "key"), ("trusted-root", "trusted_root")):
            if k in entry:
                opt[attr] = os.path.join(base, _string(entry[k], f"{where}: {k}"))
        if "ignore-tlog" in entry:
            if not isinstance(entry["ignore-tlog"], bool):
                raise PolicyError(f"{where}: ignore-tlog: expected true or false")
            opt["ignore_tlog"] = entry["ignore-tlog"]
        atts = entry.get("attestations", [])
        if isinstance(atts, str):
            atts = [atts]
        if not isinstance(atts, list) or not all(isinstance(a, str) for a in atts):
            raise PolicyError(f"{where}: attestations: expected a list of types")
        opt["attestations"] = tuple(type_uri(a, f"{where}: attestations") for a in atts)
        if "minimum-packages" in entry:
            mp = entry["minimum-packages"]
            if not isinstance(mp, int) or isinstance(mp, bool) or mp < 0:
                raise PolicyError(f"{where}: minimum-packages: expected a whole number >= 0")
            opt["minimum_packages"] = mp
        out.append(make_policy(references=tuple(refs), origin=where, **opt))
    return tuple(out)


def matching(policies: tuple[Policy, ...], ref: ImageRef) -> list[Policy]:
    return [p for p in policies if p.matches(ref)]
