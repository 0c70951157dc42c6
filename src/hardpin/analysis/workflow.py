"""Where the YAML kinds name actions, images and hook repositories.

One walk per kind of file, shared by the HP5xx rules: the `uses:` of GitHub
workflow steps, reusable-workflow jobs and composite-action steps; container
images of workflows, actions, GitLab CI, compose files and Kubernetes objects;
the hook repositories of a pre-commit configuration. Every site keeps its node,
so a rule reports at the exact position and a fix edits the exact span.
"""

from __future__ import annotations

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.analysis import yamldoc as y

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from yaml.nodes import Node

    from hardpin.context import RuleContext
    from hardpin.parsers.shell import Command

SHA_RE = lazy_re(r"[0-9a-fA-F]{40}")
DIGEST_RE = lazy_re(r"@sha256:[0-9a-f]{64}$")
# a version comment after a pinned `uses:` (`# v4.1.1`, `# tag=v4`, `# ratchet:o/r@v4`)
VERSION_COMMENT_RE = lazy_re(
    r"^(?:ratchet:[^@\s]+@(?P<ratchet>\S+)|(?:tag=|pin @|frozen:\s*)?(?P<tag>v?\d[\w.+-]*|[\w.+-]*\d[\w.+-]*))\s*$"
)


@record
class Uses:
    """A `uses:` value: step (`step`), reusable workflow (`job`)."""

    node: Node
    value: str
    where: str  # "step" or "job"


def documents(ctx: RuleContext) -> list[Node]:
    """The non-empty documents of a YAML file."""
    return [d for d in ctx.doc.docs if d is not None]  # type: ignore[attr-defined]


def _steps(root: Node) -> list[Node]:
    """The steps of every job of a workflow, or of a composite action (`runs.steps`)."""
    out: list[Node] = []
    for _name, _k, job in y.items(y.get(root, "jobs")):
        out += y.seq(y.get(job, "steps"))
    out += y.seq(y.get(y.get(root, "runs"), "steps"))
    return y.unique(out)


def jobs(root: Node) -> list[tuple[str, Node]]:
    return [(name, job) for name, _k, job in y.items(y.get(root, "jobs")) if y.is_map(job)]


def uses_sites(ctx: RuleContext) -> list[Uses]:
    """Every scalar `uses:` of steps and jobs, in document order."""
    seen: set[int] = set()
    out: list[Uses] = []
    for root in documents(ctx):
        for _name, job in jobs(root):
            n = y.get(job, "uses")
            if n is not None and y.scalar(n) is not None and id(n) not in seen:
                seen.add(id(n))
                out.append(Uses(n, n.value, "job"))
        for step in _steps(root):
            n = y.get(step, "uses")
            if n is not None and y.scalar(n) is not None and id(n) not in seen:
                seen.add(id(n))
                out.append(Uses(n, n.value, "step"))
    out.sort(key=lambda u: y.start(u.node))
    return out


@record
class Action:
    """`owner/repo[/path]@ref` split up."""

    owner: str
    repo: str
    path: str
    ref: str
    ref_start: int  # offset of `ref` inside the value


def parse_action(value: str) -> Action | None:
    """`owner/repo[/path]@ref`, or None when `value` is not of that form."""
    name, at, ref = value.rpartition("@")
    if not at or not name or not ref:
        return None
    parts = name.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        return None
    return Action(parts[0], parts[1], "/".join(parts[2:]), ref, len(name) + 1)


def is_sha(ref: str) -> bool:
    return len(ref) == 40 and SHA_RE.fullmatch(ref) is not None


def version_comment(comment: str) -> str | None:
    """The tag a comment after a `uses:` or `rev:` names: `v4.1.1`, `tag=v4`,
    `frozen: v1.2.3`, `ratchet:owner/repo@v4`; None for any other comment."""
    m = VERSION_COMMENT_RE.match(comment.strip())
    if m is None:
        return None
    tag: str | None = m.group("ratchet") or m.group("tag")
    return tag


# -- images -------------------------------------------------------------------


@record
class ImageSite:
    """A container image named in a YAML file."""

    node: Node
    value: str  # as written (without `docker://`)
    offset: int  # where `value` starts inside the scalar's value (after `docker://`)
    where: str  # for messages: "job container", "service", "container", ...


