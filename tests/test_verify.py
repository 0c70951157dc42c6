"""`hardpin verify` and `hardpin check --verify` against the real registry: images
pushed by the tests, signed and attested with fresh keys in both cosign formats
(tests/cosign_support.py), SBOMs made by the real syft (tests/sbom_support.py)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography")

from conftest import run_cli
from cosign_support import (
    CYCLONEDX,
    KEY_KINDS,
    SIGN_TYPE,
    SPDX,
    Key,
    b64,
    bundle,
    envelope,
    push_bundle_referrer,
    push_legacy_attestations,
    push_legacy_signatures,
    sign_bundle,
    sign_legacy,
    simple_signing_payload,
    statement,
)
from registry_support import (
    OCI_INDEX,
    FaultProxy,
    Registry,
    fault_proxy,
    get_manifest,
    push_image,
    push_manifest,
    registry_anon,
)
from sbom_support import FIXTURE_PACKAGES, fixture_sboms, load


def _repo(prefix: str) -> str:
    return f"verify/{prefix}-{uuid.uuid4().hex[:8]}"


def _project(tmp_path: Path, host: str, policy: str = "") -> Path:
    root = tmp_path / "repo"
    root.mkdir(exist_ok=True)
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n{policy}')
    return root


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
    }


def _verify(tmp_path: Path, root: Path, *args: str) -> Any:
    return run_cli("verify", *args, cwd=root, env=_env(tmp_path))


def _verify_json(tmp_path: Path, root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    r = _verify(tmp_path, root, "--format", "json", *args)
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def _checks(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for img in data["images"] for c in img["checks"]]


def _image(reg: Registry, prefix: str) -> tuple[str, str, str]:
    repo = _repo(prefix)
    digest = push_image(reg, repo, "1", "oci")["digest"]
    return repo, digest, f"{reg.host}/{repo}@{digest}"


# -- signatures ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_legacy_signature_of_every_key_type_verifies(
    registry_anon: Registry, tmp_path: Path, kind: str
) -> None:
    repo, digest, ref = _image(registry_anon, kind)
    key = Key(kind)
    sign_legacy(registry_anon, repo, digest, key)
    root = _project(tmp_path, registry_anon.host)
    pub = key.write_public(root / "cosign.pub")
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(pub))
    assert rc == 0, data
    [check] = _checks(data)
    assert check["ok"] and check["check"] == "signature"
    assert ".sig layer 1" in check["message"]
    assert data["images"][0]["digest"] == digest


@pytest.mark.parametrize("kind", ["p256", "ed25519"])
def test_bundle_signature_in_referrers_verifies(
    registry_anon: Registry, tmp_path: Path, kind: str
) -> None:
    repo, digest, ref = _image(registry_anon, "bundle")
    key = Key(kind)
    sign_bundle(registry_anon, repo, digest, key)
    root = _project(tmp_path, registry_anon.host)
    pub = key.write_public(root / "cosign.pub")
    r = _verify(tmp_path, root, ref, "--key", str(pub))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "referrer sha256:" in r.stdout
    assert "1 image checked, all passed" in r.stdout
    # the table: a header, one row per check
    assert r.stdout.splitlines()[0].split() == ["IMAGE", "DIGEST", "CHECK", "RESULT", "DETAIL"]


def test_referrers_api_is_asked_first(
    registry_anon: Registry, fault_proxy: FaultProxy, tmp_path: Path
) -> None:
    """A registry with the OCI 1.1 referrers API (the proxy answers it in front of the
    real registry, which lacks it): the referrer is found without the fallback tag."""
    repo, digest, _ = _image(registry_anon, "api")
    key = Key()
    body = statement(digest, SIGN_TYPE, {})
    b = bundle(envelope(body, key), key)
    mdigest = push_bundle_referrer(registry_anon, repo, digest, b, SIGN_TYPE, fallback_tag=False)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": mdigest,
                    "size": 1,
                    "artifactType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                }
            ],
        }
    ).encode()
    fault_proxy.add(
        "answer",
        path=f"/v2/{repo}/referrers/{digest}",
        status=200,
        value="application/vnd.oci.image.index.v1+json",
        data=manifest,
    )
    root = _project(tmp_path, fault_proxy.host)
    pub = key.write_public(root / "cosign.pub")
    ref = f"{fault_proxy.host}/{repo}@{digest}"
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(pub))
    assert rc == 0, data
    assert f"referrer {mdigest}" in _checks(data)[0]["message"]
    paths = [p for _, p, _ in fault_proxy.log]
    assert f"/v2/{repo}/referrers/{digest}" in paths
    assert not any(p.endswith(f"/manifests/sha256-{digest[7:]}") for p in paths)
    # a registry that answers the API with something else than an index: the fallback
    # tag is read (here absent), then the legacy tags; nothing verifies
    fault_proxy.clear()
    fault_proxy.add("answer", path="/referrers/", status=200, value="text/html", data=b"<html>")
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(pub))
    assert rc == 1
    assert _checks(data)[0]["code"] == "HP603"
    paths = [p for _, p, _ in fault_proxy.log]
    assert any(p.endswith(f"/manifests/sha256-{digest[7:]}") for p in paths)
    assert any(p.endswith(f"/manifests/sha256-{digest[7:]}.sig") for p in paths)


def test_referrer_whose_subject_is_another_image_is_skipped(
    registry_anon: Registry, tmp_path: Path
) -> None:
    repo, digest, ref = _image(registry_anon, "subjectref")
    other = push_image(registry_anon, repo, "2", "oci", seed=uuid.uuid4().hex)["digest"]
    key = Key()
    # a good signature statement about `digest`, in an artifact whose subject is `other`,
    # listed under `digest`'s referrers tag
    mdigest = sign_bundle(registry_anon, repo, other, key, subject_digest=digest)
    index = get_manifest(registry_anon, repo, f"sha256-{other[7:]}").body
    push_manifest(registry_anon, repo, f"sha256-{digest[7:]}", index, OCI_INDEX)
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, key.write_public(root / "cosign.pub"))
    assert check["code"] == "HP603"
    assert f"referrer {mdigest}: its subject is not {digest}; skipped" in check["message"]


def test_tag_is_resolved_to_the_digest_that_is_verified(
    registry_anon: Registry, tmp_path: Path
) -> None:
    repo, digest, _ = _image(registry_anon, "tag")
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    root = _project(tmp_path, registry_anon.host)
    pub = key.write_public(root / "cosign.pub")
    rc, data = _verify_json(tmp_path, root, f"{registry_anon.host}/{repo}:1", "--key", str(pub))
    assert rc == 0
    assert data["images"][0]["digest"] == digest


def test_no_signature_is_hp603(registry_anon: Registry, tmp_path: Path) -> None:
    _, digest, ref = _image(registry_anon, "unsigned")
    root = _project(tmp_path, registry_anon.host)
    pub = Key().write_public(root / "cosign.pub")
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(pub))
    assert rc == 1
    [check] = _checks(data)
    assert check["code"] == "HP603"
    assert check["message"] == f"no signature for {digest}"


def _one_failure(tmp_path: Path, root: Path, ref: str, pub: Path) -> dict[str, Any]:
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(pub))
    assert rc == 1, data
    [check] = _checks(data)
    assert not check["ok"]
    return check


def test_wrong_key_legacy(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "wrongkey")
    sign_legacy(registry_anon, repo, digest, Key())
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, Key().write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert "does not verify with" in check["message"]
    assert "signed by another key, or the payload was changed" in check["message"]


def test_wrong_key_bundle_names_the_other_key(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "wrongkeyb")
    sign_bundle(registry_anon, repo, digest, Key())
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, Key().write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert "signed by another key, not" in check["message"]


def test_tampered_bundle_payload(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "tampered")
    key = Key()
    body = statement(digest, SIGN_TYPE, {})
    env = envelope(body, key)
    env["payload"] = b64(body.replace(b'"predicate": {}', b'"predicate": {"x": 1}'))
    push_bundle_referrer(registry_anon, repo, digest, bundle(env, key), SIGN_TYPE)
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, key.write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert "the payload was changed after signing" in check["message"]
    assert "another key" not in check["message"]


def test_tampered_legacy_payload(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "tamperedl")
    key = Key()
    payload = simple_signing_payload(f"{registry_anon.host}/{repo}", digest)
    sig = key.sign(payload)
    push_legacy_signatures(registry_anon, repo, digest, [(payload + b" ", sig)])
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, key.write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert "the payload was changed after signing" in check["message"]


def test_signature_for_another_digest(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "other")
    other = push_image(registry_anon, repo, "2", "oci", seed=uuid.uuid4().hex)["digest"]
    key = Key()
    # a real signature of the other image, copied next to this one: both formats
    sign_legacy(registry_anon, repo, digest, key, signed_digest=other)
    sign_bundle(registry_anon, repo, digest, key, subject_digest=other)
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, key.write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert f"the signature is for another image: its payload names {other}" in check["message"]
    assert f"the statement is about another image ({other})" in check["message"]


def test_malformed_envelope(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "malformed")
    key = Key()
    env = envelope(statement(digest, SIGN_TYPE, {}), key)
    del env["signatures"]
    push_bundle_referrer(registry_anon, repo, digest, bundle(env, key), SIGN_TYPE)
    root = _project(tmp_path, registry_anon.host)
    check = _one_failure(tmp_path, root, ref, key.write_public(root / "cosign.pub"))
    assert check["code"] == "HP604"
    assert "malformed envelope: no `signatures`" in check["message"]


def test_one_good_signature_among_bad_ones_passes(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "mixed")
    key = Key()
    payload = simple_signing_payload(f"{registry_anon.host}/{repo}", digest)
    push_legacy_signatures(
        registry_anon, repo, digest, [(payload, Key().sign(payload)), (payload, key.sign(payload))]
    )
    root = _project(tmp_path, registry_anon.host)
    rc, data = _verify_json(tmp_path, root, ref, "--key", str(key.write_public(root / "k.pub")))
    assert rc == 0
    assert ".sig layer 2" in _checks(data)[0]["message"]


# -- attestations ---------------------------------------------------------------------


def _attest_legacy(
    reg: Registry, repo: str, digest: str, key: Key, ptype: str, predicate: Any, annotation: str
) -> None:
    env = envelope(statement(digest, ptype, predicate, v1=False), key)
    push_legacy_attestations(reg, repo, digest, [(json.dumps(env).encode(), annotation)])


def _attest_bundle(
    reg: Registry, repo: str, digest: str, key: Key, ptype: str, predicate: Any, subject: str = ""
) -> None:
    env = envelope(statement(subject or digest, ptype, predicate), key)
    push_bundle_referrer(reg, repo, digest, bundle(env, key), ptype)


def test_sbom_attestations_in_both_formats(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    repo, digest, ref = _image(registry_anon, "sbom")
    key = Key()
    sign_bundle(registry_anon, repo, digest, key)
    _attest_legacy(registry_anon, repo, digest, key, SPDX, load(fixture_sboms["spdx"]), SPDX)
    _attest_bundle(
        registry_anon, repo, digest, key, CYCLONEDX + "/v1.6", load(fixture_sboms["cyclonedx"])
    )
    root = _project(tmp_path, registry_anon.host)
    pub = key.write_public(root / "cosign.pub")
    rc, data = _verify_json(
        tmp_path, root, ref, "--key", str(pub), "--type", "spdxjson", "--type", "cyclonedx"
    )
    assert rc == 0, data
    checks = {c["check"]: c for c in _checks(data)}
    assert set(checks) == {"signature", "attestation spdxjson", "attestation cyclonedx"}
    assert checks["attestation spdxjson"]["ok"]
    assert (
        f"SPDX 2.3 SBOM with {FIXTURE_PACKAGES} packages"
        in checks["attestation spdxjson"]["message"]
    )
    assert ".att layer 1" in checks["attestation spdxjson"]["message"]
    assert (
        f"CycloneDX 1.6 SBOM with {FIXTURE_PACKAGES} packages"
        in checks["attestation cyclonedx"]["message"]
    )


def test_missing_attestation_is_hp605(registry_anon: Registry, tmp_path: Path) -> None:
    repo, digest, ref = _image(registry_anon, "noatt")
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    root = _project(tmp_path, registry_anon.host)
    rc, data = _verify_json(
        tmp_path, root, ref, "--key", str(key.write_public(root / "k.pub")), "--type", "spdxjson"
    )
    assert rc == 1
    checks = {c["check"]: c for c in _checks(data)}
    assert checks["signature"]["ok"]
    assert checks["attestation spdxjson"]["code"] == "HP605"
    assert checks["attestation spdxjson"]["message"] == f"no spdxjson attestation for {digest}"


def test_lying_predicate_type_annotation_is_not_trusted(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    repo, digest, ref = _image(registry_anon, "lying")
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    # the signed statement is provenance; the unsigned annotation claims SPDX
    _attest_legacy(
        registry_anon, repo, digest, key, "https://slsa.dev/provenance/v1",
        load(fixture_sboms["spdx"]), SPDX,
    )  # fmt: skip
    root = _project(tmp_path, registry_anon.host)
    rc, data = _verify_json(
        tmp_path, root, ref, "--key", str(key.write_public(root / "k.pub")), "--type", "spdxjson"
    )
    assert rc == 1
    check = {c["check"]: c for c in _checks(data)}["attestation spdxjson"]
    assert check["code"] == "HP605"
    assert (
        "the signed statement's predicateType is https://slsa.dev/provenance/v1 although its "
        f"annotation says {SPDX}" in check["message"]
    )


def test_attestation_subject_mismatch(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    repo, digest, ref = _image(registry_anon, "subject")
    other = push_image(registry_anon, repo, "2", "oci", seed=uuid.uuid4().hex)["digest"]
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    _attest_bundle(
        registry_anon, repo, digest, key, SPDX, load(fixture_sboms["spdx"]), subject=other
    )
    root = _project(tmp_path, registry_anon.host)
    rc, data = _verify_json(
        tmp_path, root, ref, "--key", str(key.write_public(root / "k.pub")), "--type", "spdxjson"
    )
    assert rc == 1
    check = {c["check"]: c for c in _checks(data)}["attestation spdxjson"]
    assert check["code"] == "HP605"
    assert f"the statement is about another image ({other})" in check["message"]


def test_attestation_by_another_key_is_hp605(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    repo, digest, ref = _image(registry_anon, "attkey")
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    _attest_bundle(registry_anon, repo, digest, Key(), CYCLONEDX, load(fixture_sboms["cyclonedx"]))
    root = _project(tmp_path, registry_anon.host)
    rc, data = _verify_json(
        tmp_path, root, ref, "--key", str(key.write_public(root / "k.pub")), "--type", "cyclonedx"
    )
    assert rc == 1
    check = {c["check"]: c for c in _checks(data)}["attestation cyclonedx"]
    assert check["code"] == "HP605"
    assert "signed by another key" in check["message"]


def test_empty_and_invalid_sboms_are_hp606(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    key = Key()
    root = _project(tmp_path, registry_anon.host)
    pub = str(key.write_public(root / "k.pub"))
    empty = load(fixture_sboms["cyclonedx"])
    empty["components"] = []
    broken = load(fixture_sboms["spdx"])
    del broken["documentNamespace"]
    cases = [
        (CYCLONEDX, "cyclonedx", empty, "the cyclonedx SBOM is empty (no packages)"),
        (SPDX, "spdxjson", broken, "documentNamespace: missing"),
    ]
    for ptype, name, predicate, reason in cases:
        repo, digest, ref = _image(registry_anon, "bad-" + name)
        sign_legacy(registry_anon, repo, digest, key)
        _attest_bundle(registry_anon, repo, digest, key, ptype, predicate)
        rc, data = _verify_json(tmp_path, root, ref, "--key", pub, "--type", name)
        assert rc == 1
        check = {c["check"]: c for c in _checks(data)}[f"attestation {name}"]
        assert check["code"] == "HP606", check
        assert reason in check["message"]


def test_minimum_packages_from_the_config(
    registry_anon: Registry, tmp_path: Path, fixture_sboms: dict[str, Path]
) -> None:
    repo, digest, ref = _image(registry_anon, "minpkg")
    key = Key()
    sign_legacy(registry_anon, repo, digest, key)
    _attest_legacy(registry_anon, repo, digest, key, SPDX, load(fixture_sboms["spdx"]), SPDX)
    policy = (
        "[[verify.images]]\n"
        f'references = ["{registry_anon.host}/verify/minpkg-*"]\n'
        'key = "k.pub"\nattestations = ["spdxjson"]\nminimum-packages = 6\n'
    )
    root = _project(tmp_path, registry_anon.host, policy)
    key.write_public(root / "k.pub")
    rc, data = _verify_json(tmp_path, root, ref)
    assert rc == 1
    check = {c["check"]: c for c in _checks(data)}["attestation spdxjson"]
    assert check["code"] == "HP606"
    assert f"lists {FIXTURE_PACKAGES} packages, the policy wants at least 6" in check["message"]
    assert check["policy"] == ".hardpin.toml: verify.images[0]"
    (root / ".hardpin.toml").write_text(
        (root / ".hardpin.toml").read_text().replace("minimum-packages = 6", "minimum-packages = 5")
    )
    rc, data = _verify_json(tmp_path, root, ref)
    assert rc == 0, data


# -- policy, check --verify, output formats -------------------------------------------


def test_no_matching_policy_is_a_usage_error(registry_anon: Registry, tmp_path: Path) -> None:
    root = _project(
        tmp_path, registry_anon.host, '[[verify.images]]\nreferences = ["x/*"]\nkey = "k.pub"\n'
    )
    r = _verify(tmp_path, root, f"{registry_anon.host}/a/b:1")
    assert r.returncode == 2
    assert "no [tool.hardpin.verify] policy matches this image" in r.stderr


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('[[verify.images]]\nreferences = ["*"]\n', "no signer"),
        (
            '[[verify.images]]\nreferences = ["*"]\nkey = "k"\ncertificate-identity = "a"\n',
            "either a key or a certificate identity",
        ),
        (
            '[[verify.images]]\nreferences = ["*"]\ncertificate-identity = "a"\n',
            "needs certificate-oidc-issuer",
        ),
        (
            '[[verify.images]]\nreferences = ["*"]\nkey = "k"\nattestations = ["x"]\n',
            "unknown attestation type 'x'",
        ),
        ('[[verify.images]]\nreferences = ["*"]\nkee = "k"\n', "unknown key 'kee'"),
        ("[verify]\nimage = []\n", "unknown key 'image'"),
        (
            '[[verify.images]]\nreferences = ["*"]\ncertificate-identity-regexp = "("\n'
            'certificate-oidc-issuer = "x"\n',
            "invalid regular expression",
        ),
    ],
)
def test_policy_errors_are_one_line(tmp_path: Path, policy: str, message: str) -> None:
    root = _project(tmp_path, "127.0.0.1:1", policy)
    r = _verify(tmp_path, root, "127.0.0.1:1/a/b@sha256:" + "a" * 64)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stderr.startswith("hardpin: error: .hardpin.toml: verify")
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_key_file(tmp_path: Path) -> None:
    root = _project(tmp_path, "127.0.0.1:1")
    (root / "k.pub").write_text("not a key\n")
    from cryptography.hazmat.primitives import serialization as ser

    private = Key().private.private_bytes(
        ser.Encoding.PEM, ser.PrivateFormat.PKCS8, ser.NoEncryption()
    )
    (root / "k.key").write_bytes(private)
    for name, message in (("k.pub", "not a PEM public key"), ("k.key", "this is a private key")):
        r = _verify(tmp_path, root, "127.0.0.1:1/a/b@sha256:" + "a" * 64, "--key", name)
        assert r.returncode == 2, r.stderr
        assert message in r.stderr


def test_check_verify_reports_at_the_pinned_reference(
    registry_anon: Registry, tmp_path: Path
) -> None:
    good_repo, good, _ = _image(registry_anon, "cv-good")
    bad_repo, bad, _ = _image(registry_anon, "cv-bad")
    other_repo, other, _ = _image(registry_anon, "elsewhere")
    key = Key()
    sign_legacy(registry_anon, good_repo, good, key)
    host = registry_anon.host
    policy = f'[[verify.images]]\nreferences = ["{host}/verify/cv-*"]\nkey = "k.pub"\n'
    root = _project(tmp_path, host, policy)
    key.write_public(root / "k.pub")
    (root / "Dockerfile").write_text(
        f"FROM {host}/{good_repo}:1@{good} AS a\n"
        f"FROM {host}/{other_repo}@{other} AS b\n"
        f"COPY --from={host}/{bad_repo}@{bad} /x /x\n"
    )
    env = _env(tmp_path)

    def findings(*args: str) -> list[tuple[str, str, int, int]]:
        r = run_cli("check", *args, "--format", "json", cwd=root, env=env)
        assert r.returncode in (0, 1), r.stdout + r.stderr
        data = json.loads(r.stdout)
        items = data["findings"] if isinstance(data, dict) else data
        assert r.returncode == (1 if items else 0)
        return [(f["code"], f["path"], f["line"], f["column"]) for f in items]

    assert findings("--verify", "--select", "HP101,HP6") == [("HP603", "Dockerfile", 3, 13)]
    # the verify findings follow --select / --ignore like any rule's
    assert findings("--verify", "--select", "HP101") == []
    assert findings("--verify", "--select", "HP101,HP6", "--ignore", "HP603") == []
    # without --verify the registry is not asked
    assert findings("--select", "HP101,HP6") == []


def test_sarif_and_github_formats(registry_anon: Registry, tmp_path: Path) -> None:
    _, digest, ref = _image(registry_anon, "formats")
    root = _project(tmp_path, registry_anon.host)
    pub = Key().write_public(root / "cosign.pub")
    r = _verify(tmp_path, root, ref, "--key", str(pub), "--format", "sarif")
    assert r.returncode == 1
    sarif = json.loads(r.stdout)
    results = sarif["runs"][0]["results"]
    assert [x["ruleId"] for x in results] == ["HP603"]
    rules = {x["id"] for x in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"HP603", "HP604", "HP605", "HP606"} <= rules
    r = _verify(tmp_path, root, ref, "--key", str(pub), "--format", "github")
    assert r.returncode == 1
    assert r.stdout.startswith("::error ")
    assert "HP603" in r.stdout and digest in r.stdout


def test_offline_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path, "127.0.0.1:1")
    pub = Key().write_public(root / "k.pub")
    r = run_cli("verify", "127.0.0.1:1/a@sha256:" + "a" * 64, "--key", str(pub), cwd=root)
    assert r.returncode == 2
    assert "verifying needs the registry" in r.stderr


def test_unreachable_registry_fails_the_image(tmp_path: Path) -> None:
    from registry_support import free_port

    host = f"127.0.0.1:{free_port()}"
    root = _project(tmp_path, host)
    pub = Key().write_public(root / "k.pub")
    rc, data = _verify_json(tmp_path, root, f"{host}/a@sha256:" + "a" * 64, "--key", str(pub))
    assert rc == 1
    assert data["images"][0]["error"]
    assert not data["images"][0]["ok"]
