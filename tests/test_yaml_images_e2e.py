"""HP502, HP503 and HP602 in YAML files against a real registry (tests/registry_support.py):
`--fix` writes `name:tag@<index digest>` into compose files, Kubernetes manifests and
workflows, touching nothing else, and `hardpin update` moves a digest whose tag moved."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli
from registry_support import FaultProxy, Registry, fault_proxy, move_tag, push_image, registry_anon

COMPOSE = """\
# services of the app
x-base: &base
  image: HOST/y/redis:7   # shared
services:
  db:
    image: "HOST/y/postgres:16"
  cache: {<<: *base}
  app:
    build: .
    image: app:dev
"""

K8S = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec:
  jobTemplate:
    spec:
      template:
        spec:
          initContainers: [{name: i, image: HOST/y/redis:7}]
          containers:
            - name: job
              image: 'HOST/y/postgres:16'
"""

WORKFLOW = """\
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    container:
      image: HOST/y/redis:7
    services:
      pg:
        image: HOST/y/postgres:16
"""


def _env(tmp_path: Path) -> dict[str, str]:
    return {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "DOCKER_CONFIG": str(tmp_path / "no-docker-config"),
    }


def test_fix_pins_yaml_images_and_update_moves_them(
    fault_proxy: FaultProxy, registry_anon: Registry, tmp_path: Path
) -> None:
    redis = push_image(registry_anon, "y/redis", "7", "oci-index")["digest"]
    pg = push_image(registry_anon, "y/postgres", "16", "docker-list")["digest"]
    host = fault_proxy.host
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "k8s").mkdir()
    (root / ".hardpin.toml").write_text(f'insecure-registries = ["{host}"]\n')
    files = {
        root / "docker-compose.yml": COMPOSE,
        root / "k8s" / "job.yaml": K8S,
        root / ".github" / "workflows" / "ci.yml": WORKFLOW,
    }
    for p, t in files.items():
        p.write_text(t.replace("HOST", host))
    r = run_cli("check", "--fix", "--select", "HP502,HP503", ".", cwd=root, env=_env(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    for p, t in files.items():
        want = (
            t.replace("HOST", host)
            .replace("redis:7", f"redis:7@{redis}")
            .replace("postgres:16", f"postgres:16@{pg}")
        )
        assert p.read_text() == want, p.name
    # every distinct reference asked once
    gets = sorted(p for m, p, _s in fault_proxy.log if m == "GET")
    assert gets == ["/v2/y/postgres/manifests/16", "/v2/y/redis/manifests/7"]
    again = run_cli("check", "--fix", "--select", "HP502,HP503", ".", cwd=root, env=_env(tmp_path))
    assert again.returncode == 0
    assert all(p.read_text().count("@sha256:") == t.count("HOST") for p, t in files.items())

    new = move_tag(registry_anon, "y/redis", "7", "oci-index")["digest"]
    up = run_cli(
        "update", ".", cwd=root, env={**_env(tmp_path), "HARDPIN_CACHE_DIR": str(tmp_path / "c2")}
    )
    assert up.returncode == 0, up.stdout + up.stderr
    for p in files:
        text = p.read_text()
        assert f"redis:7@{new}" in text and redis not in text and f"postgres:16@{pg}" in text
