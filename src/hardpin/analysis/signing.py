"""Publishing, signing, SBOMs and signature checks in workflows and Kyverno policies.

What HP504-HP508 share: per job of a workflow (or a composite action), the steps that
publish a container image, sign one, produce an SBOM, and the `cosign` calls with
their options; the `id-token` permission of a job; how broad a certificate
identity pattern is; the verifyImages rules of Kyverno policies.
"""

from __future__ import annotations

from hardpin._record import record
from hardpin.analysis import yamldoc as y
from hardpin.analysis.workflow import documents, jobs, run_steps

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from yaml.nodes import Node

    from hardpin.context import RuleContext
    from hardpin.parsers.shell import Command, ShWord


@record
class Event:
    """Something a step does: `what` is publish, sign, sbom, keyless (a keyless cosign
    sign/attest), verify (a `cosign verify*`, with its options in `options`)."""

    what: str
    start: int
    end: int
    label: str
    options: dict[str, str | None]


@record
class Job:
    name: str
    node: Node | None  # None: the steps of a composite action
    root: Node
    events: list[Event]


def _true(n: Node | None) -> bool:
    v = y.scalar(n)
    return v is not None and (v.strip().lower() in ("true", "yes", "on") or "${{" in v)


def _uses_events(text: str, step: Node) -> list[Event]:
    u = y.get(step, "uses")
    v = y.scalar(u)
    if u is None or v is None:
        return []
    name = v.split("@", 1)[0].lower()
    s, e = y.span(text, u)
    with_ = y.get(step, "with")
    out: list[Event] = []

    def ev(what: str) -> None:
        out.append(Event(what, s, e, name, {}))

    if name in ("docker/build-push-action", "docker/bake-action"):
        if _true(y.get(with_, "push")):
            ev("publish")
            if _true(y.get(with_, "sbom")):
                ev("sbom")
    elif name in ("redhat-actions/push-to-registry",):
        ev("publish")
    elif name in ("anchore/sbom-action", "actions/attest-sbom"):
        ev("sbom")
        if name == "actions/attest-sbom":
            ev("sign")
    elif name in ("actions/attest-build-provenance", "actions/attest"):
        ev("sign")
    elif name.startswith("slsa-framework/slsa-github-generator/"):
        ev("sign")
    return out


def _option_map(words: list[str]) -> dict[str, str | None]:
    """`--name=value`, `--name value` (when the next word is not an option) and flags."""
    out: dict[str, str | None] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("-"):
            name, eq, val = w.partition("=")
            name = "--" + name.lstrip("-")
            if eq:
                out[name] = val
            elif i + 1 < len(words) and not words[i + 1].startswith("-"):
                out[name] = words[i + 1]
                i += 1
            else:
                out[name] = None
        i += 1
    return out


_PUSH_TOOLS = frozenset({"docker", "podman", "buildah", "nerdctl"})


def _command_events(argv: list[ShWord]) -> list[Event]:
    from hardpin.analysis.shell import exe_name

    words = [w.value for w in argv]
    exe = exe_name(words[0])
    args = words[1:]
    s, e = argv[0].start, argv[-1].end
    out: list[Event] = []

    def ev(what: str, label: str, options: dict[str, str | None] | None = None) -> None:
        out.append(Event(what, s, e, label, options or {}))

    first = args[0] if args else ""
    rest = args[1:]
    joined = " ".join(args)
    if exe in _PUSH_TOOLS:
        if first == "push" or (first == "image" and rest[:1] == ["push"]):
            ev("publish", f"{exe} push")
        elif first == "buildx" and rest[:1] in (["build"], ["bake"]):
            if "--push" in rest or "type=registry" in joined or "push=true" in joined:
                ev("publish", f"docker buildx {rest[0]} --push")
            if "--sbom=true" in rest or "type=sbom" in joined or "--sbom" in rest:
                ev("sbom", "docker buildx --sbom")
        elif first == "build" and "--push" in rest:
            ev("publish", f"{exe} build --push")
    elif exe == "ko" and first in ("build", "publish", "resolve", "apply", "create"):
        if "--push=false" not in rest and "--local" not in rest and "-L" not in rest:
            ev("publish", f"ko {first}")
    elif exe in ("mvn", "mvnw", "gradle", "gradlew") and any(
        a.startswith("jib") or ":jib" in a or a.endswith(":build") and "jib" in a for a in args
    ):
        if not any("dockerBuild" in a or "buildTar" in a for a in args):
            ev("publish", "jib")
    elif exe in ("crane", "gcrane") and first in ("push", "copy", "cp", "append"):
        ev("publish", f"{exe} {first}")
    elif exe == "skopeo" and first == "copy" and any(a.startswith("docker://") for a in rest[1:]):
        ev("publish", "skopeo copy")
    elif exe in ("cosign",):
        opts = _option_map(rest)
        if first in ("sign", "attest"):
            ev("sign", f"cosign {first}")
            keyed = any(k in opts for k in ("--key", "--sk", "--slot"))
            if not keyed:
                ev("keyless", f"cosign {first}", opts)
            if first == "attest" and (opts.get("--type") or "").lower() in (
                "spdx",
                "spdxjson",
                "cyclonedx",
            ):
                ev("sbom", f"cosign attest --type {opts.get('--type')}")
        elif first.startswith("verify"):
            ev("verify", f"cosign {first}", opts)
    elif exe == "notation" and first == "sign":
        ev("sign", "notation sign")
    elif exe == "syft":
        ev("sbom", "syft")
    elif exe == "trivy" and any(f in joined for f in ("cyclonedx", "spdx")):
        ev("sbom", "trivy sbom")
    return out