def _image_node(n: Node | None, where: str, key: str = "image") -> ImageSite | None:
    """A scalar image, or the `key` of a mapping (`container: {image: …}`)."""
    if n is not None and y.is_map(n):
        n = y.get(n, key)
    v = y.scalar(n)
    if n is None or v is None or not v.strip():
        return None
    return ImageSite(n, v, 0, where)


def workflow_images(ctx: RuleContext, docker_uses: bool = True) -> list[ImageSite]:
    """jobs.*.container (string or map), jobs.*.services.*.image, `uses: docker://`
    of steps, and an action's `runs.image`."""
    out: list[ImageSite] = []
    for root in documents(ctx):
        for _name, job in jobs(root):
            s = _image_node(y.get(job, "container"), "job container")
            if s is not None:
                out.append(s)
            for _sname, _k, svc in y.items(y.get(job, "services")):
                s = _image_node(svc, "service container")
                if s is not None:
                    out.append(s)
        runs = y.get(root, "runs")
        img = y.get(runs, "image")
        v = y.scalar(img)
        if v is not None and v.startswith("docker://"):
            out.append(ImageSite(img, v[9:], 9, "action"))  # type: ignore[arg-type]
    if docker_uses:
        for u in uses_sites(ctx):
            if u.value.startswith("docker://"):
                out.append(ImageSite(u.node, u.value[9:], 9, "docker:// action"))
    return _sorted_unique(out)


_GITLAB_NOT_JOBS = frozenset(
    {"stages", "variables", "include", "workflow", "cache", "before_script", "after_script"}
)


def gitlab_images(ctx: RuleContext) -> list[ImageSite]:
    """`.gitlab-ci.yml`: `image:` (a string or `{name: …}`) and `services:` (strings
    or `{name: …}`), at the top level, under `default:` and in every job."""
    out: list[ImageSite] = []
    for root in documents(ctx):
        holders = [root] + [
            v for k, _kn, v in y.items(root) if k not in _GITLAB_NOT_JOBS and y.is_map(v)
        ]
        for h in y.unique(holders):
            s = _image_node(y.get(h, "image"), "job", "name")
            if s is not None:
                out.append(s)
            for svc in y.seq(y.get(h, "services")):
                s = _image_node(svc, "service", "name")
                if s is not None:
                    out.append(s)
    return _sorted_unique(out)


def compose_images(ctx: RuleContext) -> list[ImageSite]:
    """`services.*.image` of services that do not `build:` their image."""
    out: list[ImageSite] = []
    for root in documents(ctx):
        for _name, _k, svc in y.items(y.get(root, "services")):
            if y.get(svc, "build") is not None:
                continue
            s = _image_node(y.get(svc, "image"), "service")
            if s is not None:
                out.append(s)
    return _sorted_unique(out)


_CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def kubernetes_images(ctx: RuleContext) -> list[ImageSite]:
    """The images of containers, initContainers and ephemeralContainers anywhere in a
    document with `apiVersion` and `kind` (Pod, workloads, pod templates, CronJob's
    job template, and custom resources that embed pod specs)."""
    out: list[ImageSite] = []
    seen: set[int] = set()
    for root in documents(ctx):
        if y.get(root, "apiVersion") is None or y.get(root, "kind") is None:
            continue
        stack = [root]
        while stack:
            n = stack.pop()
            if id(n) in seen:
                continue
            seen.add(id(n))
            if y.is_map(n):
                for key, _k, v in y.items(n):
                    if key in _CONTAINER_LISTS and y.is_seq(v):
                        for c in y.seq(v):
                            s = _image_node(y.get(c, "image"), key[:-1])
                            if s is not None:
                                out.append(s)
                    if not y.is_scalar(v):
                        stack.append(v)
            elif y.is_seq(n):
                stack.extend(x for x in n.value if not y.is_scalar(x))
    return _sorted_unique(out)


def _sorted_unique(sites: list[ImageSite]) -> list[ImageSite]:
    seen: set[int] = set()
    out = []
    for s in sites:
        if id(s.node) not in seen:
            seen.add(id(s.node))
            out.append(s)
    out.sort(key=lambda s: y.start(s.node))
    return out


def is_expression(value: str) -> bool:
    """Whether an image is assembled from variables (`${{ … }}`, `${VAR}`, `$(VAR)`)."""
    return "${" in value or "$(" in value or "{{" in value


