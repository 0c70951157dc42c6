"""Verification of what was published: cosign signatures and attestations of images
(`hardpin verify`, `hardpin check --verify`), SBOM files (`hardpin sbom`) and the
Kyverno policy that enforces the same at admission (`hardpin policy kyverno`).

Modules:

* `policy`    `[tool.hardpin.verify]` and the command-line options -> Policy entries
* `crypto`    public keys, signatures (cryptography, imported only here), DSSE, PAE
* `cosign`    what a discovered signature or attestation means: simple signing
              payloads, DSSE envelopes, Sigstore bundles, in-toto statements
* `verifier`  one image against its policies -> ImageResult (HP603-HP606 verdicts)
* `sbom`      SPDX 2.3 / CycloneDX 1.4-1.6 JSON checks, package counts
* `kyverno`   the ClusterPolicy of a verify policy
* `keyless`   certificate-based bundles through sigstore-python (optional extra)
* `command`   the `verify`, `sbom` and `policy` subcommands

Discovery (which manifests and blobs exist for a digest) is network code and lives
in `hardpin.online.signatures`.
"""
