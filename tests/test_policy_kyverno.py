"""`hardpin policy kyverno`: the ClusterPolicy parses as YAML and carries the verify
policy back unchanged (images, signer, attestation types, minimum packages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli


def _fresh_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode().strip()


PEM = _fresh_pem()

CONFIG = """\
[tool.hardpin]
[[tool.hardpin.verify.images]]
references = ["ghcr.io/acme/*", "docker.io/acme/api:*"]
key = "keys/cosign.pub"
attestations = ["spdxjson", "https://cyclonedx.org/bom/v1.6"]
minimum-packages = 10

[[tool.hardpin.verify.images]]
references = ["registry.example/*"]
certificate-identity-regexp = '^https://github\\.com/acme/.+@refs/tags/v.*$'
certificate-oidc-issuer = "https://token.actions.githubusercontent.com"
attestations = ["cyclonedx"]
"""


def _policy(tmp_path: Path, config: str = CONFIG) -> Any:
    (tmp_path / "keys").mkdir(exist_ok=True)
    (tmp_path / "keys" / "cosign.pub").write_text(PEM + "\n")
    (tmp_path / "pyproject.toml").write_text(config)
    return run_cli("policy", "kyverno", cwd=tmp_path)


def _attestor(block: list[dict[str, Any]]) -> dict[str, Any]:
    [one] = block
    assert one["count"] == 1
    [entry] = one["entries"]
    return entry  # type: ignore[no-any-return]


def test_cluster_policy_round_trips_the_verify_policy(tmp_path: Path) -> None:
    r = _policy(tmp_path)
    assert r.returncode == 0, r.stderr
    doc = yaml.safe_load(r.stdout)
    assert doc["apiVersion"] == "kyverno.io/v1"
    assert doc["kind"] == "ClusterPolicy"
    assert doc["spec"]["validationFailureAction"] == "Enforce"
    back = []
    for rule in doc["spec"]["rules"]:
        assert rule["match"]["any"][0]["resources"]["kinds"] == ["Pod"]
        [vi] = rule["verifyImages"]
        assert vi["failureAction"] == "Enforce"
        assert vi["mutateDigest"] is True and vi["verifyDigest"] is True
        assert vi["required"] is True
        signer = _attestor(vi["attestors"])
        entry: dict[str, Any] = {"references": vi["imageReferences"]}
        if "keys" in signer:
            entry["key"] = signer["keys"]["publicKeys"]
            assert signer["keys"]["rekor"] == {"ignoreTlog": True}
        else:
            entry.update(signer["keyless"])
        types, minimum = [], None
        for att in vi.get("attestations", []):
            assert _attestor(att["attestors"]) == signer  # the same signer
            types.append(att["type"])
            for cond in att.get("conditions", []):
                [c] = cond["all"]
                assert c["operator"] == "GreaterThanOrEquals"
                minimum = c["value"]
                field = "packages" if "spdx" in att["type"] else "components"
                assert c["key"] == "{{ length(" + field + ") }}"
        entry["attestations"] = types
        entry["minimum"] = minimum
        back.append(entry)
    assert back == [
        {
            "references": ["ghcr.io/acme/*", "docker.io/acme/api:*"],
            "key": PEM,
            "attestations": ["https://spdx.dev/Document", "https://cyclonedx.org/bom/v1.6"],
            "minimum": 10,
        },
        {
            "references": ["registry.example/*"],
            "subjectRegExp": "^https://github\\.com/acme/.+@refs/tags/v.*$",
            "issuer": "https://token.actions.githubusercontent.com",
            "attestations": ["https://cyclonedx.org/bom"],
            "minimum": None,
        },
    ]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[tool.hardpin]\n", "no [tool.hardpin.verify] policy"),
        (CONFIG.replace("keys/cosign.pub", "keys/missing.pub"), "cannot read the key"),
    ],
)
def test_errors(tmp_path: Path, config: str, message: str) -> None:
    r = _policy(tmp_path, config)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stdout == ""
