"""A real local Python package index for tests and benchmarks.

Builds small, installable wheels (written directly with zipfile: METADATA,
WHEEL and RECORD as pip expects them) and sdists (tar.gz with PKG-INFO and
pyproject.toml), lays them out as a package index, and serves it on a free
loopback port from a threaded HTTP server:

* `/<prefix>/<project>/`: PEP 503 HTML (`#sha256=` fragments,
  `data-requires-python`, `data-yanked`) or PEP 691 JSON
  (`application/vnd.pypi.simple.v1+json`), chosen by the Accept header; the
  `mode` switch makes the server HTML-only (an old index) or JSON-only;
* `/<prefix>/`: the project list, in the same two formats;
* `/files/<n>/<filename>`: the distribution files, read from disk on every
  request (so `tampered()` can change a byte under a running index);
* the PyPI JSON API that pip-compile and hashin use for hashes:
  `<base>/pypi/<project>/json`, `<base>/pypi/<project>/<version>/json` and
  `<base>/<project>/json` (pip-compile's URL for an index ending in `/simple/`).

Two indexes share the server: the primary one at `/simple/` and an extra one at
`/extra/simple/`. Switches for failure tests: `missing` (projects that 404, on every index or on one),
`fail_status` (every request answers that status), `auth` (Basic credentials
required), `pages` (a project page served as given, to make the index lie:
`index.pages["simple/alpha"] = (JSON_TYPE, body)`), and `unreachable_url()`
(a port nobody listens on). `requests` counts
requests; `reset()` restores the defaults.

Test modules import the fixtures they use:

    from index_support import index_server, local_index, venv_python

`bench/` uses the plain functions (`build_index`, `start_index`, `many_projects`).
"""

from __future__ import annotations

import base64
import contextlib
import gzip
import hashlib
import html
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from urllib.parse import unquote, urlsplit

import pytest

PRIMARY = "simple"
EXTRA = "extra/simple"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
USER = "indexuser"
PASSWORD = "Idx-s3cret-pw"  # tests check that this never reaches a message
PYTAG = f"cp{sys.version_info.major}{sys.version_info.minor}"

_ZIP_DATE = (2020, 1, 1, 0, 0, 0)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _wheel_name(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_url() -> str:
    """An index URL on a loopback port where nothing listens."""
    return f"http://127.0.0.1:{free_port()}/simple/"


# --------------------------------------------------------------------------
# Distributions
# --------------------------------------------------------------------------


class Dist:
    """One distribution file of an index."""

    def __init__(
        self,
        path: str,
        project: str,
        version: str,
        kind: str,
        *,
        requires_python: str | None = None,
        yanked: bool | str = False,
        publish_hash: bool = True,
        python_tag: str = "source",
    ) -> None:
        self.path = path
        self.filename = os.path.basename(path)
        self.project = canonical(project)
        self.version = version
        self.kind = kind  # "bdist_wheel" or "sdist"
        self.requires_python = requires_python
        self.yanked = yanked
        self.publish_hash = publish_hash  # False: the index gives no sha256 for this file
        self.python_tag = python_tag
        with open(path, "rb") as fh:
            data = fh.read()
        self.sha256 = sha256_of(data)  # what the index publishes, even after tampering
        self.md5 = hashlib.md5(data).hexdigest()
        self.size = len(data)

    def __repr__(self) -> str:
        return f"Dist({self.filename!r})"


def _metadata(name: str, version: str, deps: tuple[str, ...], requires_python: str | None) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {name}, a test package",
    ]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {d}" for d in deps]
    return "\n".join(lines) + "\n\n"


