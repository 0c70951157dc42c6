"""SBOM documents: SPDX 2.3 JSON and CycloneDX 1.4-1.6 JSON, checked without a schema
library (no dependency, no network).

SPDX 2.3: the official JSON schema is too weak (it accepts `dataLicense: "MIT"`
and no `documentNamespace`), so the checks follow the specification's chapters on
document creation, packages, files and relationships: the document fields, SPDX
identifiers (`SPDXRef-` then letters, digits, `.` and `-`, unique), package
`downloadLocation`, `filesAnalyzed` against `packageVerificationCode`, file
checksums (SHA1 is mandatory), and that every identifier a relationship,
`documentDescribes` or `hasFiles` names resolves (in the document, or through an
`externalDocumentRefs` entry).

CycloneDX 1.4-1.6: the official schemas (Apache-2.0) need a JSON-schema library
and the SPDX licence list schema they refer to; instead the structure those
schemas require is checked here: `bomFormat`, `specVersion`, the top-level
properties each version allows (the schemas forbid others), `serialNumber`'s
pattern, `version`, every component's `type` (the version's enum) and `name`,
unique `bom-ref`s and dependencies whose `ref` and `dependsOn` resolve.

SPDX 3 (JSON-LD) is recognised by its `@context` and reported as not supported yet.

The package count is what the SBOM lists other than its own subject: SPDX
packages minus the ones the document DESCRIBES (the scanned image or directory;
when every package is described, all count), CycloneDX components at any depth
(`metadata.component`, the subject, is not among them).
"""

from __future__ import annotations

import json
import re
from typing import Any

from hardpin._record import record

MAX_SBOM = 256 << 20
MAX_PROBLEMS = 20

_SPDXID = re.compile(r"SPDXRef-[A-Za-z0-9.\-]+\Z")
_DOCREF = re.compile(r"DocumentRef-[A-Za-z0-9.\-]+\Z")
_CREATED = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")
_UUID_URN = re.compile(
    r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)
_DOWNLOAD = re.compile(
    r"(NONE|NOASSERTION|[A-Za-z][A-Za-z0-9+.\-]*(\+[a-z]+)?://\S+|[A-Za-z0-9_.\-+]+@\S+:\S+|"
    r"git\+\S+|hg\+\S+|svn\+\S+|bzr\+\S+)\Z"
)
_SPDX_RELATIONSHIPS = frozenset(
    """DESCRIBES DESCRIBED_BY CONTAINS CONTAINED_BY DEPENDS_ON DEPENDENCY_OF
    DEPENDENCY_MANIFEST_OF BUILD_DEPENDENCY_OF DEV_DEPENDENCY_OF OPTIONAL_DEPENDENCY_OF
    PROVIDED_DEPENDENCY_OF TEST_DEPENDENCY_OF RUNTIME_DEPENDENCY_OF EXAMPLE_OF GENERATES
    GENERATED_FROM ANCESTOR_OF DESCENDANT_OF VARIANT_OF DISTRIBUTION_ARTIFACT PATCH_FOR
    PATCH_APPLIED COPY_OF FILE_ADDED FILE_DELETED FILE_MODIFIED EXPANDED_FROM_ARCHIVE
    DYNAMIC_LINK STATIC_LINK DATA_FILE_OF TEST_CASE_OF BUILD_TOOL_OF DEV_TOOL_OF TEST_OF
    TEST_TOOL_OF DOCUMENTATION_OF OPTIONAL_COMPONENT_OF METAFILE_OF PACKAGE_OF AMENDS
    PREREQUISITE_FOR HAS_PREREQUISITE REQUIREMENT_DESCRIPTION_FOR SPECIFICATION_FOR
    OTHER""".split()
)
_CHECKSUM_ALGS = frozenset(
    """SHA1 SHA224 SHA256 SHA384 SHA512 SHA3-256 SHA3-384 SHA3-512 BLAKE2b-256 BLAKE2b-384
    BLAKE2b-512 BLAKE3 MD2 MD4 MD5 MD6 ADLER32""".split()
)

