"""`hardpin verify`, `hardpin sbom`, `hardpin policy kyverno` and `check --verify`.

The parsers are registered by `add_parsers` (called from cli.build_parser); `run`
executes one of the three commands; `verify_pinned` adds the verify findings of
`hardpin check --verify`. Exit codes as everywhere in hardpin: 0 every required
check passed, 1 a check failed (or an image could not be looked up), 2 usage
or configuration error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hardpin.model import Finding, HardpinError, Severity

if TYPE_CHECKING:
    import argparse

    from hardpin.engine import RunResult
    from hardpin.verify.policy import Policy
    from hardpin.verify.verifier import ImageResult

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
COMMANDS = ("verify", "sbom", "policy")
NAMES = {
    "HP603": "unsigned-image",
    "HP604": "signature-not-verified",
    "HP605": "missing-sbom-attestation",
    "HP606": "invalid-sbom",
}


def add_parsers(sub: Any, network_flags: Callable[[Any], None]) -> None:
    v = sub.add_parser("verify", help="verify cosign signatures and SBOM attestations of images")
    v.add_argument(
        "images", nargs="+", metavar="IMAGE", help="image references to verify (by digest)"
    )
    v.add_argument("--key", default=None, metavar="FILE", help="PEM public key of the signer")
    v.add_argument(
        "--certificate-identity",
        default=None,
        metavar="ID",
        help="keyless: the exact signer identity",
    )
    v.add_argument(
        "--certificate-identity-regexp",
        default=None,
        metavar="REGEXP",
        help="keyless: a regular expression the signer identity must match",
    )
    v.add_argument(
        "--certificate-oidc-issuer",
        default=None,
        metavar="URL",
        help="keyless: the exact OIDC issuer",
    )
    v.add_argument(
        "--certificate-oidc-issuer-regexp",
        default=None,
        metavar="REGEXP",
        help="keyless: a regular expression the OIDC issuer must match",
    )
    v.add_argument(
        "--type",
        action="append",
        default=None,
        metavar="TYPE",
        help="require a signed SBOM attestation: spdxjson or cyclonedx (repeatable)",
    )
    v.add_argument(
        "--minimum-packages",
        type=int,
        default=None,
        metavar="N",
        help="fail an SBOM attestation with fewer packages",
    )
    v.add_argument(
        "--trusted-root",
        default=None,
        metavar="FILE",
        help="keyless: Sigstore trusted_root.json (default: the public-good instance's)",
    )
    v.add_argument(
        "--insecure-ignore-tlog",
        action="store_true",
        help="keyless: accept signatures without a transparency-log proof",
    )
    v.add_argument("--config", default=None, metavar="FILE", help="configuration file to read")
    v.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="output format (default: text)",
    )
    network_flags(v)

    s = sub.add_parser("sbom", help="validate SPDX 2.3 and CycloneDX 1.4-1.6 JSON SBOM files")
    s.add_argument("files", nargs="+", metavar="FILE", help="SBOM files (SPDX or CycloneDX JSON)")
    s.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="output format (default: text)",
    )
    s.add_argument(
        "--minimum-packages", type=int, default=None, metavar="N", help="fail with fewer packages"
    )

    p = sub.add_parser("policy", help="print the admission policy matching the verify policy")
    psub = p.add_subparsers(dest="policy_command", required=True, metavar="{kyverno}")
    k = psub.add_parser("kyverno", help="the Kyverno ClusterPolicy enforcing [tool.hardpin.verify]")
    k.add_argument("--config", default=None, metavar="FILE", help="configuration file to read")
    k.add_argument("--name", default="hardpin-verify-images", help="metadata.name of the policy")


def run(args: argparse.Namespace) -> int:
    if args.command == "sbom":
        return _sbom(args)
    if args.command == "policy":
        return _kyverno(args)
    return _verify(args)


# -- configuration --------------------------------------------------------------------


def _settings(config: str | None) -> Any:
    from hardpin.settings import settings_for

    return settings_for(os.getcwd(), config=config)


def config_policies(settings: Any) -> tuple[Policy, ...]:
    from hardpin.verify.policy import policies_from_table

    path = getattr(settings, "config_path", None)
    if not path:
        return ()
    from hardpin.settings import _display

    return policies_from_table(settings.get("verify"), path, _display(path))


def _cli_policy(args: argparse.Namespace) -> Policy | None:
    from hardpin.verify.policy import make_policy, type_uri

    types = tuple(type_uri(t, "--type") for t in (args.type or ()))
    signer = (
        args.key,
        args.certificate_identity,
        args.certificate_identity_regexp,
        args.certificate_oidc_issuer,
        args.certificate_oidc_issuer_regexp,
    )
    if all(v is None for v in signer):
        return None
    return make_policy(
        references=("*",),
        origin="command line",
        key=args.key,
        identity=args.certificate_identity,
        identity_regexp=args.certificate_identity_regexp,
        issuer=args.certificate_oidc_issuer,
        issuer_regexp=args.certificate_oidc_issuer_regexp,
        trusted_root=args.trusted_root,
        ignore_tlog=args.insecure_ignore_tlog,
        attestations=types,
        minimum_packages=args.minimum_packages,
    )


def _verifier(settings: Any, args: Any) -> Any:
    from hardpin.engine import NetworkOptions
    from hardpin.online.resolve import Online, OnlineOptions
    from hardpin.verify.verifier import Verifier

    net = NetworkOptions(
        offline=bool(args.offline) or os.environ.get("HARDPIN_OFFLINE", "") not in ("", "0"),
        refresh=args.refresh,
        concurrency=args.concurrency,
        cache_dir=args.cache_dir,
        tag_ttl=0.0,  # tags (the image's, .sig, .att, referrers) are always asked again
    )
    net.check()
    if net.offline:
        raise HardpinError("verifying needs the registry, and --offline or HARDPIN_OFFLINE is set")
    insecure = tuple(settings.get("insecure-registries", ()) or ())
    timeout = settings.get("request-timeout")
    online = Online(
        OnlineOptions(
            cache_dir=net.cache_dir,
            refresh=net.refresh,
            offline=False,
            concurrency=net.concurrency or 16,
            insecure_registries=insecure,
            tag_ttl=0.0,
            request_timeout=timeout if isinstance(timeout, float) else 30.0,
        )
    )
    return online, Verifier(online.registry)


# -- hardpin verify -------------------------------------------------------------------


def _verify(args: argparse.Namespace) -> int:
    from hardpin._record import replace
    from hardpin.refs import InvalidReference, parse_image
    from hardpin.verify.policy import matching, type_uri

    if args.minimum_packages is not None and args.minimum_packages < 0:
        raise HardpinError("--minimum-packages must be 0 or more")
    settings = _settings(args.config)
    cli_policy = _cli_policy(args)
    configured = config_policies(settings)
    extra_types = tuple(type_uri(t, "--type") for t in (args.type or ()))
    plans: list[tuple[str, Any, list[Policy]]] = []
    for image in args.images:
        try:
            ref = parse_image(image)
        except InvalidReference as exc:
            raise HardpinError(f"{image}: invalid image reference: {exc}") from None
        if cli_policy is not None:
            policies = [cli_policy]
        else:
            policies = matching(configured, ref)
            policies = [
                replace(
                    p,
                    attestations=tuple(dict.fromkeys(p.attestations + extra_types)),
                    minimum_packages=(
                        args.minimum_packages
                        if args.minimum_packages is not None
                        else p.minimum_packages
                    ),
                    trusted_root=args.trusted_root or p.trusted_root,
                    ignore_tlog=p.ignore_tlog or args.insecure_ignore_tlog,
                )
                for p in policies
            ]
        if not policies:
            where = "no [tool.hardpin.verify] policy" if configured else "no verify policy"
            raise HardpinError(
                f"{image}: {where} matches this image; give --key or "
                "--certificate-identity and --certificate-oidc-issuer"
            )
        plans.append((image, ref, policies))
    online, verifier = _verifier(settings, args)
    try:
        _load_keys(verifier, [p for _, _, ps in plans for p in ps])
        results = [verifier.verify(ref, policies, image) for image, ref, policies in plans]
        if args.verbose:
            print(f"hardpin: {online.requests} requests", file=sys.stderr)
    finally:
        online.close()
    _render_results(args, results)
    return EXIT_FAILED if any(r.failed for r in results) else EXIT_OK


def _load_keys(verifier: Any, policies: list[Policy]) -> None:
    """Read every key file before the first request: a bad key is a usage error."""
    for p in policies:
        if p.key is not None:
            verifier.key(p.key)


def _findings_of(
    result: ImageResult,
    path: str,
    line: int = 1,
    column: int = 1,
    end: tuple[int, int] | None = None,
    subject: str = "",
) -> list[Finding]:
    out: list[Finding] = []
    end_line, end_column = end if end is not None else (line, column)
    if result.error is not None:
        out.append(
            Finding(
                code="HP603",
                name=NAMES["HP603"],
                severity=Severity.ERROR,
                message=f"{result.image}: cannot verify: {result.error}",
                path=path,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                subject=subject or result.image,
            )
        )
    for c in result.checks:
        if c.ok:
            continue
        out.append(
            Finding(
                code=c.code,
                name=NAMES[c.code],
                severity=Severity.ERROR,
                message=f"{result.image}: {c.message} (policy: {c.policy})",
                path=path,
                line=line,
                column=column,
                end_line=end_line,
                end_column=end_column,
                subject=f"{subject or result.image} {c.what}",
            )
        )
    return out


def _rules_for(codes: list[str]) -> list[Any]:
    from hardpin.registry import rule_class

    return [rule_class(c) for c in codes]


def _render_results(args: argparse.Namespace, results: list[ImageResult]) -> None:
    fmt = args.format
    if fmt == "json":
        import json

        data = {
            "images": [
                {
                    "image": r.image,
                    "name": r.name,
                    "digest": r.digest or None,
                    "ok": not r.failed,
                    "error": r.error,
                    "checks": [
                        {
                            "check": c.what,
                            "ok": c.ok,
                            "code": c.code or None,
                            "message": c.message,
                            "policy": c.policy,
                        }
                        for c in r.checks
                    ],
                }
                for r in results
            ]
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    if fmt in ("sarif", "github"):
        from hardpin.output import render

        findings = [f for r in results for f in _findings_of(r, r.image)]
        render(
            fmt,
            findings,
            stream=sys.stdout,
            rules=_rules_for(["HP603", "HP604", "HP605", "HP606"]),
            root=os.getcwd(),
            files_checked=len(results),
        )
        return
    sys.stdout.write(table(results))


def table(results: list[ImageResult]) -> str:
    """The per-image table of the text format."""
    import re

    from hardpin.output.text import one_line

    rows: list[tuple[str, str, str, str, str]] = []
    for r in results:
        short = r.digest[:19] + "…" if r.digest else "-"
        image = re.sub(r"(@sha256:[0-9a-f]{12})[0-9a-f]{52}\b", r"\1…", r.image)
        if r.error is not None:
            rows.append((image, short, "lookup", "ERROR", r.error))
        for n, c in enumerate(r.checks):
            rows.append(
                (
                    image if n == 0 else "",
                    short if n == 0 else "",
                    c.what,
                    "ok" if c.ok else f"FAIL {c.code}",
                    c.message,
                )
            )
    head = ("IMAGE", "DIGEST", "CHECK", "RESULT", "DETAIL")
    rows = [tuple(one_line(x) for x in row) for row in rows]  # type: ignore[misc]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]
    lines = []
    for row in [head, *rows]:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append("  ".join(cells) + "  " + row[4])
    failed = sum(1 for r in results if r.failed)
    lines.append(
        f"{len(results)} image{'s' if len(results) != 1 else ''} checked, "
        + (f"{failed} failed" if failed else "all passed")
    )
    return "\n".join(lines) + "\n"


# -- hardpin check --verify ----------------------------------------------------------


def verify_pinned(args: Any, result: RunResult) -> list[Finding]:
    """Verify findings for every pinned image reference of the run's Dockerfiles that
    a policy of its file's settings covers (one verification per image and policy set)."""
    from hardpin._record import replace
    from hardpin.analysis.dockerfile import image_sites
    from hardpin.model import Source
    from hardpin.parsers.dockerfile import parse

    todo: list[tuple[Any, Any, list[Policy], str, tuple[int, int, int, int], str, Any]] = []
    settings_seen = None
    for fr in result.files:
        if fr.file.kind != "dockerfile":
            continue
        policies = config_policies(fr.file.settings)
        if not policies:
            continue
        settings_seen = settings_seen or fr.file.settings
        from hardpin.verify.policy import matching

        # what the file holds after the run (fixes included), so positions match it
        source = Source(fr.file.path, fr.new_text if fr.new_text is not None else fr.text)
        try:
            df = parse(source)
        except HardpinError:
            continue  # HP001 already says so
        for site in image_sites(df):
            ref = site.ref
            if ref is None or not ref.digest_ok:
                continue
            match = matching(policies, ref)
            if not match:
                continue
            line, col = source.position(site.start)
            end_line, end_col = source.position(site.end)
            todo.append(
                (
                    site.expanded,
                    ref,
                    match,
                    fr.file.shown,
                    (line, col, end_line, end_col),
                    site.raw,
                    fr.file.settings,
                )
            )
    if settings_seen is None:
        print(
            "hardpin: --verify: no [tool.hardpin.verify] policy applies to the files checked",
            file=sys.stderr,
        )
    if not todo:
        return []
    online, verifier = _verifier(settings_seen, args)
    out: list[Finding] = []
    done: dict[tuple[str, str, tuple[str, ...]], ImageResult] = {}
    try:
        _load_keys(verifier, [p for t in todo for p in t[2]])
        for shown_ref, ref, wanted, path, (line, col, el, ec), raw, settings in todo:
            k = (ref.name, str(ref.digest), tuple(p.origin for p in wanted))
            res = done.get(k)
            if res is None:
                res = done[k] = verifier.verify(ref, wanted, shown_ref)
            for f in _findings_of(res, path, line, col, (el, ec), raw):
                # --select/--ignore, per-file-ignores and [severity] apply as to any rule
                if settings.is_enabled(f.code, path):
                    severity = settings.severity_for(f.code, f.severity)
                    out.append(replace(f, severity=severity) if severity != f.severity else f)
    finally:
        online.close()
    return out