def write_wheel(
    directory: str,
    name: str,
    version: str,
    tag: str = "py3-none-any",
    *,
    deps: tuple[str, ...] = (),
    requires_python: str | None = None,
) -> str:
    """A real wheel: a package `<name>` with `__version__` and the wheel's tag in it."""
    wname = _wheel_name(name)
    dist_info = f"{wname}-{version}.dist-info"
    pure = tag.endswith("-none-any")
    files: list[tuple[str, bytes]] = [
        (f"{wname}/__init__.py", f'__version__ = "{version}"\nTAG = "{tag}"\n'.encode()),
        (f"{dist_info}/METADATA", _metadata(name, version, deps, requires_python).encode()),
        (
            f"{dist_info}/WHEEL",
            (
                "Wheel-Version: 1.0\nGenerator: hardpin-tests\n"
                f"Root-Is-Purelib: {'true' if pure else 'false'}\nTag: {tag}\n\n"
            ).encode(),
        ),
        (f"{dist_info}/top_level.txt", f"{wname}\n".encode()),
    ]
    record = io.StringIO()
    for arc, data in files:
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{arc},sha256={digest},{len(data)}\n")
    record.write(f"{dist_info}/RECORD,,\n")
    files.append((f"{dist_info}/RECORD", record.getvalue().encode()))
    path = os.path.join(directory, f"{wname}-{version}-{tag}.whl")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for arc, data in files:
            info = zipfile.ZipInfo(arc, date_time=_ZIP_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return path


def write_sdist(
    directory: str,
    name: str,
    version: str,
    *,
    deps: tuple[str, ...] = (),
    requires_python: str | None = None,
) -> str:
    """An sdist as `python -m build --sdist` lays it out (PKG-INFO, pyproject.toml, package)."""
    wname = _wheel_name(name)
    root = f"{wname}-{version}"
    dep_list = ", ".join(json.dumps(d) for d in deps)
    rp = f"requires-python = {json.dumps(requires_python)}\n" if requires_python else ""
    files = {
        "PKG-INFO": _metadata(name, version, deps, requires_python).encode(),
        "pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "{version}"\n{rp}dependencies = [{dep_list}]\n'
        ).encode(),
        f"{wname}/__init__.py": f'__version__ = "{version}"\n'.encode(),
    }
    path = os.path.join(directory, f"{root}.tar.gz")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for arc, data in files.items():
            info = tarfile.TarInfo(f"{root}/{arc}")
            info.size = len(data)
            info.mtime = 1577836800
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))
    with open(path, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
        gz.write(raw.getvalue())
    return path


# --------------------------------------------------------------------------
# The index model
# --------------------------------------------------------------------------


class IndexModel:
    """Projects per index prefix ("simple", "extra/simple"), files under `root`."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.prefixes: dict[str, dict[str, list[Dist]]] = {}
        self.display: dict[str, str] = {}  # canonical -> name as published
        self._dirs: dict[str, str] = {}

    def file_dir(self, prefix: str) -> str:
        if prefix not in self._dirs:
            n = str(len(self._dirs))
            d = os.path.join(self.root, "files", n)
            os.makedirs(d, exist_ok=True)
            self._dirs[prefix] = n
        return os.path.join(self.root, "files", self._dirs[prefix])

    def file_key(self, prefix: str) -> str:
        self.file_dir(prefix)
        return self._dirs[prefix]

    def add(self, prefix: str, dist: Dist, display: str) -> Dist:
        self.prefixes.setdefault(prefix, {}).setdefault(dist.project, []).append(dist)
        self.display.setdefault(dist.project, display)
        return dist

    def wheel(
        self,
        name: str,
        version: str,
        tag: str = "py3-none-any",
        *,
        prefix: str = PRIMARY,
        deps: tuple[str, ...] = (),
        requires_python: str | None = None,
        yanked: bool | str = False,
        publish_hash: bool = True,
    ) -> Dist:
        path = write_wheel(
            self.file_dir(prefix), name, version, tag, deps=deps, requires_python=requires_python
        )
        return self.add(
            prefix,
            Dist(
                path,
                name,
                version,
                "bdist_wheel",
                requires_python=requires_python,
                yanked=yanked,
                publish_hash=publish_hash,
                python_tag=tag.split("-")[0],
            ),
            name,
        )

    def sdist(
        self,
        name: str,
        version: str,
        *,
        prefix: str = PRIMARY,
        deps: tuple[str, ...] = (),
        requires_python: str | None = None,
        yanked: bool | str = False,
        publish_hash: bool = True,
    ) -> Dist:
        path = write_sdist(
            self.file_dir(prefix), name, version, deps=deps, requires_python=requires_python
        )
        return self.add(
            prefix,
            Dist(
                path,
                name,
                version,
                "sdist",
                requires_python=requires_python,
                yanked=yanked,
                publish_hash=publish_hash,
            ),
            name,
        )

    def release(
        self,
        name: str,
        version: str,
        *,
        prefix: str = PRIMARY,
        deps: tuple[str, ...] = (),
        requires_python: str | None = None,
        yanked: bool | str = False,
    ) -> list[Dist]:
        """A pure-Python wheel and an sdist."""
        return [
            self.wheel(
                name,
                version,
                prefix=prefix,
                deps=deps,
                requires_python=requires_python,
                yanked=yanked,
            ),
            self.sdist(
                name,
                version,
                prefix=prefix,
                deps=deps,
                requires_python=requires_python,
                yanked=yanked,
            ),
        ]

    def files(
        self, project: str, version: str | None = None, prefixes: tuple[str, ...] = (PRIMARY,)
    ) -> list[Dist]:
        from packaging.version import Version

        out = []
        for p in prefixes:
            for d in self.prefixes.get(p, {}).get(canonical(project), []):
                if version is None or Version(d.version) == Version(version):
                    out.append(d)
        return out

    def hashes(
        self, project: str, version: str, prefixes: tuple[str, ...] = (PRIMARY,)
    ) -> tuple[str, ...]:
        """The expected `file_hashes` answer: sha256 of every file of that version."""
        return tuple(sorted({f"sha256:{d.sha256}" for d in self.files(project, version, prefixes)}))


PLATFORM_TAGS = (
    f"{PYTAG}-{PYTAG}-manylinux_2_17_x86_64",
    f"{PYTAG}-{PYTAG}-win_amd64",
    f"{PYTAG}-{PYTAG}-macosx_11_0_arm64",
)


def build_index(root: str) -> IndexModel:
    """The default test index.

    primary (`/simple/`):
      Multi_Plat 1.0.0  three platform wheels, a py3-none-any wheel and an sdist
      Multi_Plat 0.9.0  wheel + sdist
      alpha 1.0, 1.1    wheel + sdist; 1.2rc1 (pre-release); 2.0 (yanked, Requires-Python >=3.8)
      beta 1.0          wheel + sdist, needs alpha>=1.0,<2
      gamma 0.3         wheel + sdist, needs beta>=1.0 and Multi.Plat>=1.0
      nohash 1.0        a wheel whose index entry has no sha256 (and a hashed sdist)
    extra (`/extra/simple/`):
      alpha 1.1         one more wheel (py311-none-any)
      extra-only 0.1    wheel + sdist
    """
    m = IndexModel(root)
    for tag in PLATFORM_TAGS:
        m.wheel("Multi_Plat", "1.0.0", tag)
    m.wheel("Multi_Plat", "1.0.0")
    m.sdist("Multi_Plat", "1.0.0")
    m.release("Multi_Plat", "0.9.0")
    for v in ("1.0", "1.1", "1.2rc1"):
        m.release("alpha", v)
    m.release("alpha", "2.0", requires_python=">=3.8", yanked="broken release")
    m.release("beta", "1.0", deps=("alpha>=1.0,<2",))
    m.release("gamma", "0.3", deps=("beta>=1.0", "Multi.Plat>=1.0"))
    m.wheel("nohash", "1.0", publish_hash=False)
    m.sdist("nohash", "1.0")
    m.wheel(
        "alpha", "1.1", f"py{sys.version_info.major}{sys.version_info.minor}-none-any", prefix=EXTRA
    )
    m.release("extra-only", "0.1", prefix=EXTRA)
    return m


def many_projects(root: str, n: int = 100) -> tuple[IndexModel, list[tuple[str, str]]]:
    """`n` projects `proj-NNN`, each with a few versions of a wheel and an sdist; the pins."""
    m = IndexModel(root)
    pins = []
    for i in range(n):
        name = f"proj-{i:03d}"
        for v in ("1.0.0", "1.1.0"):
            m.release(name, v)
        m.wheel(name, "1.1.0", PLATFORM_TAGS[0])
        pins.append((name, "1.1.0"))
    return m, pins


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def _accept_json(accept: str) -> bool:
    """Content negotiation (PEP 691): does the client prefer JSON to HTML?"""
    best_json = best_html = -1.0
    for part in accept.split(","):
        fields = [f.strip() for f in part.split(";")]
        mt = fields[0].lower()
        q = 1.0
        for f in fields[1:]:
            if f.startswith("q="):
                try:
                    q = float(f[2:])
                except ValueError:
                    q = 0.0
        if mt in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            best_json = max(best_json, q)
        elif mt in (HTML_TYPE, "application/vnd.pypi.simple.latest+html", "text/html", "*/*"):
            best_html = max(best_html, q)
    return best_json > 0 and best_json >= best_html


class _Server(http.server.ThreadingHTTPServer):
    # the default backlog of 5 drops connections when 16 clients connect at once, and a
    # dropped SYN costs the client a one-second retransmission
    request_queue_size = 128


class LocalIndex:
    """A running index server over an IndexModel."""

    def __init__(self, model: IndexModel) -> None:
        self.model = model
        self._lock = threading.Lock()
        self.reset()
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}/"
        self.url = self.base + PRIMARY + "/"
        self.extra_url = self.base + EXTRA + "/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()

    def reset(self) -> None:
        with self._lock:
            self.mode = "both"  # "both", "json" (JSON-only) or "html" (HTML-only)
            # projects that 404: "name" on every index, "<prefix>/name" on one
            self.missing: set[str] = set()
            self.fail_status: int | None = None
            self.auth: tuple[str, str] | None = None
            self.json_api = True  # serve the PyPI JSON API
            # "<prefix>/<project>" -> (Content-Type, body): a page served instead of the real one
            self.pages: dict[str, tuple[str, bytes]] = {}
            self.requests = 0
            self.paths: list[str] = []
            self.formats: list[str] = []  # "json" or "html", per project page served

    def count(self, path: str) -> None:
        with self._lock:
            self.requests += 1
            self.paths.append(path)

    def url_with_auth(
        self, prefix: str = PRIMARY, user: str = USER, password: str = PASSWORD
    ) -> str:
        return f"http://{user}:{password}@127.0.0.1:{self.port}/{prefix}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def file_path(self, filename: str) -> str:
        for projects in self.model.prefixes.values():
            for dists in projects.values():
                for d in dists:
                    if d.filename == filename:
                        return d.path
        raise KeyError(filename)

    @contextlib.contextmanager
    def tampered(self, filename: str) -> Iterator[str]:
        """Change one byte of a file on the index (its published hash stays); restore after."""
        path = self.file_path(filename)
        with open(path, "rb") as fh:
            original = fh.read()
        data = bytearray(original)
        data[len(data) // 2] ^= 0x01
        with open(path, "wb") as fh:
            fh.write(bytes(data))
        try:
            yield path
        finally:
            with open(path, "wb") as fh:
                fh.write(original)

    # -- documents ------------------------------------------------------------
    def _file_url(self, prefix: str, d: Dist) -> str:
        return f"{self.base}files/{self.model.file_key(prefix)}/{d.filename}"

    def project_html(self, prefix: str, project: str) -> bytes:
        depth = "../" * (prefix.count("/") + 2)  # relative to /<prefix>/<project>/
        links = []
        for d in self.model.prefixes[prefix][project]:
            href = f"{depth}files/{self.model.file_key(prefix)}/{d.filename}"
            if d.publish_hash:
                href += f"#sha256={d.sha256}"
            attrs = f'href="{html.escape(href)}"'
            if d.requires_python:
                attrs += f' data-requires-python="{html.escape(d.requires_python)}"'
            if d.yanked:
                reason = d.yanked if isinstance(d.yanked, str) else ""
                attrs += f' data-yanked="{html.escape(reason)}"'
            links.append(f"    <a {attrs}>{html.escape(d.filename)}</a><br/>")
        return (
            "<!DOCTYPE html>\n<html>\n  <head>\n"
            '    <meta name="pypi:repository-version" content="1.0">\n'
            f"    <title>Links for {project}</title>\n  </head>\n  <body>\n"
            f"    <h1>Links for {project}</h1>\n" + "\n".join(links) + "\n  </body>\n</html>\n"
        ).encode()

    def project_json(self, prefix: str, project: str) -> bytes:
        files = []
        for d in self.model.prefixes[prefix][project]:
            f: dict = {
                "filename": d.filename,
                "url": self._file_url(prefix, d),
                "hashes": {"sha256": d.sha256} if d.publish_hash else {},
            }
            if d.requires_python:
                f["requires-python"] = d.requires_python
            if d.yanked:
                f["yanked"] = d.yanked
            files.append(f)
        return json.dumps(
            {"meta": {"api-version": "1.0"}, "name": project, "files": files}
        ).encode()

    def root_html(self, prefix: str) -> bytes:
        items = "\n".join(
            f'    <a href="{p}/">{p}</a>' for p in sorted(self.model.prefixes[prefix])
        )
        return f"<!DOCTYPE html>\n<html><body>\n{items}\n</body></html>\n".encode()

    def root_json(self, prefix: str) -> bytes:
        return json.dumps(
            {
                "meta": {"api-version": "1.0"},
                "projects": [{"name": p} for p in sorted(self.model.prefixes[prefix])],
            }
        ).encode()

    def pypi_json(self, prefix: str, project: str, version: str | None) -> bytes | None:
        from packaging.version import Version

        dists = self.model.prefixes[prefix][project]
        releases: dict[str, list] = {}
        for d in dists:
            releases.setdefault(d.version, []).append(
                {
                    "filename": d.filename,
                    "url": self._file_url(prefix, d),
                    "digests": (
                        {"sha256": d.sha256, "md5": d.md5} if d.publish_hash else {"md5": d.md5}
                    ),
                    "packagetype": d.kind,
                    "python_version": d.python_tag,
                    "requires_python": d.requires_python,
                    "size": d.size,
                    "yanked": bool(d.yanked),
                    "yanked_reason": d.yanked if isinstance(d.yanked, str) else None,
                }
            )
        latest = max(
            (v for v in releases if not Version(v).is_prerelease),
            key=Version,
            default=max(releases, key=Version),
        )
        shown = latest if version is None else version
        if version is not None:
            match = [v for v in releases if Version(v) == Version(version)]
            if not match:
                return None
            shown = match[0]
        info = {"name": self.model.display.get(project, project), "version": shown}
        doc: dict = {"info": info, "urls": releases[shown]}
        if version is None:
            doc["releases"] = releases
        return json.dumps(doc).encode()


def _handler(index: LocalIndex) -> type[http.server.BaseHTTPRequestHandler]:
    prefixes = sorted(index.model.prefixes, key=len, reverse=True)

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "hardpin-test-index/1"
        disable_nagle_algorithm = True  # headers and body go out at once: no delayed-ACK stalls
        wbufsize = -1  # buffered; handle_one_request flushes after each response

        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(
            self,
            status: int,
            body: bytes = b"",
            ctype: str = "text/plain",
            extra: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            path = unquote(urlsplit(self.path).path)
            index.count(path)
            with index._lock:
                fail, auth, mode, missing, json_api = (
                    index.fail_status,
                    index.auth,
                    index.mode,
                    set(index.missing),
                    index.json_api,
                )
            if fail is not None:
                self._send(fail, b"injected failure\n")
                return
            if auth is not None:
                want = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
                if self.headers.get("Authorization") != want:
                    self._send(
                        401,
                        b"authentication required\n",
                        extra={"WWW-Authenticate": 'Basic realm="test index"'},
                    )
                    return
            if path.startswith("/files/"):
                self._file(path)
                return
            for prefix in prefixes:
                head = f"/{prefix}/"
                if path == f"/{prefix}":
                    self._send(301, extra={"Location": head})
                    return
                if path.startswith(head):
                    self._simple(prefix, path[len(head) :], mode, missing)
                    return
                base = "/" + prefix.rpartition("/")[0]
                base = base.rstrip("/") + "/"
                if (
                    json_api
                    and path.startswith(base)
                    and path.endswith("/json")
                    and self._pypi_json(prefix, path[len(base) : -len("/json")], missing)
                ):
                    return
            self._send(404, b"not found\n")

        def _file(self, path: str) -> None:
            parts = path.split("/")
            if len(parts) != 4:
                self._send(404, b"not found\n")
                return
            full = os.path.join(index.model.root, "files", parts[2], os.path.basename(parts[3]))
            try:
                with open(full, "rb") as fh:
                    data = fh.read()
            except OSError:
                self._send(404, b"not found\n")
                return
            self._send(200, data, "application/octet-stream")

        def _simple(self, prefix: str, rest: str, mode: str, missing: set[str]) -> None:
            accept = self.headers.get("Accept", "")
            want_json = mode == "json" or (mode == "both" and _accept_json(accept))
            if rest == "":
                if want_json:
                    self._send(200, index.root_json(prefix), JSON_TYPE)
                else:
                    self._send(200, index.root_html(prefix), "text/html; charset=utf-8")
                return
            name = rest.rstrip("/")
            if "/" in name:
                self._send(404, b"not found\n")
                return
            canon = canonical(name)
            if canon != name or not rest.endswith("/"):
                self._send(301, extra={"Location": f"/{prefix}/{canon}/"})
                return
            if (
                canon in missing
                or f"{prefix}/{canon}" in missing
                or canon not in index.model.prefixes[prefix]
            ):
                self._send(404, b"not found\n")
                return
            with index._lock:
                index.formats.append("json" if want_json else "html")
                override = index.pages.get(f"{prefix}/{canon}")
            if override is not None:
                self._send(200, override[1], override[0])
            elif want_json:
                self._send(200, index.project_json(prefix, canon), JSON_TYPE)
            else:
                self._send(200, index.project_html(prefix, canon), "text/html; charset=utf-8")

        def _pypi_json(self, prefix: str, rest: str, missing: set[str]) -> bool:
            parts = [p for p in rest.split("/") if p]
            if parts and parts[0] == "pypi":
                parts = parts[1:]
            if not parts or len(parts) > 2:
                return False
            canon = canonical(parts[0])
            if (
                canon in missing
                or f"{prefix}/{canon}" in missing
                or canon not in index.model.prefixes[prefix]
            ):
                self._send(404, b'{"message": "Not Found"}', "application/json")
                return True
            body = index.pypi_json(prefix, canon, parts[1] if len(parts) == 2 else None)
            if body is None:
                self._send(404, b'{"message": "Not Found"}', "application/json")
            else:
                self._send(200, body, "application/json")
            return True

    return Handler


def start_index(model: IndexModel) -> LocalIndex:
    return LocalIndex(model)


# --------------------------------------------------------------------------
# Running pip, pip-compile and uv against the index
# --------------------------------------------------------------------------


def clean_env(cache_home: str | None = None, **extra: str) -> dict[str, str]:
    """os.environ without pip/uv configuration (no config files, no PIP_*/UV_* variables,
    no proxies), so that a subprocess sees only the local index it is given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PIP_", "UV_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_NO_INPUT"] = "1"
    env["UV_NO_CONFIG"] = "1"
    env["UV_PYTHON_DOWNLOADS"] = "never"
    if cache_home is not None:
        env["XDG_CACHE_HOME"] = cache_home
        env["UV_CACHE_DIR"] = os.path.join(cache_home, "uv")
    env.update(extra)
    return env


def tool(name: str) -> str | None:
    """An executable next to the running Python (the test venv), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which(name)


def make_venv(path: str) -> str:
    """A virtual environment without pip (fast); install into it with `pip --python`."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", path],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return os.path.join(path, "bin", "python")