_CDX_TOP_14 = frozenset(
    """$schema bomFormat specVersion serialNumber version metadata components services
    externalReferences dependencies compositions vulnerabilities signature""".split()
)
_CDX_TOP = {
    "1.4": _CDX_TOP_14,
    "1.5": _CDX_TOP_14 | {"annotations", "formulation", "properties"},
    "1.6": _CDX_TOP_14
    | {"annotations", "formulation", "properties", "declarations", "definitions"},
}
_CDX_TYPES_14 = frozenset(
    "application framework library container operating-system device firmware file".split()
)
_CDX_TYPES = {
    "1.4": _CDX_TYPES_14,
    "1.5": _CDX_TYPES_14 | {"platform", "device-driver", "machine-learning-model", "data"},
    "1.6": _CDX_TYPES_14
    | {"platform", "device-driver", "machine-learning-model", "data", "cryptographic-asset"},
}


@record
class SbomReport:
    """What a document is and what is wrong with it (`problems` empty: valid)."""

    format: str  # "SPDX", "CycloneDX", "SPDX 3", "unknown"
    version: str  # "2.3", "1.6", "" when unknown
    packages: int
    problems: list[str]
    supported: bool = True  # False: recognised, not validated (SPDX 3)

    @property
    def valid(self) -> bool:
        return self.supported and not self.problems

    @property
    def empty(self) -> bool:
        return self.valid and self.packages == 0

    def describe(self) -> str:
        return f"{self.format} {self.version}".strip()


