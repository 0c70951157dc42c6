"""HP401's table of base images that run unprivileged, and the settings that change it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from hardpin.engine import lint_text
from hardpin.settings import Settings


def hp401(text: str, settings: Settings | None = None) -> list[int]:
    found = lint_text("Dockerfile", "dockerfile", text, settings or Settings())
    return [f.line for f in found if f.code == "HP401"]


@pytest.mark.parametrize(
    "image",
    [
        "mcr.microsoft.com/dotnet/runtime-deps:9.0-noble-chiseled",
        "mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled-extra",
        "cgr.dev/chainguard/node:latest",
        "gcr.io/distroless/python3-debian12:nonroot",
        "gcr.io/distroless/static:debug-nonroot",
        "cimg/node:20.11",
        "circleci/python:3.8",
        "quay.io/jupyter/scipy-notebook:2024-05-27",
        "docker:27-dind-rootless",
    ],
)
def test_known_unprivileged_bases_pass(image: str) -> None:
    assert hp401(f"FROM {image}\nCOPY app /app\n") == []


@pytest.mark.parametrize(
    "image",
    ["mcr.microsoft.com/dotnet/aspnet:8.0", "python:3.12-slim", "ghcr.io/chainguard/node"],
)
def test_other_bases_fire(image: str) -> None:
    assert hp401(f"FROM {image}\nCOPY app /app\n") == [1]


def test_the_list_is_replaced_or_extended_by_settings() -> None:
    text = "FROM myorg/base:1.2\nCOPY app /app\n"
    assert hp401(text) == [1]
    extended = Settings(extra=(("extend-nonroot-images", ("myorg/*",)),))
    assert hp401(text, extended) == []
    assert hp401("FROM cimg/node:20.11\n", extended) == []  # the defaults still apply
    replaced = Settings(extra=(("nonroot-images", ("myorg/base:1.*",)),))
    assert hp401(text, replaced) == []
    assert hp401("FROM cimg/node:20.11\n", replaced) == [1]


def test_scratch_data_image_passes_but_one_that_runs_fires() -> None:
    assert hp401("FROM scratch\nCOPY data /data\n") == []
    assert hp401('FROM scratch\nCOPY app /app\nCMD ["/app"]\n') == [1]
    # a stage built on a scratch stage that runs something
    assert hp401('FROM scratch AS d\nCOPY x /x\nFROM d\nENTRYPOINT ["/x"]\n') == [3]


def test_config_file_key(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM myorg/base:1.2\nCOPY app /app\n")
    (tmp_path / ".hardpin.toml").write_text('extend-nonroot-images = ["myorg/base"]\n')
    r = run_cli("check", "--select", "HP401", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 0 and "HP401" not in r.stdout, r.stdout + r.stderr
    (tmp_path / ".hardpin.toml").write_text("extend-nonroot-images = 3\n")
    r = run_cli("check", "--select", "HP401", "Dockerfile", cwd=tmp_path)
    assert r.returncode == 2 and "extend-nonroot-images" in r.stderr, r.stderr