def pip_install(
    python: str, requirements: str, index_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`pip --python <venv> install --require-hashes -r requirements` from the local index only."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--ignore-installed",
        "--require-hashes",
        "--index-url",
        index_url,
        "-r",
        requirements,
        *args,
    ]
    return subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env if env is not None else clean_env(),
    )


# --------------------------------------------------------------------------
# Every requirements fix keeps an installable file installable
# --------------------------------------------------------------------------


def pip_dry_run(path: str | os.PathLike[str], index_url: str) -> subprocess.CompletedProcess[str]:
    """`pip install --dry-run --no-deps -r FILE` from the local index only, as a user's
    install would read the file (its own index options, includes and hash-checking
    mode), in the directory of FILE. Nothing installed in the test environment counts
    (`--ignore-installed`); an sdist is prepared with the test environment's setuptools
    (`--no-build-isolation`: the test index serves no setuptools)."""
    path = os.fspath(path)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--no-deps",
        "--ignore-installed",
        "--no-cache-dir",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "--retries",
        "0",
        "--timeout",
        "10",
        "--index-url",
        index_url,
        "-r",
        os.path.basename(path),
    ]
    return subprocess.run(
        cmd,
        cwd=os.path.dirname(os.path.abspath(path)),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=clean_env(),
    )