def _run_events(commands: list[Command]) -> list[Event]:
    from hardpin.analysis.shell import argv

    out: list[Event] = []
    for cmd in commands:
        words = argv(cmd)
        if words:
            out += _command_events(words)
    return out


def unmatched_publishes(ctx: RuleContext, what: str) -> list[tuple[Job, Event]]:
    """The image publishes of the workflow when no step anywhere in it does `what`
    (sign, sbom): HP504's and HP505's one question, asked of different events."""
    all_jobs = workflow_jobs(ctx)
    if any(e.what == what for j in all_jobs for e in j.events):
        return []
    return [(job, e) for job in all_jobs for e in job.events if e.what == "publish"]


def workflow_jobs(ctx: RuleContext) -> list[Job]:
    """Every job (and a composite action's steps) with what its steps do, computed once."""

    def compute() -> list[Job]:
        text = ctx.source.text
        by_node = {id(r.node): r.commands for r in run_steps(ctx) if r.commands}
        out: list[Job] = []
        for root in documents(ctx):
            groups: list[tuple[str, Node | None, list[Node]]] = [
                (name, job, y.seq(y.get(job, "steps"))) for name, job in jobs(root)
            ]
            steps = y.seq(y.get(y.get(root, "runs"), "steps"))
            if steps:
                groups.append(("(composite action)", None, steps))
            for name, job, st in groups:
                events: list[Event] = []
                if job is not None:
                    events += _uses_events(text, job)  # a reusable workflow (SLSA generator)
                for step in st:
                    events += _uses_events(text, step)
                    run = y.get(step, "run")
                    commands = None if run is None else by_node.get(id(run))
                    if commands:
                        events += _run_events(commands)
                out.append(Job(name, job, root, events))
        return out

    return ctx.cached("workflow_jobs", compute)


def id_token_write(job: Job) -> bool | None:
    """Whether the job's token may request an OIDC token (`id-token: write` or
    `write-all`, in the job's `permissions`, else the workflow's); None for a
    composite action (its caller decides)."""
    if job.node is None:
        return None
    perms = y.get(job.node, "permissions")
    if perms is None:
        perms = y.get(job.root, "permissions")
    if perms is None:
        return False
    v = y.scalar(perms)
    if v is not None:
        return v.strip() == "write-all" or "${{" in v
    tok = y.scalar(y.get(perms, "id-token"))
    return tok is not None and tok.strip() == "write"


# -- identity patterns ------------------------------------------------------------

_ANY = frozenset({".*", ".+", "^.*$", "^.+$", "^.*", "^.+", ".*$", ".+$", "(.*)", "^(.*)$"})
_META = frozenset("\\.^$*+?()[]{}|")


def broad_identity(pattern: str) -> str | None:
    """Why a certificate identity regular expression accepts signers it should not
    (None when it is narrow enough): it matches everything, it is not anchored with
    `^` (Go's regexp matches anywhere in the identity), or the fixed text after `^`
    names no more than a host (`^https://github.com/.*`: any repository)."""
    p = pattern.strip()
    if not p or p in _ANY:
        return "it matches every identity"
    if not p.startswith("^"):
        return "it is not anchored with `^`, so it matches anywhere inside an identity"
    literal = []
    i = 1
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            literal.append(p[i + 1])
            i += 2
            continue
        if c == "." and p[i + 1 : i + 2] not in ("*", "+", "?", "{"):
            literal.append(c)  # `github.com`: a dot that stands for one character
            i += 1
            continue
        if c in _META:
            break
        literal.append(c)
        i += 1
    fixed = "".join(literal)
    if i >= len(p):
        return None  # no pattern at all after the literal text
    scheme, sep, rest = fixed.partition("://")
    path = rest if sep else fixed
    host, slash, owner_path = path.partition("/")
    if not slash or not owner_path.strip("/"):
        return f"its fixed part {fixed!r} names no repository or account, only a host"
    return None


# -- Kyverno ------------------------------------------------------------------------


def kyverno_policies(ctx: RuleContext) -> list[Node]:
    """The Kyverno ClusterPolicy and Policy documents."""
    out = []
    for root in documents(ctx):
        kind = y.scalar(y.get(root, "kind"))
        api = y.scalar(y.get(root, "apiVersion")) or ""
        if kind in ("ClusterPolicy", "Policy") and api.startswith("kyverno.io/"):
            out.append(root)
    return out


def verify_images(policy: Node) -> list[tuple[Node, Node]]:
    """(rule, verifyImages entry) of a policy's rules."""
    out: list[tuple[Node, Node]] = []
    for rule in y.seq(y.get(y.get(policy, "spec"), "rules")):
        for entry in y.seq(y.get(rule, "verifyImages")):
            out.append((rule, entry))
    return out


def keyless_entries(entry: Node) -> list[Node]:
    """The `keyless` maps of a verifyImages entry's attestors (and attestations')."""
    out: list[Node] = []
    holders = [entry] + [a for a in y.seq(y.get(entry, "attestations"))]
    for h in holders:
        for att in y.seq(y.get(h, "attestors")):
            for ent in y.seq(y.get(att, "entries")):
                k = y.get(ent, "keyless")
                if k is not None and y.is_map(k):
                    out.append(k)
    return y.unique(out)