def parse_json(data: bytes) -> Any:
    """JSON of an SBOM (ValueError with a short reason)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None


def check_bytes(data: bytes) -> SbomReport:
    try:
        doc = parse_json(data)
    except ValueError as exc:
        return SbomReport(format="unknown", version="", packages=0, problems=[str(exc)])
    return check_document(doc)


def check_document(doc: Any) -> SbomReport:
    """Which SBOM format `doc` (parsed JSON) is, and its problems."""
    if not isinstance(doc, dict):
        return SbomReport(format="unknown", version="", packages=0, problems=["not a JSON object"])
    if "spdxVersion" in doc:
        return _spdx2(doc)
    if "bomFormat" in doc or "specVersion" in doc:
        return _cyclonedx(doc)
    context = doc.get("@context")
    contexts = context if isinstance(context, list) else [context]
    graph = doc.get("@graph")
    typed = isinstance(graph, list) and any(
        isinstance(e, dict) and e.get("type") in ("SpdxDocument", "software_Sbom")
        for e in graph[:10000]
    )
    if typed or any(isinstance(c, str) and "spdx.org/rdf/3" in c for c in contexts):
        version = ""
        for c in contexts:
            m = re.search(r"spdx\.org/rdf/(3[\d.]*)/", c) if isinstance(c, str) else None
            if m:
                version = m.group(1)
        return SbomReport(
            format="SPDX",
            version=version or "3",
            packages=0,
            problems=["SPDX 3 JSON-LD is recognised, but its validation is not supported yet"],
            supported=False,
        )
    return SbomReport(
        format="unknown",
        version="",
        packages=0,
        problems=["neither SPDX (`spdxVersion`) nor CycloneDX (`bomFormat`)"],
    )


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []
        self.more = 0

    def add(self, where: str, what: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{where}: {what}" if where else what)
        else:
            self.more += 1

    def result(self) -> list[str]:
        return self.items + ([f"... and {self.more} more problems"] if self.more else [])


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _nonempty_str(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


# -- SPDX 2.x -------------------------------------------------------------------------


def _spdx2(doc: dict[str, Any]) -> SbomReport:
    p = _Problems()
    version_field = doc.get("spdxVersion")
    version = ""
    if isinstance(version_field, str) and version_field.startswith("SPDX-"):
        version = version_field[5:]
    if version not in ("2.2", "2.3"):
        return SbomReport(
            format="SPDX",
            version=version,
            packages=0,
            problems=[f"spdxVersion: {_short(version_field)} is not SPDX-2.3 (or SPDX-2.2)"],
        )
    if doc.get("dataLicense") != "CC0-1.0":
        p.add("dataLicense", f"must be CC0-1.0, not {_short(doc.get('dataLicense'))}")
    if doc.get("SPDXID") != "SPDXRef-DOCUMENT":
        p.add("SPDXID", f"must be SPDXRef-DOCUMENT, not {_short(doc.get('SPDXID'))}")
    if not _nonempty_str(doc.get("name")):
        p.add("name", "missing or empty")
    ns = doc.get("documentNamespace")
    if not isinstance(ns, str) or not ns.strip():
        p.add("documentNamespace", "missing (a unique absolute URI is required)")
    elif not _URI_SCHEME.match(ns) or "#" in ns:
        p.add("documentNamespace", f"{_short(ns)} is not an absolute URI without `#`")
    ci = doc.get("creationInfo")
    if not isinstance(ci, dict):
        p.add("creationInfo", "missing")
    else:
        created = ci.get("created")
        if not isinstance(created, str) or not _CREATED.match(created):
            p.add(
                "creationInfo.created", f"{_short(created)} is not a UTC time YYYY-MM-DDThh:mm:ssZ"
            )
        creators = ci.get("creators")
        if not isinstance(creators, list) or not creators:
            p.add("creationInfo.creators", "missing or empty")
        else:
            for n, c in enumerate(creators):
                if not isinstance(c, str) or not c.startswith(
                    ("Person:", "Organization:", "Tool:")
                ):
                    p.add(
                        f"creationInfo.creators[{n}]",
                        f"{_short(c)} does not start with Person:, Organization: or Tool:",
                    )

    ids: dict[str, str] = {"SPDXRef-DOCUMENT": "document"}
    ext_docs: set[str] = set()
    for n, ref in enumerate(_list(doc, "externalDocumentRefs", p)):
        where = f"externalDocumentRefs[{n}]"
        if not isinstance(ref, dict):
            p.add(where, "not an object")
            continue
        did = ref.get("externalDocumentId")
        if not isinstance(did, str) or not _DOCREF.match(did):
            p.add(f"{where}.externalDocumentId", f"{_short(did)} is not DocumentRef-<id>")
        else:
            ext_docs.add(did)
        if not _nonempty_str(ref.get("spdxDocument")):
            p.add(f"{where}.spdxDocument", "missing")
        if not isinstance(ref.get("checksum"), dict):
            p.add(f"{where}.checksum", "missing")

    def new_id(value: object, where: str) -> None:
        if not isinstance(value, str) or not _SPDXID.match(value):
            p.add(f"{where}.SPDXID", f"{_short(value)} is not an SPDX identifier (SPDXRef-...)")
        elif value in ids:
            p.add(f"{where}.SPDXID", f"{value} is used twice")
        else:
            ids[value] = where

    packages = _list(doc, "packages", p)
    for n, pkg in enumerate(packages):
        where = f"packages[{n}]"
        if not isinstance(pkg, dict):
            p.add(where, "not an object")
            continue
        new_id(pkg.get("SPDXID"), where)
        if not _nonempty_str(pkg.get("name")):
            p.add(f"{where}.name", "missing or empty")
        dl = pkg.get("downloadLocation")
        if not isinstance(dl, str) or not _DOWNLOAD.match(dl.strip()):
            p.add(
                f"{where}.downloadLocation",
                f"{_short(dl)} is not a URL, NONE or NOASSERTION",
            )
        analyzed = pkg.get("filesAnalyzed", True)
        if not isinstance(analyzed, bool):
            p.add(f"{where}.filesAnalyzed", "must be true or false")
        elif not analyzed and "packageVerificationCode" in pkg:
            p.add(where, "packageVerificationCode given although filesAnalyzed is false")
        for m, cs in enumerate(pkg.get("checksums") or []):
            _checksum(cs, f"{where}.checksums[{m}]", p)
    for n, f in enumerate(_list(doc, "files", p)):
        where = f"files[{n}]"
        if not isinstance(f, dict):
            p.add(where, "not an object")
            continue
        new_id(f.get("SPDXID"), where)
        if not _nonempty_str(f.get("fileName")):
            p.add(f"{where}.fileName", "missing or empty")
        checksums = f.get("checksums")
        if not isinstance(checksums, list) or not checksums:
            p.add(f"{where}.checksums", "missing (a SHA1 checksum is required)")
        else:
            for m, cs in enumerate(checksums):
                _checksum(cs, f"{where}.checksums[{m}]", p)
            if not any(isinstance(cs, dict) and cs.get("algorithm") == "SHA1" for cs in checksums):
                p.add(f"{where}.checksums", "no SHA1 checksum (required)")
    for n, s in enumerate(_list(doc, "snippets", p)):
        where = f"snippets[{n}]"
        if not isinstance(s, dict):
            p.add(where, "not an object")
            continue
        new_id(s.get("SPDXID"), where)

    def resolves(value: object, where: str, special: bool = False) -> None:
        if not isinstance(value, str):
            p.add(where, f"{_short(value)} is not an SPDX identifier")
            return
        if special and value in ("NONE", "NOASSERTION"):
            return
        if value in ids:
            return
        if ":" in value:
            docref, _, elem = value.partition(":")
            if _DOCREF.match(docref) and _SPDXID.match(elem):
                if docref not in ext_docs:
                    p.add(
                        where, f"{value} names {docref}, which externalDocumentRefs does not define"
                    )
                return
        p.add(where, f"{value} does not name an element of the document")

    described: set[str] = set()
    for n, v in enumerate(_list(doc, "documentDescribes", p)):
        resolves(v, f"documentDescribes[{n}]")
        if isinstance(v, str):
            described.add(v)
    for n, pkg in enumerate(packages):
        if isinstance(pkg, dict):
            for m, fid in enumerate(pkg.get("hasFiles") or []):
                resolves(fid, f"packages[{n}].hasFiles[{m}]")
    for n, rel in enumerate(_list(doc, "relationships", p)):
        where = f"relationships[{n}]"
        if not isinstance(rel, dict):
            p.add(where, "not an object")
            continue
        rtype = rel.get("relationshipType")
        if rtype not in _SPDX_RELATIONSHIPS:
            p.add(f"{where}.relationshipType", f"{_short(rtype)} is not an SPDX relationship type")
        a, b = rel.get("spdxElementId"), rel.get("relatedSpdxElement")
        resolves(a, f"{where}.spdxElementId")
        resolves(b, f"{where}.relatedSpdxElement", special=True)
        if rtype == "DESCRIBES" and a == "SPDXRef-DOCUMENT" and isinstance(b, str):
            described.add(b)
        if rtype == "DESCRIBED_BY" and b == "SPDXRef-DOCUMENT" and isinstance(a, str):
            described.add(a)
    pkg_ids = [pkg.get("SPDXID") for pkg in packages if isinstance(pkg, dict)]
    subjects = sum(1 for i in pkg_ids if i in described)
    count = len(pkg_ids) - subjects if subjects < len(pkg_ids) else len(pkg_ids)
    return SbomReport(format="SPDX", version=version, packages=count, problems=p.result())


def _list(doc: dict[str, Any], key: str, p: _Problems) -> list[Any]:
    value = doc.get(key, [])
    if not isinstance(value, list):
        p.add(key, "not a list")
        return []
    return value


def _checksum(cs: object, where: str, p: _Problems) -> None:
    if not isinstance(cs, dict):
        p.add(where, "not an object")
        return
    alg = cs.get("algorithm")
    if alg not in _CHECKSUM_ALGS:
        p.add(f"{where}.algorithm", f"{_short(alg)} is not an SPDX checksum algorithm")
    value = cs.get("checksumValue")
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]+", value):
        p.add(f"{where}.checksumValue", f"{_short(value)} is not a hex digest")


# -- CycloneDX ------------------------------------------------------------------------


def _cyclonedx(doc: dict[str, Any]) -> SbomReport:
    p = _Problems()
    version = doc.get("specVersion")
    vtext = version if isinstance(version, str) else ""
    if doc.get("bomFormat") != "CycloneDX":
        p.add("bomFormat", f"must be CycloneDX, not {_short(doc.get('bomFormat'))}")
    if vtext not in _CDX_TOP:
        return SbomReport(
            format="CycloneDX",
            version=vtext,
            packages=0,
            problems=p.result() + [f"specVersion: {_short(version)} is not one of 1.4, 1.5, 1.6"],
        )
    for key in sorted(set(doc) - _CDX_TOP[vtext]):
        p.add(key, f"not a property of a CycloneDX {vtext} BOM")
    serial = doc.get("serialNumber")
    if serial is not None and (not isinstance(serial, str) or not _UUID_URN.match(serial)):
        p.add("serialNumber", f"{_short(serial)} is not urn:uuid:<RFC 4122 UUID>")
    bom_version = doc.get("version", 1)
    if not isinstance(bom_version, int) or isinstance(bom_version, bool) or bom_version < 1:
        p.add("version", f"{_short(bom_version)} is not a whole number >= 1")
    refs: set[str] = set()
    types = _CDX_TYPES[vtext]
    count = 0

    def component(c: object, where: str, depth: int) -> None:
        nonlocal count
        if depth > 64:
            p.add(where, "components nested too deeply")
            return
        if not isinstance(c, dict):
            p.add(where, "not an object")
            return
        ctype = c.get("type")
        if ctype not in types:
            p.add(f"{where}.type", f"{_short(ctype)} is not a CycloneDX {vtext} component type")
        if not _nonempty_str(c.get("name")):
            p.add(f"{where}.name", "missing or empty")
        ref = c.get("bom-ref")
        if ref is not None:
            if not isinstance(ref, str) or not ref:
                p.add(f"{where}.bom-ref", "not a non-empty string")
            elif ref in refs:
                p.add(f"{where}.bom-ref", f"{_short(ref)} is used twice")
            else:
                refs.add(ref)
        children = c.get("components", [])
        if not isinstance(children, list):
            p.add(f"{where}.components", "not a list")
            return
        for n, child in enumerate(children):
            count += 1
            component(child, f"{where}.components[{n}]", depth + 1)

    meta = doc.get("metadata")
    if meta is not None:
        if not isinstance(meta, dict):
            p.add("metadata", "not an object")
        elif meta.get("component") is not None:
            saved = count
            component(meta["component"], "metadata.component", 0)
            count = saved  # the subject and its parts are not what the BOM lists
    comps = doc.get("components", [])
    if not isinstance(comps, list):
        p.add("components", "not a list")
        comps = []
    for n, c in enumerate(comps):
        count += 1
        component(c, f"components[{n}]", 0)
    services = doc.get("services", [])
    for n, s in enumerate(services if isinstance(services, list) else []):
        if isinstance(s, dict) and isinstance(s.get("bom-ref"), str):
            refs.add(s["bom-ref"])
        elif not isinstance(s, dict):
            p.add(f"services[{n}]", "not an object")
    deps = doc.get("dependencies", [])
    if not isinstance(deps, list):
        p.add("dependencies", "not a list")
        deps = []
    for n, d in enumerate(deps):
        where = f"dependencies[{n}]"
        if not isinstance(d, dict):
            p.add(where, "not an object")
            continue
        ref = d.get("ref")
        if not isinstance(ref, str) or not ref:
            p.add(f"{where}.ref", "missing")
        elif ref not in refs:
            p.add(f"{where}.ref", f"{_short(ref)} is not the bom-ref of a component or service")
        on = d.get("dependsOn", [])
        if not isinstance(on, list):
            p.add(f"{where}.dependsOn", "not a list")
            continue
        for m, r in enumerate(on):
            if not isinstance(r, str) or r not in refs:
                p.add(
                    f"{where}.dependsOn[{m}]",
                    f"{_short(r)} is not the bom-ref of a component or service",
                )
    return SbomReport(format="CycloneDX", version=vtext, packages=count, problems=p.result())