@contextlib.contextmanager
def stays_installable(
    index_url: str, *paths: str | os.PathLike[str]
) -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    """Around a requirements fix: every file pip installs before the fix (dry run, see
    `pip_dry_run`) must still install after it. Yields pip's answers from before, by
    path, so a test can also check what did not install."""
    before = {os.fspath(p): pip_dry_run(p, index_url) for p in paths}
    yield before
    for p, was in before.items():
        if was.returncode != 0:
            continue
        now = pip_dry_run(p, index_url)
        with open(p, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        assert now.returncode == 0, (
            f"{p} installed before the fix, but pip refuses it after:\n{text}\n{now.stderr}"
        )


# --------------------------------------------------------------------------
# Filling in hashes (what `hardpin check --fix --select HP302` does)
# --------------------------------------------------------------------------


def fill_hashes(
    path: str, index_url: str, cache_dir: str, *, concurrency: int = 16, offline: bool = False
) -> int:
    """`hardpin check --fix` on `path`: add `--hash` options to every pinned requirement
    (HP302/HP303), looked up on `index_url`; return the number of index requests made
    (from the `--verbose` summary)."""
    import re

    from conftest import run_cli

    args = [
        "check",
        "--fix",
        "--select",
        "HP302,HP303",
        "--index-url",
        index_url,
        "--verbose",
        "--concurrency",
        str(concurrency),
        os.path.basename(path),
    ]
    if offline:
        args.append("--offline")
    env = {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": cache_dir,
        "PIP_INDEX_URL": "",
        "PIP_EXTRA_INDEX_URL": "",
    }
    with stays_installable(index_url, path):
        r = run_cli(*args, cwd=os.path.dirname(os.path.abspath(path)), env=env)
    m = re.search(r"(\d+) requests", r.stderr)
    if m is None or "cannot fix" in r.stderr or r.returncode not in (0, 1):
        raise AssertionError(f"hardpin check --fix failed ({r.returncode}): {r.stderr}{r.stdout}")
    return int(m.group(1))


# --------------------------------------------------------------------------
# pytest fixtures
# --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def index_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """The default index (see `build_index`), built and started once per session."""
    root = str(tmp_path_factory.mktemp("index"))
    idx = start_index(build_index(root))
    try:
        yield idx
    finally:
        idx.close()


@pytest.fixture
def local_index(index_server: LocalIndex) -> Iterator[LocalIndex]:
    """The session index with its switches and request counter reset before and after."""
    index_server.reset()
    try:
        yield index_server
    finally:
        index_server.reset()


@pytest.fixture(scope="session")
def venv_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The python of a fresh virtual environment without pip, made once per session."""
    return make_venv(str(tmp_path_factory.mktemp("venv") / "env"))


def _selftest() -> None:  # pragma: no cover - `python tests/index_support.py` for a look
    with tempfile.TemporaryDirectory() as d:
        idx = start_index(build_index(d))
        print(idx.url)
        idx.close()


if __name__ == "__main__":  # pragma: no cover
    _selftest()
