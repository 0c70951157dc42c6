"""`hardpin sbom` over SBOMs made by the real syft (a fixture directory and the hardpin
source tree), and over broken copies, each reporting its own problem."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from sbom_support import FIXTURE_PACKAGES, fixture_sboms, load, project_sboms

from hardpin.verify.crypto import b64decode, pae
from hardpin.verify.sbom import check_bytes, check_document


def _sbom(*args: str, cwd: Path | None = None) -> Any:
    return run_cli("sbom", *args, cwd=cwd)


def test_syft_fixture_sboms_are_valid_with_their_package_count(
    fixture_sboms: dict[str, Path],
) -> None:
    r = _sbom(str(fixture_sboms["spdx"]), str(fixture_sboms["cyclonedx"]))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines() == [
        f"{fixture_sboms['spdx']}: SPDX 2.3, {FIXTURE_PACKAGES} packages, valid",
        f"{fixture_sboms['cyclonedx']}: CycloneDX 1.6, {FIXTURE_PACKAGES} packages, valid",
    ]
    assert len(load(fixture_sboms["syft"])["artifacts"]) == FIXTURE_PACKAGES


def test_syft_project_sboms_are_valid_with_syfts_package_count(
    project_sboms: dict[str, Path],
) -> None:
    artifacts = len(load(project_sboms["syft"])["artifacts"])
    assert artifacts > 0
    r = _sbom("--format", "json", str(project_sboms["spdx"]), str(project_sboms["cyclonedx"]))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = json.loads(r.stdout)["files"]
    assert [(x["format"], x["version"], x["packages"], x["valid"]) for x in rows] == [
        ("SPDX", "2.3", artifacts, True),
        ("CycloneDX", "1.6", artifacts, True),
    ]


Mutation = Callable[[dict[str, Any]], None]


def _set(key: str, value: Any) -> Mutation:
    def f(d: dict[str, Any]) -> None:
        d[key] = value

    return f


def _del(key: str) -> Mutation:
    def f(d: dict[str, Any]) -> None:
        del d[key]

    return f


def _pkg(field: str, value: Any) -> Mutation:
    def f(d: dict[str, Any]) -> None:
        d["packages"][0][field] = value

    return f


def _dup_spdxid(d: dict[str, Any]) -> None:
    d["packages"][1]["SPDXID"] = d["packages"][0]["SPDXID"]


def _dangling_relationship(d: dict[str, Any]) -> None:
    d["relationships"][0]["relatedSpdxElement"] = "SPDXRef-Package-gone"


def _no_sha1(d: dict[str, Any]) -> None:
    d["files"][0]["checksums"] = [c for c in d["files"][0]["checksums"] if c["algorithm"] != "SHA1"]


def _verification_code(d: dict[str, Any]) -> None:
    d["packages"][0]["filesAnalyzed"] = False
    d["packages"][0]["packageVerificationCode"] = {"packageVerificationCodeValue": "ab"}


def _external_ref(d: dict[str, Any]) -> None:
    d["relationships"][0]["relatedSpdxElement"] = "DocumentRef-other:SPDXRef-x"


SPDX_BREAKS: list[tuple[str, Mutation, str]] = [
    ("license", _set("dataLicense", "MIT"), "dataLicense: must be CC0-1.0, not 'MIT'"),
    ("namespace", _del("documentNamespace"), "documentNamespace: missing"),
    ("namespace-hash", _set("documentNamespace", "https://x.example/a#b"), "is not an absolute URI without `#`"),
    ("namespace-relative", _set("documentNamespace", "just-a-name"), "is not an absolute URI"),
    ("document-id", _set("SPDXID", "SPDXRef-DOC"), "SPDXID: must be SPDXRef-DOCUMENT, not 'SPDXRef-DOC'"),
    ("version", _set("spdxVersion", "SPDX-2.1"), "spdxVersion: 'SPDX-2.1' is not SPDX-2.3"),
    ("name", _del("name"), "name: missing or empty"),
    ("created", lambda d: d["creationInfo"].update(created="yesterday"), "creationInfo.created: 'yesterday' is not a UTC time"),
    ("creators", lambda d: d["creationInfo"].update(creators=["syft"]), "creationInfo.creators[0]: 'syft' does not start with"),
    ("spdxid-chars", _pkg("SPDXID", "SPDXRef-a b"), "packages[0].SPDXID: 'SPDXRef-a b' is not an SPDX identifier"),
    ("spdxid-dup", _dup_spdxid, "packages[1].SPDXID: SPDXRef-Package-"),
    ("download", _pkg("downloadLocation", "somewhere"), "packages[0].downloadLocation: 'somewhere' is not a URL, NONE or NOASSERTION"),
    ("pkg-name", _pkg("name", ""), "packages[0].name: missing or empty"),
    ("verification-code", _verification_code, "packageVerificationCode given although filesAnalyzed is false"),
    ("dangling", _dangling_relationship, "relationships[0].relatedSpdxElement: SPDXRef-Package-gone does not name an element"),
    ("external-doc", _external_ref, "names DocumentRef-other, which externalDocumentRefs does not define"),
    ("relationship-type", lambda d: d["relationships"][0].update(relationshipType="LIKES"), "'LIKES' is not an SPDX relationship type"),
    ("file-sha1", _no_sha1, "files[0].checksums: no SHA1 checksum (required)"),
    ("checksum-value", lambda d: d["files"][0]["checksums"][0].update(checksumValue="xyz"), "files[0].checksums[0].checksumValue: 'xyz' is not a hex digest"),
]  # fmt: skip


def _cdx_dup_ref(d: dict[str, Any]) -> None:
    d["components"][1]["bom-ref"] = d["components"][0]["bom-ref"]


def _cdx_dep(d: dict[str, Any]) -> None:
    d["dependencies"] = [{"ref": d["components"][0]["bom-ref"], "dependsOn": ["pkg:nowhere"]}]


CDX_BREAKS: list[tuple[str, Mutation, str]] = [
    ("format", _set("bomFormat", "cyclonedx"), "bomFormat: must be CycloneDX"),
    ("spec-version", _set("specVersion", "1.3"), "specVersion: '1.3' is not one of 1.4, 1.5, 1.6"),
    ("extra-property", _set("sbom", {}), "sbom: not a property of a CycloneDX 1.6 BOM"),
    ("serial", _set("serialNumber", "1234"), "serialNumber: '1234' is not urn:uuid:"),
    ("version", _set("version", 0), "version: 0 is not a whole number >= 1"),
    ("component-name", lambda d: d["components"][2].pop("name"), "components[2].name: missing or empty"),
    ("component-type", lambda d: d["components"][0].update(type="package"), "components[0].type: 'package' is not a CycloneDX 1.6 component type"),
    ("bom-ref", _cdx_dup_ref, "components[1].bom-ref:"),
    ("dependency", _cdx_dep, "dependencies[0].dependsOn[0]: 'pkg:nowhere' is not the bom-ref"),
    ("components", _set("components", {}), "components: not a list"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "mutate", "problem"), SPDX_BREAKS, ids=[b[0] for b in SPDX_BREAKS]
)
def test_broken_spdx_copy_reports_its_problem(
    fixture_sboms: dict[str, Path], tmp_path: Path, name: str, mutate: Mutation, problem: str
) -> None:
    _broken(load(fixture_sboms["spdx"]), tmp_path, mutate, problem)


@pytest.mark.parametrize(("name", "mutate", "problem"), CDX_BREAKS, ids=[b[0] for b in CDX_BREAKS])
def test_broken_cyclonedx_copy_reports_its_problem(
    fixture_sboms: dict[str, Path], tmp_path: Path, name: str, mutate: Mutation, problem: str
) -> None:
    _broken(load(fixture_sboms["cyclonedx"]), tmp_path, mutate, problem)


def _broken(doc: dict[str, Any], tmp_path: Path, mutate: Mutation, problem: str) -> None:
    good = check_document(copy.deepcopy(doc))
    assert good.valid, good.problems
    mutate(doc)
    report = check_document(doc)
    assert not report.valid
    assert any(problem in p for p in report.problems), report.problems
    # and on the command line: exit 1, HP606, the problem on its own line
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(doc))
    r = _sbom(str(path))
    assert r.returncode == 1
    assert r.stdout.splitlines()[0].endswith(": HP606")
    assert any(problem in line for line in r.stdout.splitlines()[1:]), r.stdout


def test_empty_sbom_and_minimum_packages(fixture_sboms: dict[str, Path], tmp_path: Path) -> None:
    doc = load(fixture_sboms["cyclonedx"])
    doc["components"] = []
    empty = tmp_path / "empty.cdx.json"
    empty.write_text(json.dumps(doc))
    r = _sbom(str(empty))
    assert r.returncode == 1
    assert "empty: the SBOM lists no packages" in r.stdout
    r = _sbom("--minimum-packages", str(FIXTURE_PACKAGES + 1), str(fixture_sboms["spdx"]))
    assert r.returncode == 1
    assert f"lists {FIXTURE_PACKAGES} packages, fewer than --minimum-packages" in r.stdout
    r = _sbom("--minimum-packages", str(FIXTURE_PACKAGES), str(fixture_sboms["spdx"]))
    assert r.returncode == 0


def test_spdx3_is_recognised_and_not_supported_yet(tmp_path: Path) -> None:
    doc = {
        "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
        "@graph": [{"type": "SpdxDocument", "spdxId": "urn:x:doc"}],
    }
    path = tmp_path / "sbom.spdx3.json"
    path.write_text(json.dumps(doc))
    r = _sbom("--format", "json", str(path))
    assert r.returncode == 1
    [row] = json.loads(r.stdout)["files"]
    assert (row["format"], row["version"], row["supported"]) == ("SPDX", "3.0.1", False)
    assert row["problems"] == [
        "SPDX 3 JSON-LD is recognised, but its validation is not supported yet"
    ]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"\xff\xfe", "not UTF-8 text"),
        (b"{", "not JSON: Expecting property name"),
        (b"[]", "not a JSON object"),
        (b'{"hello": 1}', "neither SPDX"),
        (b"[" * 100000 + b"]" * 100000, "JSON nested too deeply"),
    ],
)
def test_not_an_sbom(data: bytes, problem: str) -> None:
    report = check_bytes(data)
    assert not report.valid
    assert problem in report.problems[0]


def test_unreadable_file_is_one_line(tmp_path: Path) -> None:
    r = _sbom(str(tmp_path / "missing.json"))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1
    assert "missing.json" in r.stderr
    r = _sbom(str(tmp_path))
    assert r.returncode == 2
    assert "a directory" in r.stderr


def test_sarif_names_the_file(fixture_sboms: dict[str, Path], tmp_path: Path) -> None:
    doc = load(fixture_sboms["spdx"])
    doc["dataLicense"] = "MIT"
    (tmp_path / "bad.json").write_text(json.dumps(doc))
    r = _sbom("--format", "sarif", "bad.json", cwd=tmp_path)
    assert r.returncode == 1
    [res] = json.loads(r.stdout)["runs"][0]["results"]
    assert res["ruleId"] == "HP606"
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "bad.json"


def test_dsse_pae_and_base64() -> None:
    # the DSSE specification's test vector (protocol.md)
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )
    assert b64decode("-_8") == b"\xfb\xff"  # URL-safe, unpadded
    assert b64decode("+/8=") == b"\xfb\xff"
    for bad in ("", "***", 5):
        with pytest.raises(ValueError):
            b64decode(bad)


def test_spdx3_recognised_by_element_type() -> None:
    doc = {"@context": "https://example.test/ctx.jsonld", "@graph": [{"type": "SpdxDocument"}]}
    report = check_document(doc)
    assert (report.format, report.version, report.supported) == ("SPDX", "3", False)
    assert not report.valid
