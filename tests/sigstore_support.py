"""A test Sigstore instance made by the tests: a Fulcio-like CA, a CT log key and a
Rekor key, the `trusted_root.json` naming them, and keyless bundles (v0.3) of DSSE
attestations signed by short-lived leaf certificates, each with an embedded
precertificate SCT (RFC 6962), a `dsse/0.0.1` Rekor entry in a one-leaf log with
a signed checkpoint and an inclusion promise (SET).

The layout follows sigstore-python (models.Bundle, TransparencyLogEntry, verify
.verifier) and the protobuf-specs JSON names; sigstore-python verifies these
bundles offline.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import struct
import time
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
INTOTO = "application/vnd.in-toto+json"
UTC = datetime.UTC


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _der_public(key: Any) -> bytes:
    return key.public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_id(key: Any) -> bytes:
    return hashlib.sha256(_der_public(key)).digest()


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_octets(data: bytes) -> bytes:
    return b"\x04" + _der_length(len(data)) + data


def _der_utf8(text: str) -> bytes:
    data = text.encode()
    return b"\x0c" + _der_length(len(data)) + data


class SigstoreInstance:
    """One instance: CA, CT log, Rekor. `bundle()` makes a keyless attestation."""

    def __init__(self) -> None:
        now = datetime.datetime.now(UTC)
        self.ca_key = ec.generate_private_key(ec.SECP384R1())
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hardpin-test"),
                x509.NameAttribute(NameOID.COMMON_NAME, "hardpin test fulcio"),
            ]
        )
        self.ca_name = name
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=3650))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key()), critical=False
            )
            .sign(self.ca_key, hashes.SHA384())
        )
        self.ct_key = ec.generate_private_key(ec.SECP256R1())
        self.rekor_key = ec.generate_private_key(ec.SECP256R1())
        self.origin = "rekor.hardpin.test - 1"

    # -- trusted root ----------------------------------------------------------------
    def _log(self, key: Any, url: str) -> dict[str, Any]:
        return {
            "baseUrl": url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": _b64(_der_public(key.public_key())),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2000-01-01T00:00:00Z"},
            },
            "logId": {"keyId": _b64(_key_id(key.public_key()))},
        }

    def trusted_root(self) -> dict[str, Any]:
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [self._log(self.rekor_key, "https://rekor.hardpin.test")],
            "certificateAuthorities": [
                {
                    "subject": {
                        "organization": "hardpin-test",
                        "commonName": "hardpin test fulcio",
                    },
                    "uri": "https://fulcio.hardpin.test",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(self.ca.public_bytes(serialization.Encoding.DER))}
                        ]
                    },
                    "validFor": {"start": "2000-01-01T00:00:00Z"},
                }
            ],
            "ctlogs": [self._log(self.ct_key, "https://ctfe.hardpin.test")],
            "timestampAuthorities": [],
        }

    def write_trusted_root(self, path: Path) -> Path:
        path.write_text(json.dumps(self.trusted_root()))
        return path

    # -- certificates ----------------------------------------------------------------
    def _leaf_builder(
        self, key: Any, email: str, issuer: str, not_before: datetime.datetime,
        not_after: datetime.datetime, serial: int,
    ) -> x509.CertificateBuilder:  # fmt: skip
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                critical=False,
            )
            .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=True)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V1, issuer.encode()), critical=False)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V2, _der_utf8(issuer)), critical=False)
        )

    def leaf(
        self, key: Any, email: str, issuer: str, not_before: datetime.datetime,
        not_after: datetime.datetime,
    ) -> x509.Certificate:  # fmt: skip
        """A leaf with an embedded SCT over its precertificate."""
        serial = x509.random_serial_number()
        pre = self._leaf_builder(key, email, issuer, not_before, not_after, serial).sign(
            self.ca_key, hashes.SHA384()
        )
        tbs = pre.tbs_certificate_bytes  # = the final certificate's TBS without the SCT list
        issuer_key_id = _key_id(self.ca_key.public_key())
        timestamp = int(not_before.timestamp() * 1000) + 1000
        signed_entry = issuer_key_id + struct.pack("!I", len(tbs))[1:] + tbs
        digitally_signed = (
            struct.pack("!BBQH", 0, 0, timestamp, 1) + signed_entry + struct.pack("!H", 0)
        )
        sig = self.ct_key.sign(digitally_signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            b"\x00"
            + _key_id(self.ct_key.public_key())
            + struct.pack("!Q", timestamp)
            + struct.pack("!H", 0)
            + b"\x04\x03"
            + struct.pack("!H", len(sig))
            + sig
        )
        sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
        builder = self._leaf_builder(key, email, issuer, not_before, not_after, serial)
        builder = builder.add_extension(
            x509.UnrecognizedExtension(SCT_LIST, _der_octets(sct_list)), critical=False
        )
        cert = builder.sign(self.ca_key, hashes.SHA384())
        assert cert.tbs_precertificate_bytes == tbs
        return cert

    # -- bundles ---------------------------------------------------------------------
    def bundle(
        self,
        statement: bytes,
        *,
        email: str = "release@acme.test",
        issuer: str = "https://issuer.acme.test",
        expired: bool = False,
        tlog: bool = True,
    ) -> bytes:
        """A keyless bundle of `statement`. `expired`: the certificate's validity ended
        before the entry was logged. `tlog=False`: no transparency-log entry."""
        now = datetime.datetime.now(UTC).replace(microsecond=0)
        key = ec.generate_private_key(ec.SECP256R1())
        if expired:
            nb, na = now - datetime.timedelta(days=2), now - datetime.timedelta(days=1)
        else:
            nb, na = now - datetime.timedelta(minutes=1), now + datetime.timedelta(minutes=10)
        cert = self.leaf(key, email, issuer, nb, na)
        pae = b"DSSEv1 %d %s %d %s" % (len(INTOTO), INTOTO.encode(), len(statement), statement)
        sig = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        envelope = {
            "payload": _b64(statement),
            "payloadType": INTOTO,
            "signatures": [{"sig": _b64(sig), "keyid": ""}],
        }
        vm: dict[str, Any] = {
            "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [self._entry(statement, sig, cert)] if tlog else [],
        }
        return json.dumps(
            {"mediaType": BUNDLE, "verificationMaterial": vm, "dsseEnvelope": envelope}
        ).encode()

    def _entry(self, payload: bytes, sig: bytes, cert: x509.Certificate) -> dict[str, Any]:
        import rfc8785

        cert_pem = cert.public_bytes(serialization.Encoding.PEM)
        body = json.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": "0" * 64},
                    "payloadHash": {
                        "algorithm": "sha256",
                        "value": hashlib.sha256(payload).hexdigest(),
                    },
                    "signatures": [{"signature": _b64(sig), "verifier": _b64(cert_pem)}],
                },
            },
            separators=(",", ":"),
        ).encode()
        log_id = _key_id(self.rekor_key.public_key())
        integrated = int(time.time())
        root = hashlib.sha256(b"\x00" + body).digest()  # a one-leaf tree
        note = f"{self.origin}\n1\n{_b64(root)}\n"
        note_sig = self.rekor_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        checkpoint = note + f"\n\u2014 {self.origin.split()[0]} {_b64(log_id[:4] + note_sig)}\n"
        set_payload = rfc8785.dumps(
            {
                "body": _b64(body),
                "integratedTime": integrated,
                "logID": log_id.hex(),
                "logIndex": 0,
            }
        )
        set_sig = self.rekor_key.sign(set_payload, ec.ECDSA(hashes.SHA256()))
        return {
            "logIndex": "0",
            "logId": {"keyId": _b64(log_id)},
            "kindVersion": {"kind": "dsse", "version": "0.0.1"},
            "integratedTime": str(integrated),
            "inclusionPromise": {"signedEntryTimestamp": _b64(set_sig)},
            "inclusionProof": {
                "logIndex": "0",
                "rootHash": _b64(root),
                "treeSize": "1",
                "hashes": [],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": _b64(body),
        }