# -- hardpin sbom ---------------------------------------------------------------------


def _sbom(args: argparse.Namespace) -> int:
    from hardpin.files import SkippedFile, read_bytes
    from hardpin.output.text import one_line
    from hardpin.verify.sbom import MAX_SBOM, check_bytes

    if args.minimum_packages is not None and args.minimum_packages < 0:
        raise HardpinError("--minimum-packages must be 0 or more")
    rows: list[dict[str, Any]] = []
    findings: list[Finding] = []
    for path in args.files:
        try:
            data = read_bytes(path, MAX_SBOM)
        except SkippedFile as exc:
            raise HardpinError(str(exc)) from None
        except OSError as exc:
            raise HardpinError(f"{path}: cannot read: {exc.strerror or exc}") from None
        report = check_bytes(data)
        problems = list(report.problems)
        if report.valid and report.packages == 0:
            problems.append("empty: the SBOM lists no packages")
        elif (
            report.valid
            and args.minimum_packages is not None
            and report.packages < args.minimum_packages
        ):
            problems.append(
                f"lists {report.packages} packages, fewer than --minimum-packages {args.minimum_packages}"
            )
        rows.append(
            {
                "path": path,
                "format": report.format,
                "version": report.version or None,
                "packages": report.packages if report.supported else None,
                "valid": not problems,
                "supported": report.supported,
                "problems": problems,
            }
        )
        if problems:
            findings.append(
                Finding(
                    code="HP606",
                    name=NAMES["HP606"],
                    severity=Severity.ERROR,
                    message=f"{report.describe() or 'not an SBOM'}: " + "; ".join(problems[:5]),
                    path=path,
                    line=1,
                    column=1,
                    end_line=1,
                    end_column=1,
                    subject=path,
                )
            )
    if args.format == "json":
        import json

        sys.stdout.write(json.dumps({"files": rows}, indent=2) + "\n")
    elif args.format in ("sarif", "github"):
        from hardpin.output import render

        render(
            args.format,
            findings,
            stream=sys.stdout,
            rules=_rules_for(["HP606"]),
            root=os.getcwd(),
            files_checked=len(rows),
        )
    else:
        for row in rows:
            what = f"{row['format']} {row['version'] or ''}".strip()
            if row["valid"]:
                sys.stdout.write(
                    one_line(f"{row['path']}: {what}, {row['packages']} packages, valid") + "\n"
                )
            else:
                count = f", {row['packages']} packages" if row["packages"] is not None else ""
                sys.stdout.write(one_line(f"{row['path']}: {what}{count}: HP606") + "\n")
                for problem in row["problems"]:
                    sys.stdout.write("  " + one_line(problem) + "\n")
    return EXIT_FAILED if findings else EXIT_OK


# -- hardpin policy kyverno -----------------------------------------------------------


def _kyverno(args: argparse.Namespace) -> int:
    from hardpin.verify.kyverno import cluster_policy

    settings = _settings(args.config)
    policies = config_policies(settings)
    if not policies:
        raise HardpinError(
            "no [tool.hardpin.verify] policy in "
            + (args.config or "the nearest config file")
            + ": nothing to translate"
        )
    sys.stdout.write(cluster_policy(policies, name=args.name))
    return EXIT_OK