def report_images(ctx: RuleContext, rule: object, sites: list[ImageSite]) -> None:
    """Report every image of `sites` not pinned by digest, with the registry lookup
    that pins it (`name:tag@sha256:…`, the digest of the tag's index) where the value
    can be edited in place."""
    from hardpin.model import FixAvailability, ImageKey, Pending
    from hardpin.refs import InvalidReference, digest_problem, parse_image

    text = ctx.source.text
    for site in _with_expression_literals(sites):
        v = site.value.strip()
        start, end = y.span(text, site.node)
        if is_expression(v):
            if DIGEST_RE.search(v) or v.startswith(("${", "$(", "{{")) and _one_expression(v):
                continue  # the whole reference is a variable: pinned where it is set
            ctx.report(
                rule,  # type: ignore[arg-type]
                start,
                end,
                f"{site.where} image {v} is assembled from variables and not pinned by "
                "digest; pin it by hand (`name:tag@sha256:<digest>`)",
                subject=v,
                availability=FixAvailability.NONE,
            )
            continue
        try:
            ref = parse_image(v)
        except InvalidReference as exc:
            ctx.report(
                rule,  # type: ignore[arg-type]
                start,
                end,
                f"{site.where} image {v!r} is not a valid image reference ({exc}), "
                "so it cannot be pinned",
                subject=v,
                availability=FixAvailability.NONE,
            )
            continue
        if ref.digest is not None and ref.digest_ok:
            continue
        span = y.value_span(text, site.node)
        pending = None
        name = f"{ref.registry}/{ref.repository}:{ref.tag or 'latest'}"
        if span is not None and site.value == v and not is_expression(text[span[0] : span[1]]):
            if ref.digest is None:
                at = span[0] + site.offset + len(v)
                pending = Pending(ImageKey(name), at, at, prefix="@" if ref.tag else ":latest@")
            elif ref.tag:
                i = span[0] + site.offset + v.rindex("@") + 1
                pending = Pending(ImageKey(name), i, span[0] + site.offset + len(v))
        if ref.digest is None:
            msg = (
                f"{site.where} image {ref.familiar} is not pinned by digest; pin it as "
                f"{ref.familiar}@sha256:<digest> "
                f"({'fixable with network' if pending else 'pin it by hand'})"
            )
        else:
            msg = (
                f"{site.where} image {v} has a malformed digest, which is not a pin: "
                f"{digest_problem(ref.digest)}"
            )
        ctx.report(
            rule,  # type: ignore[arg-type]
            start,
            end,
            msg,
            subject=v,
            pending=pending,
            availability=None if pending else FixAvailability.NONE,
        )


_LITERAL_RE = lazy_re(r"'((?:[^']|'')*)'")


def _with_expression_literals(sites: list[ImageSite]) -> list[ImageSite]:
    """`sites`, where an image that is one `${{ … }}` expression is replaced by the
    image names its string literals give (`${{ cond && 'postgres:17' || '' }}`:
    postgres:17), each at its own offset, so they are checked (and pinned) too."""
    out: list[ImageSite] = []
    for site in sites:
        v = site.value
        if not (v.startswith("${{") and _one_expression(v.strip())):
            out.append(site)
            continue
        for m in _LITERAL_RE.finditer(v):
            lit = m.group(1)
            if lit.strip() and "''" not in lit and " " not in lit and ("/" in lit or ":" in lit):
                out.append(ImageSite(site.node, lit, site.offset + m.start(1), site.where))
    return out


def _one_expression(v: str) -> bool:
    """`${VAR}`, `${{ matrix.image }}` or `$(VAR)` and nothing else."""
    closing = {"${{": "}}", "${": "}", "$(": ")", "{{": "}}"}
    for opener in ("${{", "${", "$(", "{{"):
        if v.startswith(opener):
            close = closing[opener]
            return v.endswith(close) and v.find(close, len(opener)) == len(v) - len(close)
    return False


