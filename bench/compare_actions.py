"""Unpinned actions and images per workflow: hardpin against Scorecard's rule and zizmor.

    python bench/compare_actions.py [--corpus DIR] [--zizmor PATH] [--show N]

For every workflow of the corpus (`<corpus>/workflows`), counts

* hardpin: HP501 findings (`hardpin check --select HP501`, JSON output);
* Scorecard's rule, implemented here from its documentation on the loaded YAML
  (no positions): every step `uses:` and job-level `uses:` that is not a full
  40-hex commit SHA, local `./` actions exempt, `docker://` pinned only with
  `@sha256:`;
* zizmor's `unpinned-uses` (with a `zizmor.yml` demanding hash pins for every
  owner) and `unpinned-images` against hardpin's HP502, when zizmor is given (PyPI
  `zizmor`, run with `--offline --persona pedantic` on a copy of the workflows in
  `.github/workflows`: its regular persona reports only images without a tag or with
  `latest`).

Prints the totals, the files where the counts differ, and a few of them.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHA = re.compile(r"[0-9a-fA-F]{40}")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
ZIZMOR_CONFIG = 'rules:\n  unpinned-uses:\n    config:\n      policies:\n        "*": hash-pin\n'


def scorecard_count(text: str) -> int | None:
    """Scorecard's Pinned-Dependencies rule for actions, on the loaded document."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("jobs"), dict):
        return 0
    n = 0
    for job in doc["jobs"].values():
        if not isinstance(job, dict):
            continue
        uses = [job.get("uses")]
        for step in job.get("steps") or []:
            if isinstance(step, dict):
                uses.append(step.get("uses"))
        for u in uses:
            if not isinstance(u, str) or u.startswith("./"):
                continue
            if u.startswith("docker://"):
                n += DIGEST.search(u) is None
                continue
            ref = u.rpartition("@")[2] if "@" in u else ""
            n += SHA.fullmatch(ref) is None
    return n


def hardpin_counts(files: list[Path], code: str) -> collections.Counter[str]:
    p = subprocess.run(
        [sys.executable, "-m", "hardpin", "check", "--select", code, "--format", "json",
         "--exit-zero", "--offline", *map(str, files)],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )  # fmt: skip
    found = json.loads(p.stdout)
    items = found["findings"] if isinstance(found, dict) else found
    return collections.Counter(Path(f["path"]).name for f in items if f["code"] == code)


def zizmor_counts(zizmor: str, files: list[Path]) -> dict[str, collections.Counter[str]]:
    with tempfile.TemporaryDirectory() as tmp:
        wf = Path(tmp) / ".github" / "workflows"
        wf.mkdir(parents=True)
        for f in files:
            shutil.copyfile(f, wf / f.name)
        cfg = Path(tmp) / "zizmor.yml"
        cfg.write_text(ZIZMOR_CONFIG)
        p = subprocess.run(
            [zizmor, "--offline", "--persona", "pedantic", "--format", "json", "--config", str(cfg), tmp],
            capture_output=True, text=True,
        )  # fmt: skip
    out: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for f in json.loads(p.stdout or "[]"):
        for loc in f["locations"][:1]:
            key = loc["symbolic"]["key"]
            local = key.get("Local", {})
            name = Path(local.get("verbatim_path") or local.get("given_path") or "").name
            out[f["ident"]][name] += 1
    return out


def compare(name: str, a: dict[str, int], b: dict[str, int], files: list[str], show: int) -> None:
    diff = [(f, a.get(f, 0), b.get(f, 0)) for f in files if a.get(f, 0) != b.get(f, 0)]
    print(f"hardpin vs {name}: totals {sum(a.values())} vs {sum(b.values())}; "
          f"{len(files) - len(diff)} of {len(files)} files agree")  # fmt: skip
    for f, x, y in diff[:show]:
        print(f"  {f}: hardpin {x}, {name} {y}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    ap.add_argument("--zizmor", default=shutil.which("zizmor"))
    ap.add_argument("--show", type=int, default=20)
    args = ap.parse_args()
    files = sorted((Path(args.corpus) / "workflows").iterdir())
    names = [f.name for f in files]
    ours = hardpin_counts(files, "HP501")
    score = {}
    for f in files:
        n = scorecard_count(f.read_bytes().decode("utf-8", "replace"))
        if n is not None:
            score[f.name] = n
    compare("Scorecard's rule", ours, score, [n for n in names if n in score], args.show)
    if args.zizmor:
        z = zizmor_counts(args.zizmor, files)
        audited = sorted(set(names))
        compare("zizmor unpinned-uses", ours, z["unpinned-uses"], audited, args.show)
        images = hardpin_counts(files, "HP502")
        compare("zizmor unpinned-images", images, z["unpinned-images"], audited, args.show)


if __name__ == "__main__":
    main()
