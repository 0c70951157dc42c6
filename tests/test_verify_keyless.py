"""Keyless verification through sigstore-python, offline, against a Sigstore instance
the tests make (tests/sigstore_support.py: CA, CT log key, Rekor key), with bundles
pushed as OCI referrers to the real registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sigstore")

from conftest import run_cli
from cosign_support import CYCLONEDX, SIGN_TYPE, push_bundle_referrer, statement
from registry_support import Registry, registry_anon
from sbom_support import FIXTURE_PACKAGES, fixture_sboms, load
from sigstore_support import SigstoreInstance
from test_verify import _checks, _env, _image, _project

IDENTITY = "release@acme.test"
ISSUER = "https://issuer.acme.test"


@pytest.fixture(scope="module")
def instance() -> SigstoreInstance:
    return SigstoreInstance()


def _run(tmp_path: Path, root: Path, ref: str, *args: str) -> tuple[int, dict[str, Any]]:
    r = run_cli("verify", "--format", "json", ref, *args, cwd=root, env=_env(tmp_path))
    assert r.stdout, r.stderr
    return r.returncode, json.loads(r.stdout)


def _signed(
    reg: Registry, instance: SigstoreInstance, prefix: str, **kw: Any
) -> tuple[str, str, str]:
    repo, digest, ref = _image(reg, prefix)
    body = statement(digest, SIGN_TYPE, {}, name=f"{reg.host}/{repo}")
    push_bundle_referrer(reg, repo, digest, instance.bundle(body, **kw), SIGN_TYPE)
    return repo, digest, ref


def _flags(
    root: Path, instance: SigstoreInstance, identity: str = IDENTITY, issuer: str = ISSUER
) -> list[str]:
    tr = instance.write_trusted_root(root / "trusted_root.json")
    return [
        "--certificate-identity", identity,
        "--certificate-oidc-issuer", issuer,
        "--trusted-root", str(tr),
    ]  # fmt: skip


def test_keyless_signature_and_sbom_attestation_verify(
    registry_anon: Registry,
    instance: SigstoreInstance,
    tmp_path: Path,
    fixture_sboms: dict[str, Path],
) -> None:
    repo, digest, ref = _signed(registry_anon, instance, "keyless")
    sbom = statement(digest, CYCLONEDX, load(fixture_sboms["cyclonedx"]))
    push_bundle_referrer(registry_anon, repo, digest, instance.bundle(sbom), CYCLONEDX)
    root = _project(tmp_path, registry_anon.host)
    rc, data = _run(tmp_path, root, ref, *_flags(root, instance), "--type", "cyclonedx")
    assert rc == 0, data
    checks = {c["check"]: c for c in _checks(data)}
    assert checks["signature"]["message"].startswith(
        f"signed by identity {IDENTITY} (issuer {ISSUER})"
    )
    assert (
        f"CycloneDX 1.6 SBOM with {FIXTURE_PACKAGES} packages"
        in checks["attestation cyclonedx"]["message"]
    )


def test_keyless_regexp_policy_from_the_config(
    registry_anon: Registry, instance: SigstoreInstance, tmp_path: Path
) -> None:
    _, _, ref = _signed(registry_anon, instance, "regexp")
    policy = (
        "[[verify.images]]\n"
        f'references = ["{registry_anon.host}/verify/regexp-*"]\n'
        "certificate-identity-regexp = '^release@acme\\.test$'\n"
        "certificate-oidc-issuer-regexp = '^https://issuer\\.acme\\.'\n"
        'trusted-root = "trusted_root.json"\n'
    )
    root = _project(tmp_path, registry_anon.host, policy)
    instance.write_trusted_root(root / "trusted_root.json")
    rc, data = _run(tmp_path, root, ref)
    assert rc == 0, data
    (root / ".hardpin.toml").write_text(
        (root / ".hardpin.toml").read_text().replace("acme\\.test$", "other\\.test$")
    )
    rc, data = _run(tmp_path, root, ref)
    assert rc == 1
    assert "certificate identity mismatch" in _checks(data)[0]["message"]


@pytest.mark.parametrize(
    ("kw", "flags", "reason"),
    [
        (
            {},
            {"identity": "mallory@acme.test"},
            "certificate identity mismatch: the certificate is for release@acme.test, "
            "the policy wants mallory@acme.test",
        ),
        (
            {},
            {"issuer": "https://accounts.example"},
            "OIDC issuer mismatch: the certificate's issuer is https://issuer.acme.test, "
            "the policy wants https://accounts.example",
        ),
        (
            {"expired": True},
            {},
            "the signing certificate was not valid when the signature was logged",
        ),
        ({"tlog": False}, {}, "no transparency-log proof in the bundle"),
    ],
    ids=["wrong-identity", "wrong-issuer", "expired-certificate", "no-tlog"],
)
def test_keyless_rejections(
    registry_anon: Registry,
    instance: SigstoreInstance,
    tmp_path: Path,
    kw: dict[str, Any],
    flags: dict[str, str],
    reason: str,
) -> None:
    _, _, ref = _signed(registry_anon, instance, "reject", **kw)
    root = _project(tmp_path, registry_anon.host)
    rc, data = _run(tmp_path, root, ref, *_flags(root, instance, **flags))
    assert rc == 1
    [check] = _checks(data)
    assert check["code"] == "HP604"
    assert reason in check["message"], check["message"]


def test_insecure_ignore_tlog_accepts_a_bundle_without_log_entry(
    registry_anon: Registry, instance: SigstoreInstance, tmp_path: Path
) -> None:
    _, _, ref = _signed(registry_anon, instance, "notlog", tlog=False)
    root = _project(tmp_path, registry_anon.host)
    rc, data = _run(tmp_path, root, ref, *_flags(root, instance), "--insecure-ignore-tlog")
    assert rc == 0, data
    # the identity is still checked without the log
    rc, data = _run(
        tmp_path, root, ref, *_flags(root, instance, identity="x@y"), "--insecure-ignore-tlog"
    )
    assert rc == 1
    assert "certificate identity mismatch" in _checks(data)[0]["message"]


def test_another_instance_is_not_trusted(
    registry_anon: Registry, instance: SigstoreInstance, tmp_path: Path
) -> None:
    _, _, ref = _signed(registry_anon, SigstoreInstance(), "foreign")
    root = _project(tmp_path, registry_anon.host)
    rc, data = _run(tmp_path, root, ref, *_flags(root, instance))
    assert rc == 1
    [check] = _checks(data)
    assert check["code"] == "HP604"
    assert "the certificate does not chain to the trusted root" in check["message"]


def test_default_trusted_root_is_the_public_one_offline(
    registry_anon: Registry, instance: SigstoreInstance, tmp_path: Path
) -> None:
    """Without --trusted-root, sigstore-python's embedded public-good root is used (no
    request leaves the machine): the test instance's CA is not in it."""
    _, _, ref = _signed(registry_anon, instance, "publicroot")
    root = _project(tmp_path, registry_anon.host)
    flags = ["--certificate-identity", IDENTITY, "--certificate-oidc-issuer", ISSUER]
    rc, data = _run(tmp_path, root, ref, *flags)
    assert rc == 1
    assert "does not chain to the trusted root" in _checks(data)[0]["message"]