def precommit_repos(ctx: RuleContext) -> list[tuple[str, Node, Node | None]]:
    """(repo URL, its `repo:` node, its `rev:` node or None) of every hook repository
    of a pre-commit configuration other than `local` and `meta`."""
    out: list[tuple[str, Node, Node | None]] = []
    for root in documents(ctx):
        for r in y.unique(y.seq(y.get(root, "repos"))):
            repo = y.get(r, "repo")
            url = y.scalar(repo)
            if repo is None or url is None or url in ("local", "meta"):
                continue
            out.append((url, repo, y.get(r, "rev")))
    return out


def image_sites(ctx: RuleContext) -> list[ImageSite]:
    """Every image site of a YAML file of any kind (for the online checks)."""
    if ctx.kind == "gitlab-ci":
        return gitlab_images(ctx)
    if ctx.kind == "compose":
        return compose_images(ctx)
    if ctx.kind == "kubernetes":
        return kubernetes_images(ctx)
    if ctx.kind in ("workflow", "action"):
        return workflow_images(ctx)
    return []


def pinned_commits(ctx: RuleContext) -> list[tuple[str, str, str, int, int]]:
    """(repository URL, tag, pinned SHA, start and end of the SHA) of every action
    `uses:` pinned to a commit with a version comment after it (`# v4.1.1`,
    `# ratchet:owner/repo@v4`), and of every pre-commit `rev:` pinned to a commit with
    a `# frozen: <tag>` (or version) comment: what `hardpin update` follows."""
    text = ctx.source.text
    out: list[tuple[str, str, str, int, int]] = []
    if ctx.kind == "pre-commit":
        for url, _repo, rev in precommit_repos(ctx):
            v = y.scalar(rev)
            span = None if rev is None else y.value_span(text, rev)
            if rev is None or v is None or span is None or not is_sha(v):
                continue
            com = y.trailing_comment(text, y.end(rev))
            tag = None if com is None else version_comment(com[2])
            if tag:
                out.append((url, tag, v, span[0], span[1]))
        return out
    base = ctx.settings.get("github-url")
    base_url = (base if isinstance(base, str) and base else "https://github.com").rstrip("/")
    for u in uses_sites(ctx):
        act = parse_action(u.value)
        span = y.value_span(text, u.node)
        if act is None or span is None or not is_sha(act.ref):
            continue
        com = y.trailing_comment(text, y.end(u.node))
        tag = None if com is None else version_comment(com[2])
        if tag:
            url = f"{base_url}/{act.owner}/{act.repo}"
            out.append((url, tag, act.ref, span[1] - len(act.ref), span[1]))
    return out


# -- `run:` steps ------------------------------------------------------------------

POSIX_SHELLS = frozenset({"bash", "sh"})
_EXPR_RE = lazy_re(r"\$\{\{.*?\}\}", 16)  # re.DOTALL


def shell_of(step: Node, job: Node | None, root: Node) -> str | None:
    """The shell a `run:` step runs in (`shell:` of the step, else the job's and then
    the workflow's `defaults.run.shell`, else bash — pwsh on a Windows runner), as its
    first word; None when it cannot be known (an expression)."""
    for holder in (
        step,
        y.get(y.get(job, "defaults"), "run"),
        y.get(y.get(root, "defaults"), "run"),
    ):
        v = y.scalar(y.get(holder, "shell"))
        if v is not None:
            if "${{" in v:
                return None
            words = v.split()
            return words[0].rsplit("/", 1)[-1] if words else None
    runs_on = y.get(job, "runs-on")
    labels = [y.scalar(runs_on)] + [y.scalar(n) for n in y.seq(runs_on)]
    if any(lbl is not None and "windows" in lbl.lower() for lbl in labels):
        return "pwsh"
    return "bash"


