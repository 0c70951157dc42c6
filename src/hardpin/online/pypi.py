"""The sha256 of every distribution file of a pinned version, from Python package indexes.

`file_hashes` gives what `pip-compile --generate-hashes` writes for a pin: the
hash of every file of that exact version (wheels for every platform and
sdists) on every index pip would look at, so the requirement installs on any
platform with `--require-hashes`.

How it reads an index:

* the project page `<index>/<normalised name>/` is asked for as PEP 691 JSON
  (`Accept: application/vnd.pypi.simple.v1+json, …, text/html;q=0.1`); an
  index that answers HTML is read as PEP 503 (`#sha256=` fragments, `<base
  href>`), whatever the Content-Type says when the body is obviously the
  other format;
* a file belongs to the version when its name parses (wheels as
  `packaging.utils.parse_wheel_filename` reads them: plain names without it, so
  that packaging.tags is not imported; sdists `name-version.ext` split at
  the project's own name, as pip does) to the same project and to a version
  equal under PEP 440 (`1.0` == `1.0.0`);
* yanked files are included, as pip-compile includes them: pip still installs
  a yanked release that is pinned with `==`;
* a file the index publishes no sha256 for is downloaded and hashed (as
  pip-compile does), up to `download_limit` bytes;
* the files of all the given indexes are merged (pip and pip-compile collect
  candidates from the index URL and every extra index URL).

Credentials in an index URL (`https://user:token@host/simple/`) are sent as
Basic auth to that host and never appear in a message, a cache key or a URL
given to the HTTP layer.

Caching (through `hardpin.online.cache.Cache`): each index's project page for
`page_ttl` seconds (namespace `pypi-page`, a 404 is stored too), and each
index's answer for a version with no TTL (namespace `pypi-hashes`: the files of
a release do not change), so a second run needs no request at all. With an
offline cache nothing is fetched: what is not stored is an error.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import unquote, urljoin, urlsplit

from hardpin.model import HardpinError
from hardpin.refs import Hash, InvalidDigest
from hardpin.urls import canonical_name, display_url, redact_text, split_userinfo

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

DEFAULT_INDEX_URL = "https://pypi.org/simple/"
PAGE_TTL = 600.0  # seconds an index page is reused
DOWNLOAD_LIMIT = 128 << 20  # largest file hashed locally when the index gives no sha256
PAGE_LIMIT = 64 << 20  # largest project page read
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"
NEARBY = 3  # versions shown on each side of a missing one
_ARCHIVES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".txz", ".tlz", ".tar.lz",
             ".tar.lzma", ".tar")  # fmt: skip
_ENV_VAR = re.compile(r"\$\{([A-Z0-9_]+)\}")
# a wheel name every packaging version accepts as it stands (a name without `__`, a
# build tag starting with a digit, three non-empty tags whose interpreters are
# identifiers): read here, without importing packaging.tags (~15 ms); any other
# name goes to packaging.utils.parse_wheel_filename
_PLAIN_WHEEL = re.compile(
    r"(?P<name>[A-Za-z0-9._]+)-(?P<version>[^-]+)(?:-\d[^-]*)?"
    r"-[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
    r"-[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*-[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*\.whl"
)


class IndexLookupError(HardpinError):
    """A one-line reason the hashes could not be found; never contains credentials."""


# ---------------------------------------------------------------------------
# index URLs


def index_urls_for(
    file_urls: tuple[str, ...],
    environ: Mapping[str, str],
    cli_index_url: str | None,
    *,
    file_extra_only: bool = False,
) -> tuple[str, ...]:
    """The index URLs to look a requirements file's pins up on, primary first.

    Precedence (the first that applies wins):

    1. the file's own `--index-url` / `--extra-index-url` values (`file_urls`,
       the index URL first), when the file sets any: the requirements were
       written for those indexes. With `file_extra_only=True` (the file sets
       only `--extra-index-url`), pip still uses the primary index of the
       command line or environment, so the result is that primary, then
       `PIP_EXTRA_INDEX_URL`, then the file's extra URLs;
    2. `cli_index_url` (hardpin's `--index-url`), with `PIP_EXTRA_INDEX_URL`;
    3. `PIP_INDEX_URL`, then `PIP_EXTRA_INDEX_URL` (space-separated), from `environ`;
    4. https://pypi.org/simple/ (with `PIP_EXTRA_INDEX_URL`, when set).

    The command line beats the environment, as it does for pip itself: a flag
    given to this run is the more specific wish. `${VAR}` references in file
    URLs are expanded from `environ` (pip expands them in requirement files).
    Duplicates are dropped, keeping the first.
    """

    def expand(url: str) -> str:
        return _ENV_VAR.sub(lambda m: environ.get(m.group(1), m.group(0)), url)

    env_index = (environ.get("PIP_INDEX_URL") or "").strip()
    env_extras = tuple((environ.get("PIP_EXTRA_INDEX_URL") or "").split())
    file_list = tuple(expand(u.strip()) for u in file_urls if u and u.strip())
    primary = (cli_index_url or "").strip() or env_index or DEFAULT_INDEX_URL
    if file_list and not file_extra_only:
        urls: tuple[str, ...] = file_list
    elif file_list:
        urls = (primary, *env_extras, *file_list)
    elif env_index or env_extras:
        urls = (primary, *env_extras)
    else:
        urls = (primary,)
    return tuple(dict.fromkeys(urls))


def _split_credentials(url: str) -> tuple[str, str | None]:
    """(URL without user info, Basic Authorization value or None)."""
    bare, info = split_userinfo(url)
    if info is None:
        return url, None
    user, _, password = info.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
    return bare, f"Basic {token}"


# ---------------------------------------------------------------------------
# page parsing


def _links_parser() -> Any:
    """A parser that collects the `<a>` tags and the first `<base href>` of a page
    (html.parser is imported here: the JSON API, asked first, does not need it)."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.base: str | None = None
            self.links: list[dict[str, str | None]] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "base" and self.base is None and a.get("href"):
                self.base = a["href"]
            elif tag == "a" and a.get("href"):
                self.links.append(a)

    return Links()


def url_filename(url: str) -> str:
    """The file name of a distribution URL, as pip reads it (`Link.filename`): the last
    path segment, percent-decoded. An index's `filename` field is not trusted."""
    path = urlsplit(url).path.rstrip("/")
    return unquote(path.rpartition("/")[2])


def sha256_problem(value: str) -> str | None:
    """Why an index's sha256 value is not one (None when it is well formed)."""
    if len(value) != 64 or re.fullmatch(r"[0-9a-fA-F]+", value) is None:
        return "it is not 64 hex digits"
    if len(set(value.lower())) == 1:
        return "it is one digit repeated, not a real hash"
    return None


def _file_entry(
    url: str, sha256: object, yanked: Any, requires_python: str | None
) -> dict[str, Any]:
    """A file of a project page. `sha256` is None when the index gives none; a value that
    is not a sha256 is kept in `bad_sha256` (an error when that file is wanted)."""
    good = bad = None
    if isinstance(sha256, str) and sha256_problem(sha256) is None:
        good = sha256.lower()
    elif sha256 is not None:
        bad = sha256 if isinstance(sha256, str) else repr(sha256)
    entry = {
        "filename": url_filename(url),
        "url": url,
        "sha256": good,
        "yanked": bool(yanked) or yanked == "",
        "requires_python": requires_python or None,
    }
    if bad is not None:
        entry["bad_sha256"] = bad[:200]
    return entry


def parse_html(body: bytes, page_url: str) -> list[dict[str, Any]]:
    """Files of a PEP 503 project page."""
    parser = _links_parser()
    parser.feed(body.decode("utf-8", "replace"))
    parser.close()
    base = urljoin(page_url, parser.base) if parser.base else page_url
    out = []
    for a in parser.links:
        url = urljoin(base, a.get("href") or "")
        path, _, frag = url.partition("#")
        sha = None
        for part in frag.split("&"):
            k, _, v = part.partition("=")
            if k.lower() == "sha256":
                sha = v
        yanked: Any = a.get("data-yanked", False)
        if yanked is None:  # `data-yanked` without a value
            yanked = True
        out.append(_file_entry(path, sha, yanked, a.get("data-requires-python")))
    return out


def parse_json(body: bytes, page_url: str) -> list[dict[str, Any]]:
    """Files of a PEP 691 project page. Raises ValueError when it is not one.

    A file is named by its URL, as pip names it; the `filename` field is ignored (an
    index could otherwise attribute another project's file to this one)."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise ValueError("not a PEP 691 project page")
    out = []
    for f in data["files"]:
        if not isinstance(f, dict) or not isinstance(f.get("url"), str):
            continue
        url = urljoin(page_url, f["url"]).partition("#")[0]
        hashes = f.get("hashes")
        if not isinstance(hashes, dict):
            hashes = {}
        rp = f.get("requires-python")
        out.append(
            _file_entry(
                url,
                hashes.get("sha256"),
                f.get("yanked", False),
                rp if isinstance(rp, str) else None,
            )
        )
    return out


def file_version(filename: str, project: str) -> Any:
    """The packaging Version of a wheel or sdist of `project` (canonical name), else None."""
    from packaging.version import InvalidVersion, Version

    if filename.endswith(".whl"):
        plain = _PLAIN_WHEEL.fullmatch(filename)
        if plain is not None and "__" not in plain["name"]:
            try:
                wheel_version = Version(plain["version"])
            except InvalidVersion:
                return None
            return wheel_version if canonical_name(plain["name"]) == project else None
        from packaging.utils import InvalidWheelFilename, parse_wheel_filename

        try:
            name, version, _build, _tags = parse_wheel_filename(filename)
        except (InvalidWheelFilename, InvalidVersion):
            return None
        return version if name == project else None
    low = filename.lower()
    ext = next((e for e in _ARCHIVES if low.endswith(e)), None)
    if ext is None:
        return None  # .egg, .exe, .msi, .rpm: pip never installs these from an index
    stem = filename[: -len(ext)]
    # like pip: the version starts after the dash where the project's own name ends
    for i, ch in enumerate(stem):
        if ch == "-" and canonical_name(stem[:i]) == project:
            try:
                return Version(stem[i + 1 :])
            except InvalidVersion:
                return None
    return None


# ---------------------------------------------------------------------------
# lookups


class _Index:
    def __init__(self, url: str) -> None:
        url = url.strip()
        if not url.endswith("/"):
            url += "/"
        self.url, self.auth = _split_credentials(url)
        self.shown = display_url(self.url)
        p = urlsplit(self.url)
        self.netloc = p.netloc

    def headers(self, url: str, accept: str | None = None) -> dict[str, str]:
        h = {} if accept is None else {"Accept": accept}
        if self.auth is not None and urlsplit(url).netloc == self.netloc:
            h["Authorization"] = self.auth
        return h


class _NotFound(HardpinError):
    pass


def _get(http: Any, index: _Index, url: str, accept: str | None, max_body: int) -> Any:
    from hardpin.online.http import HttpError

    try:
        return http.request("GET", url, headers=index.headers(url, accept), max_body=max_body)
    except HttpError as exc:
        msg = str(exc)
        prefix = display_url(url) + ": "
        msg = msg.removeprefix(prefix)
        raise IndexLookupError(
            f"cannot reach the package index {index.shown} ({redact_text(msg)})"
        ) from None


def _project_page(
    http: Any, cache: Any, index: _Index, project: str, page_ttl: float
) -> list[dict[str, Any]]:
    """The files on the index's page for `project`; raises _NotFound for a 404."""
    key = f"{index.shown}\0{project}"
    stored = cache.get("pypi-page", key, ttl=page_ttl)
    if isinstance(stored, dict):
        if stored.get("missing"):
            raise _NotFound()
        files: object = stored.get("files")
        if isinstance(files, list):
            return files
    if cache.offline:
        raise IndexLookupError(
            f"{project}: the page of {index.shown} is not in the cache, and the run is offline"
        )
    url = index.url + project + "/"
    resp = _get(http, index, url, ACCEPT, PAGE_LIMIT)
    if resp.status in (404, 410):
        cache.put("pypi-page", key, {"missing": True})
        raise _NotFound()
    if resp.status in (401, 403):
        raise IndexLookupError(
            f"the package index {index.shown} refused access to {project} (HTTP {resp.status}): "
            "check the credentials in the index URL"
        )
    if resp.status != 200:
        raise IndexLookupError(
            f"the package index {index.shown} answered HTTP {resp.status} for {project}"
        )
    ctype = resp.headers.get("content-type", "").split(";")[0].strip().lower()
    page_url = resp.url.partition("#")[0]
    body = resp.body
    try:
        if ctype.endswith("json") or (not ctype.endswith("html") and body.lstrip()[:1] == b"{"):
            try:
                files = parse_json(body, page_url)
            except ValueError:
                if body.lstrip()[:1] == b"{":
                    raise
                files = parse_html(body, page_url)
        else:
            files = parse_html(body, page_url)
    except ValueError:
        raise IndexLookupError(
            f"the package index {index.shown} answered a page for {project} that is neither "
            "PEP 691 JSON nor PEP 503 HTML"
        ) from None
    cache.put("pypi-page", key, {"files": files})
    return files


def sha_problem_of(value: str) -> bool:
    """Whether a stored sha256 (lower-case hex) is malformed."""
    return sha256_problem(value) is not None or value != value.lower()


def _valid_hashes(stored: object) -> list[str]:
    """A cached list of hashes, each checked; [] when anything in it is not one."""
    if not isinstance(stored, list) or not stored:
        return []
    try:
        return [Hash.parse(h) for h in stored]
    except InvalidDigest:
        return []


def _download_hash(http: Any, index: _Index, url: str, filename: str, download_limit: int) -> str:
    from hardpin.online.http import HttpError

    try:
        resp = http.request("GET", url, headers=index.headers(url), max_body=download_limit)
    except HttpError as exc:
        msg = redact_text(str(exc))
        if "limit" in msg:
            raise IndexLookupError(
                f"{filename}: {index.shown} publishes no sha256 for it and it is larger than "
                f"{download_limit >> 20} MiB, too large to hash locally"
            ) from None
        raise IndexLookupError(f"cannot download {filename} from {index.shown}: {msg}") from None
    if resp.status != 200:
        raise IndexLookupError(
            f"cannot download {filename} from {index.shown} (HTTP {resp.status}) to hash it: "
            "the index publishes no sha256 for it"
        )
    return hashlib.sha256(resp.body).hexdigest()


def _nearby(versions: list[Any], wanted: Any) -> list[str]:
    ordered = sorted(set(versions))
    below = [v for v in ordered if v < wanted][-NEARBY:]
    above = [v for v in ordered if v > wanted][:NEARBY]
    return [str(v) for v in below + above]


def file_hashes(
    http: Any,
    cache: Any,
    index_urls: Sequence[str],
    project: str,
    version: str,
    *,
    page_ttl: float = PAGE_TTL,
    download_limit: int = DOWNLOAD_LIMIT,
) -> tuple[str, ...]:
    """Sorted unique "sha256:<hex>" of every file of `project` `version` on `index_urls`.

    `http` is a hardpin.online.http.Http, `cache` a hardpin.online.cache.Cache.
    Raises IndexLookupError: project on no index, version on no index (naming
    nearby versions), an index unreachable or answering an error.
    """
    from packaging.version import InvalidVersion, Version

    name = canonical_name(project)
    try:
        wanted = Version(version)
    except InvalidVersion:
        raise IndexLookupError(f"{project}=={version}: not a valid version (PEP 440)") from None
    vkey = str(wanted)
    indexes = [_Index(u) for u in dict.fromkeys(index_urls)] or [_Index(DEFAULT_INDEX_URL)]
    found: set[str] = set()
    any_project = False
    others: list[Any] = []
    for index in indexes:
        rkey = f"{index.shown}\0{name}\0{vkey}"
        stored = cache.get("pypi-hashes", rkey)
        held = _valid_hashes(stored)
        if held:
            found.update(held)
            any_project = True
            continue
        try:
            files = _project_page(http, cache, index, name, page_ttl)
        except _NotFound:
            continue
        any_project = True
        hashes: set[str] = set()
        for f in files:
            url = f.get("url")
            if not isinstance(url, str):
                continue
            filename = url_filename(url)
            v = file_version(filename, name)
            if v is None:
                continue
            if v != wanted:
                others.append(v)
                continue
            sha = f.get("sha256")
            if f.get("bad_sha256") is not None or (
                sha is not None and (not isinstance(sha, str) or sha_problem_of(sha))
            ):
                shown = str(f.get("bad_sha256") or sha)[:80]
                raise IndexLookupError(
                    f"{filename}: {index.shown} publishes a malformed sha256 for it "
                    f"({shown!r}: {sha256_problem(shown) or 'not a sha256'}); refusing it"
                )
            if not sha:
                if cache.offline:
                    raise IndexLookupError(
                        f"{filename}: {index.shown} publishes no sha256 for it, and the "
                        "run is offline (cannot download it to hash it)"
                    )
                sha = _download_hash(http, index, url, filename, download_limit)
            hashes.add(Hash.sha256(sha))
        if hashes:
            cache.put("pypi-hashes", rkey, sorted(hashes))
            found |= hashes
    if found:
        return tuple(sorted(found))
    where = (
        f"the package index {indexes[0].shown}"
        if len(indexes) == 1
        else "the package indexes " + ", ".join(i.shown for i in indexes)
    )
    if not any_project:
        raise IndexLookupError(f"{project}: no such project on {where}")
    near = _nearby(others, wanted)
    hint = f" (nearby versions: {', '.join(near)})" if near else " (it has no installable files)"
    raise IndexLookupError(f"{project} has no version {version} on {where}{hint}")
