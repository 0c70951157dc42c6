#!/usr/bin/env bash
# Cross-check hardpin's cosign formats with the real cosign binary, on a maintainer's
# machine with cosign (v2 or v3) on PATH, Debian's docker-registry and .venv from
# scripts/install.sh:
#
#   1. hardpin's test signatures and attestations (tests/cosign_support.py: the legacy
#      .sig/.att tags and bundle referrers) must verify with `cosign verify` and
#      `cosign verify-attestation`;
#   2. signatures and SPDX attestations made by `cosign sign` / `cosign attest`
#      (legacy and new bundle format) must verify with `hardpin verify`.
#
# Everything runs against a throwaway registry on 127.0.0.1, without a transparency
# log (--tlog-upload=false, --insecure-ignore-tlog). Exit 0 when every check agrees.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cosign >/dev/null || { echo "cosign is not on PATH" >&2; exit 2; }
exec env PYTHONPATH="$PWD/tests:$PWD/src" "$PWD/.venv/bin/python" - <<'PY'
import json, os, subprocess, sys, tempfile
from pathlib import Path

from cosign_support import (SPDX, Key, bundle, envelope, push_bundle_referrer,
                            push_legacy_attestations, sign_bundle, sign_legacy, statement)
from registry_support import Registry, push_image
from sbom_support import FIXTURE, load, run_syft

work = Path(tempfile.mkdtemp(prefix="hardpin-crosscheck-"))
failed = 0


def check(name: str, *cmd: str) -> None:
    global failed
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=work,
                       env={**os.environ, "COSIGN_PASSWORD": "", "COSIGN_YES": "true",
                            "HARDPIN_OFFLINE": ""})
    print(("ok    " if r.returncode == 0 else "FAIL  ") + name, flush=True)
    if r.returncode != 0:
        failed = 1
        print("      " + " ".join(cmd))
        for line in (r.stdout + r.stderr).splitlines()[-15:]:
            print("      " + line)


(work / "registry").mkdir()
with Registry(workdir=str(work / "registry")) as reg:
    (work / ".hardpin.toml").write_text(f'insecure-registries = ["{reg.host}"]\n')
    key = Key("p256")
    key.write_public(work / "hardpin.pub")
    sbom = run_syft(FIXTURE, work / "sbom")["spdx"]
    tls = ["--insecure-ignore-tlog", "--allow-http-registry"]
    # 1. hardpin's formats, verified by cosign
    for fmt in ("legacy", "bundle"):
        repo = f"crosscheck/hardpin-{fmt}"
        digest = push_image(reg, repo, "1", "oci")["digest"]
        body = statement(digest, SPDX, load(sbom), name=f"{reg.host}/{repo}", v1=fmt == "bundle")
        if fmt == "legacy":
            sign_legacy(reg, repo, digest, key)
            push_legacy_attestations(
                reg, repo, digest, [(json.dumps(envelope(body, key)).encode(), SPDX)]
            )
        else:
            sign_bundle(reg, repo, digest, key)
            push_bundle_referrer(reg, repo, digest, bundle(envelope(body, key), key), SPDX)
        ref = f"{reg.host}/{repo}@{digest}"
        nb = f"--new-bundle-format={'true' if fmt == 'bundle' else 'false'}"
        check(f"cosign verifies hardpin's {fmt} signature",
              "cosign", "verify", "--key", str(work / "hardpin.pub"), *tls, nb, ref)
        check(f"cosign verifies hardpin's {fmt} spdxjson attestation",
              "cosign", "verify-attestation", "--type", "spdxjson",
              "--key", str(work / "hardpin.pub"), *tls, nb, ref)
    # 2. cosign's formats, verified by hardpin
    check("cosign generate-key-pair", "cosign", "generate-key-pair")
    for fmt in ("legacy", "bundle"):
        repo = f"crosscheck/cosign-{fmt}"
        ref = f"{reg.host}/{repo}@" + push_image(reg, repo, "1", "oci")["digest"]
        nb = f"--new-bundle-format={'true' if fmt == 'bundle' else 'false'}"
        check(f"cosign sign ({fmt})", "cosign", "sign", "--key", "cosign.key",
              "--tlog-upload=false", "--allow-http-registry", nb, ref)
        check(f"cosign attest --type spdxjson ({fmt})", "cosign", "attest", "--key",
              "cosign.key", "--type", "spdxjson", "--predicate", str(sbom),
              "--tlog-upload=false", "--allow-http-registry", nb, ref)
        check(f"hardpin verifies cosign's {fmt} signature and attestation",
              sys.executable, "-m", "hardpin", "verify", "--config", str(work / ".hardpin.toml"),
              "--key", str(work / "cosign.pub"), "--type", "spdxjson", ref)
if failed:
    print(f"files kept in {work}")
else:
    import shutil

    shutil.rmtree(work, ignore_errors=True)
sys.exit(failed)
PY