def block_offsets(text: str, node: Node) -> list[int] | None:
    """The source offset of every character of a scalar's value (and one past its
    end): exact for plain and quoted one-line scalars without escapes and for literal
    block scalars (`|`, `|-`, `|+`); None for anything else (folded, escapes)."""
    value: str = node.value
    one = y.value_span(text, node)
    if one is not None:
        return list(range(one[0], one[1] + 1))
    if getattr(node, "style", None) != "|":
        return None
    s, e = y.span(text, node)
    nl = text.find("\n", s)
    if nl == -1 or nl >= e:
        return None
    pos = nl + 1
    lines: list[tuple[int, int]] = []  # (start, end) of each content line, before its break
    while pos < e:
        nxt = text.find("\n", pos)
        stop = e if nxt == -1 or nxt >= e else nxt
        line_end = stop - 1 if stop > pos and text[stop - 1] == "\r" else stop
        lines.append((pos, line_end))
        pos = stop + 1
    # the first content line's indentation (with an explicit indentation indicator,
    # spaces beyond it are content: the comparison with the value below refuses that)
    widths = [
        (ln_e - ln_s) - len(text[ln_s:ln_e].lstrip(" "))
        for ln_s, ln_e in lines
        if text[ln_s:ln_e].strip(" ")
    ]
    if not widths:
        return None
    # with an indentation indicator (`|2`) spaces beyond the indentation are content:
    # the value's own first non-empty line says how many
    first = next((ln for ln in value.split("\n") if ln.strip(" ")), "")
    indent = widths[0] - (len(first) - len(first.lstrip(" ")))
    out: list[int] = []
    parts: list[str] = []
    for ln_s, ln_e in lines:
        body_start = min(ln_s + indent, ln_e)
        out.extend(range(body_start, ln_e + 1))  # the characters, then the line break
        parts.append(text[body_start:ln_e])
    rebuilt = "\n".join(parts) + "\n"
    if not rebuilt.startswith(value.rstrip("\n")) or len(value) > len(rebuilt) + 1:
        return None
    del out[len(value) :]
    end_off = out[-1] + 1 if out else s
    while len(out) < len(value) + 1:
        out.append(end_off)
    return out


def opaque_expressions(script: str) -> str:
    """`script` with each `${{ … }}` replaced by a variable reference of the same length
    (`$____…`): an opaque word whose value is unknown, at the same offsets."""
    if "${{" not in script:
        return script
    out: str = _EXPR_RE.sub(lambda m: "$" + "_" * (len(m.group(0)) - 1), script)
    return out


@record
class RunStep:
    """A `run:` step: its scalar, shell, job (None in a composite action) and document;
    `commands` when its shell is bash or sh and it lexes (else `error`, or neither when
    its text cannot be mapped to the file character by character)."""

    node: Node
    shell: str | None
    job: Node | None
    root: Node
    commands: list[Command] | None = None
    error: tuple[str, int] | None = None


def run_steps(ctx: RuleContext) -> list[RunStep]:
    """Every `run:` step of the document, its POSIX shell parsed once (cached)."""
    return ctx.cached("workflow_run_steps", lambda: _run_steps(ctx))


def _run_steps(ctx: RuleContext) -> list[RunStep]:
    from hardpin.analysis.shell import expand_sh_c
    from hardpin.parsers.shell import ShellSyntaxError, parse_commands

    text = ctx.source.text
    out: list[RunStep] = []
    seen: set[int] = set()
    for root in documents(ctx):
        groups: list[tuple[Node | None, list[Node]]] = [
            (job, y.seq(y.get(job, "steps"))) for _n, job in jobs(root)
        ]
        groups.append((None, y.seq(y.get(y.get(root, "runs"), "steps"))))
        for job, steps in groups:
            for step in steps:
                run = y.get(step, "run")
                if run is None or y.scalar(run) is None or id(run) in seen:
                    continue
                seen.add(id(run))
                rs = RunStep(run, shell_of(step, job, root), job, root)
                out.append(rs)
                if rs.shell not in POSIX_SHELLS:
                    continue
                offsets = block_offsets(text, run)
                if offsets is None:
                    continue
                try:
                    cmds = parse_commands(opaque_expressions(run.value), offsets)
                    rs.commands = expand_sh_c(cmds)
                except ShellSyntaxError as exc:
                    rs.error = (
                        f"cannot parse the shell of this run step: {exc.message}",
                        exc.offset,
                    )
    out.sort(key=lambda r: y.start(r.node))
    return out


def run_units(ctx: RuleContext) -> tuple[list[object], list[tuple[str, int]]]:
    """The shell units of the `run:` steps whose shell is bash or sh, and the syntax
    errors of those that do not lex ((message, offset)). A step whose text cannot be
    mapped to the file character by character (a folded scalar, escapes) is skipped."""
    from hardpin.analysis.shell import Unit

    steps = run_steps(ctx)
    units: list[object] = [Unit(r.commands) for r in steps if r.commands is not None]
    return units, [r.error for r in steps if r.error is not None]
