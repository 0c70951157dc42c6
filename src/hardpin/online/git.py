"""Tags and branches of a git repository, with `git ls-remote`.

`refs(url)` runs `git ls-remote --tags --heads -- URL` (no clone, no token, no API
rate limit) under a deadline and an output cap, and gives {ref name: commit}, where
an annotated tag is peeled to the commit it names (the `^{}` line): pinning the tag
object's SHA would break `uses:`. `resolve(refs, ref)` is the commit a tag or branch
names, `best_tag(refs, sha, ref)` the most specific tag naming that commit
(`v4.1.1` for `v4`).

The URL comes from a file being linted, so it is treated as hostile: only https,
http, ssh, git and file URLs (and scp-like `user@host:path`), never an option (the
`--` ends them) and never another transport (`protocol.allow=never` with only those
allowed); no terminal prompt and no SSH password prompt, so a private repository
fails at once instead of waiting for input. Errors show the URL without its
credentials.
"""

from __future__ import annotations

import os
import subprocess

from hardpin.model import HardpinError
from hardpin.urls import display_url, redact_text

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from collections.abc import Mapping

MAX_OUTPUT = 16 << 20  # bytes of `git ls-remote` output read at most
_SCHEMES = ("https://", "http://", "ssh://", "git://", "file://")
_PROTOCOLS = ("https", "http", "ssh", "git", "file")


class GitError(HardpinError):
    """A one-line reason a repository could not be asked."""


def _check_url(url: str) -> None:
    if url.startswith(_SCHEMES):
        return
    user_host, colon, path = url.partition(":")
    if colon and path and "@" in user_host and "/" not in user_host and not url.startswith("-"):
        return  # scp-like git@github.com:owner/repo
    raise GitError(f"{display_url(url)}: not a repository URL hardpin asks (https, ssh, git, file)")


def ls_remote(
    url: str,
    *,
    timeout: float = 30.0,
    max_bytes: int = MAX_OUTPUT,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The output of `git ls-remote --tags --heads -- url` (raises GitError)."""
    import threading

    _check_url(url)
    env = dict(os.environ if environ is None else environ)
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GCM_INTERACTIVE="never",
        GIT_SSH_COMMAND=env.get("GIT_SSH_COMMAND") or "ssh -o BatchMode=yes",
        LC_ALL="C",
    )
    cmd = ["git", "-c", "protocol.allow=never"]
    for proto in _PROTOCOLS:
        cmd += ["-c", f"protocol.{proto}.allow=always"]
    cmd += ["ls-remote", "--tags", "--heads", "--", url]
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except OSError as exc:
        raise GitError(f"cannot run git ({exc.strerror or exc}): is git installed?") from None
    timer = threading.Timer(timeout, proc.kill)
    timer.daemon = True
    timer.start()
    chunks: list[bytes] = []
    size = 0
    too_large = False
    err = b""
    try:
        assert proc.stdout is not None and proc.stderr is not None
        fd = proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                too_large = True
                proc.kill()
                break
            chunks.append(chunk)
        err = proc.stderr.read(1 << 16)
        rc = proc.wait()
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    where = display_url(url)
    if too_large:
        raise GitError(f"{where}: git ls-remote sent more than {max_bytes} bytes")
    if rc != 0:
        if rc < 0 and not err:
            raise GitError(f"{where}: git ls-remote took longer than {timeout:g} s")
        lines = [ln.strip() for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
        why = lines[-1] if lines else f"exit status {rc}"
        raise GitError(f"{where}: git ls-remote failed: {redact_text(why)[:300]}")
    return b"".join(chunks).decode("utf-8", "replace")


def parse_refs(output: str) -> dict[str, str]:
    """{ref: commit} from `git ls-remote` output; an annotated tag's `^{}` line (the
    commit it names) replaces the tag object's SHA. Lines that are not `<40 hex>\\t<ref>`
    are ignored."""
    refs: dict[str, str] = {}
    peeled: dict[str, str] = {}
    for line in output.splitlines():
        sha, tab, ref = line.partition("\t")
        sha = sha.strip().lower()
        if not tab or len(sha) != 40 or any(c not in "0123456789abcdef" for c in sha):
            continue
        ref = ref.strip()
        if ref.endswith("^{}"):
            peeled[ref[:-3]] = sha
        else:
            refs[ref] = sha
    refs.update(peeled)
    return refs


def resolve(refs: Mapping[str, str], ref: str) -> str | None:
    """The commit `ref` names: a tag first (as git and GitHub Actions look), then a
    branch, then a full `refs/…` name, then a unique abbreviated SHA."""
    for name in (f"refs/tags/{ref}", f"refs/heads/{ref}", ref):
        if name in refs:
            return refs[name]
    low = ref.lower()
    if 7 <= len(low) < 40 and all(c in "0123456789abcdef" for c in low):
        found = {sha for sha in refs.values() if sha.startswith(low)}
        if len(found) == 1:
            return found.pop()
    return None


def _specificity(tag: str, ref: str) -> tuple[int, int, int, int]:
    return (
        tag == ref or tag.startswith(ref + "."),  # the same line of versions as asked for
        "-" not in tag and "+" not in tag,  # a release rather than a pre-release
        tag.count("."),
        -len(tag),
    )


def best_tag(refs: Mapping[str, str], sha: str, ref: str) -> str | None:
    """The most specific tag naming commit `sha`: `v4.1.1` rather than `v4` or `v4.1`,
    preferring tags that extend `ref` (the one asked for) and releases over
    pre-releases; None when no tag names it."""
    tags = [name[10:] for name, s in refs.items() if s == sha and name.startswith("refs/tags/")]
    if not tags:
        return None
    return max(tags, key=lambda t: (_specificity(t, ref), t))
