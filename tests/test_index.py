"""The package index client (hardpin.online.pypi) against a real local index."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from index_support import (
    EXTRA,
    PASSWORD,
    PRIMARY,
    USER,
    LocalIndex,
    fill_hashes,
    index_server,
    local_index,
    pip_install,
    unreachable_url,
    venv_python,
)

from hardpin.online.cache import Cache
from hardpin.online.http import Http
from hardpin.online.pypi import (
    DEFAULT_INDEX_URL,
    IndexLookupError,
    file_hashes,
    file_version,
    index_urls_for,
    parse_html,
    parse_json,
)
from hardpin.parsers.requirements import parse


def _http() -> Http:
    return Http(insecure_hosts=None, retries=1, backoff=0.0, timeout=5.0)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(str(tmp_path / "cache"))


# ---------------------------------------------------------------------------
# hashes


@pytest.mark.parametrize("mode", ["both", "json", "html"])
def test_every_format_gives_the_same_hashes(local_index: LocalIndex, tmp_path: Path, mode: str):
    local_index.mode = mode
    got = file_hashes(_http(), Cache(str(tmp_path / mode)), [local_index.url], "gamma", "0.3")
    assert got == local_index.model.hashes("gamma", "0.3")
    assert local_index.formats == ["html" if mode == "html" else "json"]


def test_json_is_asked_for_first_and_html_is_the_fallback(local_index: LocalIndex, tmp_path: Path):
    local_index.mode = "both"
    a = file_hashes(_http(), Cache(str(tmp_path / "a")), [local_index.url], "Multi.Plat", "1.0.0")
    local_index.mode = "html"
    b = file_hashes(_http(), Cache(str(tmp_path / "b")), [local_index.url], "Multi.Plat", "1.0.0")
    assert a == b
    assert local_index.formats == ["json", "html"]


def test_every_platform_wheel_and_the_sdist(local_index: LocalIndex, cache: Cache):
    got = file_hashes(_http(), cache, [local_index.url], "Multi_Plat", "1.0.0")
    files = local_index.model.files("multi-plat", "1.0.0")
    assert len(files) == 5 and {f.filename.rsplit("-", 1)[-1] for f in files} >= {
        "manylinux_2_17_x86_64.whl",
        "win_amd64.whl",
        "macosx_11_0_arm64.whl",
        "any.whl",
    }
    assert got == tuple(sorted(f"sha256:{f.sha256}" for f in files))
    assert all(h.startswith("sha256:") and len(h) == 71 for h in got)
    # the other version's files are not mixed in
    assert not set(got) & set(local_index.model.hashes("multi-plat", "0.9.0"))


@pytest.mark.parametrize(
    "name, version",
    [
        ("multi-plat", "1.0"),  # PEP 440: 1.0 == 1.0.0
        ("MULTI.PLAT", "1.0.0"),  # PEP 503 name normalisation
        ("multi__plat", "1.0.0.0"),
    ],
)
def test_names_and_versions_are_normalised(local_index: LocalIndex, cache: Cache, name, version):
    assert file_hashes(
        _http(), cache, [local_index.url], name, version
    ) == local_index.model.hashes("multi-plat", "1.0.0")


def test_pre_release_pin(local_index: LocalIndex, cache: Cache):
    assert file_hashes(
        _http(), cache, [local_index.url], "alpha", "1.2.0rc1"
    ) == local_index.model.hashes("alpha", "1.2rc1")


def test_yanked_files_are_included_like_pip_compile(local_index: LocalIndex, cache: Cache):
    got = file_hashes(_http(), cache, [local_index.url], "alpha", "2.0")
    assert len(got) == 2 and got == local_index.model.hashes("alpha", "2.0")


def test_a_file_without_a_published_hash_is_downloaded_and_hashed(
    local_index: LocalIndex, cache: Cache
):
    got = file_hashes(_http(), cache, [local_index.url], "nohash", "1.0")
    assert got == local_index.model.hashes("nohash", "1.0")
    assert [p for p in local_index.paths if p.startswith("/files/")] == [
        "/files/0/nohash-1.0-py3-none-any.whl"
    ]


def test_extra_indexes_are_merged(local_index: LocalIndex, cache: Cache):
    urls = [local_index.url, local_index.extra_url]
    got = file_hashes(_http(), cache, urls, "alpha", "1.1")
    assert len(got) == 3
    assert got == local_index.model.hashes("alpha", "1.1", (PRIMARY, EXTRA))
    # a project only on the extra index; the primary's 404 is not an error
    assert file_hashes(_http(), cache, urls, "extra-only", "0.1") == local_index.model.hashes(
        "extra-only", "0.1", (EXTRA,)
    )


def test_a_project_missing_on_one_index_is_found_on_another(local_index: LocalIndex, cache: Cache):
    local_index.missing.add(f"{PRIMARY}/alpha")
    got = file_hashes(_http(), cache, [local_index.url, local_index.extra_url], "alpha", "1.1")
    assert got == local_index.model.hashes("alpha", "1.1", (EXTRA,))


# ---------------------------------------------------------------------------
# errors


def test_missing_version_names_nearby_versions(local_index: LocalIndex, cache: Cache):
    with pytest.raises(IndexLookupError) as exc:
        file_hashes(_http(), cache, [local_index.url], "alpha", "1.5")
    msg = str(exc.value)
    assert msg == (
        f"alpha has no version 1.5 on the package index {local_index.url} "
        "(nearby versions: 1.0, 1.1, 1.2rc1, 2.0)"
    )


def test_missing_version_on_several_indexes(local_index: LocalIndex, cache: Cache):
    with pytest.raises(
        IndexLookupError,
        match=r"alpha has no version 0\.1 on the package indexes "
        r"http://127\.0\.0\.1:\d+/simple/, http://127\.0\.0\.1:\d+/extra/simple/ "
        r"\(nearby versions: 1\.0, 1\.1, 1\.2rc1\)",
    ):
        file_hashes(_http(), cache, [local_index.url, local_index.extra_url], "alpha", "0.1")


def test_missing_project(local_index: LocalIndex, cache: Cache):
    with pytest.raises(IndexLookupError) as exc:
        file_hashes(_http(), cache, [local_index.url], "no-such-project", "1.0")
    assert (
        str(exc.value) == f"no-such-project: no such project on the package index {local_index.url}"
    )


def test_invalid_version(local_index: LocalIndex, cache: Cache):
    with pytest.raises(IndexLookupError, match="not a valid version"):
        file_hashes(_http(), cache, [local_index.url], "alpha", "one")
    assert local_index.requests == 0


def test_unreachable_index(cache: Cache):
    url = unreachable_url()
    with pytest.raises(IndexLookupError) as exc:
        file_hashes(_http(), cache, [url], "alpha", "1.0")
    assert str(exc.value) == f"cannot reach the package index {url} (connection refused)"


def test_unreachable_extra_index_is_an_error(local_index: LocalIndex, cache: Cache):
    """Files of an unreachable index would be missing from the hashes: never guess."""
    with pytest.raises(IndexLookupError, match="cannot reach the package index"):
        file_hashes(_http(), cache, [local_index.url, unreachable_url()], "alpha", "1.0")


def test_server_error(local_index: LocalIndex, cache: Cache):
    local_index.fail_status = 500
    with pytest.raises(IndexLookupError) as exc:
        file_hashes(_http(), cache, [local_index.url], "alpha", "1.0")
    assert str(exc.value) == f"the package index {local_index.url} answered HTTP 500 for alpha"
    assert local_index.requests == 2  # one retry


def test_credentials_are_used_and_never_shown(local_index: LocalIndex, tmp_path: Path):
    local_index.auth = (USER, PASSWORD)
    cache_dir = tmp_path / "cache"
    cache = Cache(str(cache_dir))
    url = local_index.url_with_auth()
    assert file_hashes(_http(), cache, [url], "beta", "1.0") == local_index.model.hashes(
        "beta", "1.0"
    )
    assert file_hashes(_http(), cache, [url], "nohash", "1.0")  # file downloads authenticate too
    messages = []
    for urls, project, version in [
        ([url], "beta", "7.0"),
        ([url], "missing-project", "1.0"),
        ([local_index.url_with_auth(password="wrong-Pa55")], "gamma", "0.3"),
        ([f"http://{USER}:{PASSWORD}@127.0.0.1:1/simple/"], "beta", "1.0"),
        ([local_index.url], "gamma", "0.3"),  # no credentials at all
    ]:
        with pytest.raises(IndexLookupError) as exc:
            file_hashes(_http(), cache, urls, project, version)
        messages.append(str(exc.value))
    assert "refused access to gamma (HTTP 401)" in messages[2]
    assert "refused access to gamma (HTTP 401)" in messages[4]
    for msg in messages:
        assert PASSWORD not in msg and "wrong-Pa55" not in msg and f"{USER}:" not in msg, msg
        assert "@" not in msg, msg
    cache.close()
    stored = b"".join(p.read_bytes() for p in cache_dir.iterdir() if p.is_file())
    assert b"beta" in stored  # the answers are there, the credentials are not
    assert PASSWORD.encode() not in stored and USER.encode() not in stored


# ---------------------------------------------------------------------------
# cache


def test_second_run_is_served_from_the_cache(local_index: LocalIndex, tmp_path: Path):
    root = str(tmp_path / "cache")
    urls = [local_index.url, local_index.extra_url]
    first = [
        file_hashes(_http(), Cache(root), urls, p, v)
        for p, v in [("gamma", "0.3"), ("alpha", "1.1"), ("nohash", "1.0"), ("extra-only", "0.1")]
    ]
    assert local_index.requests > 0
    local_index.reset()
    http = _http()
    again = [
        file_hashes(http, Cache(root), urls, p, v)
        for p, v in [("gamma", "0.3"), ("alpha", "1.1"), ("nohash", "1.0"), ("extra-only", "0.1")]
    ]
    assert again == first
    assert local_index.requests == 0 and http.requests == 0


def test_the_page_is_cached_for_other_versions(local_index: LocalIndex, cache: Cache):
    file_hashes(_http(), cache, [local_index.url], "alpha", "1.0")
    n = local_index.requests
    file_hashes(_http(), cache, [local_index.url], "alpha", "1.1")
    assert local_index.requests == n == 1


def test_an_expired_page_is_fetched_again(local_index: LocalIndex, cache: Cache):
    file_hashes(_http(), cache, [local_index.url], "alpha", "1.0", page_ttl=0)
    file_hashes(_http(), cache, [local_index.url], "alpha", "1.0", page_ttl=0)  # result cached
    assert local_index.requests == 1
    file_hashes(_http(), cache, [local_index.url], "alpha", "1.1", page_ttl=0)
    assert local_index.requests == 2


def test_refresh_ignores_the_cache(local_index: LocalIndex, tmp_path: Path):
    root = str(tmp_path / "cache")
    file_hashes(_http(), Cache(root), [local_index.url], "beta", "1.0")
    file_hashes(_http(), Cache(root, refresh=True), [local_index.url], "beta", "1.0")
    assert local_index.requests == 2


def test_offline(local_index: LocalIndex, tmp_path: Path):
    root = str(tmp_path / "cache")
    online = file_hashes(_http(), Cache(root), [local_index.url], "beta", "1.0")
    local_index.reset()
    http = _http()
    assert file_hashes(http, Cache(root, offline=True), [local_index.url], "beta", "1.0") == online
    with pytest.raises(IndexLookupError) as exc:
        file_hashes(http, Cache(root, offline=True), [local_index.url], "gamma", "0.3")
    assert str(exc.value) == (
        f"gamma: the page of {local_index.url} is not in the cache, and the run is offline"
    )
    assert http.requests == 0 and local_index.requests == 0


def test_a_missing_project_page_is_cached(local_index: LocalIndex, cache: Cache):
    urls = [local_index.url, local_index.extra_url]
    file_hashes(_http(), cache, urls, "extra-only", "0.1")
    local_index.reset()
    file_hashes(_http(), cache, urls, "extra-only", "0.1")
    assert local_index.requests == 0


# ---------------------------------------------------------------------------
# page parsing and file names


def test_parse_html_details():
    body = b"""<html><head><base href="https://files.example/base/"></head><body>
    <a href="pkg-1.0.tar.gz#md5=0123&amp;sha256=ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
       data-requires-python="&gt;=3.8">pkg-1.0.tar.gz</a>
    <a href="/abs/pkg-1.0-py3-none-any.whl" data-yanked>x</a>
    <a href="pkg-1.1-py3-none-any.whl#sha256=short" data-yanked="bad">pkg-1.1</a>
    </body></html>"""
    files = parse_html(body, "https://index.example/simple/pkg/")
    assert files[0] == {
        "filename": "pkg-1.0.tar.gz",
        "url": "https://files.example/base/pkg-1.0.tar.gz",
        "sha256": "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        "yanked": False,
        "requires_python": ">=3.8",
    }
    assert files[1]["url"] == "https://files.example/abs/pkg-1.0-py3-none-any.whl"
    assert files[1]["yanked"] is True and files[1]["sha256"] is None
    assert files[2]["yanked"] is True and files[2]["sha256"] is None  # not a sha256 digest
    assert files[2]["bad_sha256"] == "short" and "bad_sha256" not in files[1]


def test_parse_json_details():
    body = b"""{"meta": {"api-version": "1.1"}, "name": "pkg", "files": [
      {"filename": "pkg-1.0.tar.gz", "url": "../../files/pkg-1.0.tar.gz", "hashes": {"sha512": "00"},
       "yanked": "reason"},
      {"filename": "pkg-1.0-py3-none-any.whl", "url": "https://cdn.example/p.whl",
       "hashes": {"sha256": "ab" }, "requires-python": ">=3.9"}]}"""
    files = parse_json(body, "https://index.example/simple/pkg/")
    assert files[0]["url"] == "https://index.example/files/pkg-1.0.tar.gz"
    assert files[0]["sha256"] is None and files[0]["yanked"] is True
    # named by the URL, as pip names it: the `filename` field is not trusted
    assert files[1]["filename"] == "p.whl" and files[1]["requires_python"] == ">=3.9"
    assert files[1]["sha256"] is None and files[1]["bad_sha256"] == "ab"
    with pytest.raises(ValueError):
        parse_json(b"[]", "https://index.example/simple/pkg/")


@pytest.mark.parametrize(
    "filename, project, version",
    [
        ("Foo_Bar-1.0-py3-none-any.whl", "foo-bar", "1.0"),
        (
            "foo_bar-1.0.post1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "foo-bar",
            "1.0.post1",
        ),
        ("foo-bar-2.0.tar.gz", "foo-bar", "2.0"),
        ("Foo.Bar-2.0rc1.zip", "foo-bar", "2.0rc1"),
        ("foo-bar-2.0.tar.bz2", "foo-bar", "2.0"),
        ("foo-bar-2.0.tar.gz", "foo", None),  # another project's file on a shared page
        ("foo_bar-1.0-py3-none-any.whl", "foo", None),
        ("foo-bar-2.0-py2.7.egg", "foo-bar", None),
        ("foo-bar-latest.tar.gz", "foo-bar", None),
    ],
)
def test_file_version(filename, project, version):
    v = file_version(filename, project)
    assert (None if v is None else str(v)) == version


# ---------------------------------------------------------------------------
# index URL precedence


@pytest.mark.parametrize(
    "file_urls, environ, cli, want",
    [
        ((), {}, None, (DEFAULT_INDEX_URL,)),
        ((), {}, "https://cli/simple", ("https://cli/simple",)),
        (
            (),
            {"PIP_INDEX_URL": "https://env/simple"},
            "https://cli/simple",
            ("https://cli/simple",),  # the command line beats the environment, as in pip
        ),
        (
            (),
            {
                "PIP_INDEX_URL": "https://env/simple",
                "PIP_EXTRA_INDEX_URL": " https://e1 https://e2 ",
            },
            None,
            ("https://env/simple", "https://e1", "https://e2"),
        ),
        (
            (),
            {"PIP_EXTRA_INDEX_URL": "https://e1"},
            "https://cli/simple",
            ("https://cli/simple", "https://e1"),
        ),
        ((), {"PIP_EXTRA_INDEX_URL": "https://e1"}, None, (DEFAULT_INDEX_URL, "https://e1")),
        (
            ("https://file/simple", "https://file-extra"),
            {"PIP_INDEX_URL": "https://env/simple"},
            "https://cli/simple",
            ("https://file/simple", "https://file-extra"),
        ),
        (
            ("https://${HOST}/simple", "https://a", "https://a"),
            {"HOST": "h.example"},
            None,
            ("https://h.example/simple", "https://a"),
        ),
    ],
)
def test_index_urls_for(file_urls, environ, cli, want):
    assert index_urls_for(file_urls, environ, cli) == want


def test_index_urls_for_a_file_with_only_extra_index_urls():
    got = index_urls_for(
        ("https://file-extra",),
        {"PIP_EXTRA_INDEX_URL": "https://e1"},
        "https://cli/simple",
        file_extra_only=True,
    )
    assert got == ("https://cli/simple", "https://e1", "https://file-extra")


# ---------------------------------------------------------------------------
# end to end: fill in hashes, then pip installs with --require-hashes


REQUIREMENTS = """\
# pinned, not hashed
gamma==0.3
beta==1.0  # needed by gamma
alpha==1.1
Multi.Plat==1.0.0
"""


def test_filled_hashes_install_with_pip_and_catch_a_changed_file(
    local_index: LocalIndex, venv_python: str, tmp_path: Path
):
    req = tmp_path / "requirements.txt"
    req.write_text(REQUIREMENTS)
    fill_hashes(str(req), local_index.url, str(tmp_path / "cache"))
    text = req.read_text()
    parsed = parse(text)
    assert [r.name for r in parsed.requirements] == ["gamma", "beta", "alpha", "Multi.Plat"]
    for r in parsed.requirements:
        assert tuple(
            sorted(f"{h.algorithm}:{h.digest}" for h in r.hashes)
        ) == local_index.model.hashes(r.name, r.exact_version)
    assert "beta==1.0 \\\n    --hash=sha256:" in text and "  # needed by gamma\n" in text

    ok = pip_install(venv_python, str(req), local_index.url)
    assert ok.returncode == 0, ok.stderr
    assert "Successfully installed" in ok.stdout
    shown = subprocess.run(
        [venv_python, "-c", "import gamma, multi_plat; print(gamma.__version__, multi_plat.TAG)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert shown[0] == "0.3" and "manylinux" in shown[1]

    wheel = next(
        f.filename
        for f in local_index.model.files("multi-plat", "1.0.0")
        if "manylinux" in f.filename
    )
    with local_index.tampered(wheel):
        bad = pip_install(venv_python, str(req), local_index.url)
    assert bad.returncode != 0
    assert "THESE PACKAGES DO NOT MATCH THE HASHES" in bad.stderr
    assert wheel.split("-")[0] in bad.stderr or "multi" in bad.stderr.lower()


def test_fill_hashes_second_run_needs_no_request(local_index: LocalIndex, tmp_path: Path):
    cache = str(tmp_path / "cache")
    a, b = tmp_path / "a" / "requirements.txt", tmp_path / "b" / "requirements.txt"
    for f in (a, b):
        f.parent.mkdir()
        f.write_text(REQUIREMENTS)
    assert fill_hashes(str(a), local_index.url, cache) > 0
    assert fill_hashes(str(b), local_index.url, cache) == 0
    assert a.read_text() == b.read_text() != REQUIREMENTS
    assert os.path.isdir(cache)


def test_redaction_takes_the_whole_user_info_even_with_a_raw_at_sign():
    from hardpin.urls import redact_text

    text = "https://user:p@ss@idx.example/simple/ then git+ssh://git@github.com/o/r"
    assert redact_text(text) == "https://***@idx.example/simple/ then git+ssh://git@github.com/o/r"


# ---------------------------------------------------------------------------
# An index that lies (its pages replaced through `local_index.pages`)


def _page(local_index: LocalIndex, project: str, edit) -> None:
    """Serve `project`'s real PEP 691 page on the primary index after `edit(files)`."""
    import json

    from index_support import JSON_TYPE

    doc = json.loads(local_index.project_json(PRIMARY, project))
    edit(doc["files"])
    local_index.pages[f"{PRIMARY}/{project}"] = (JSON_TYPE, json.dumps(doc).encode())


def test_files_are_attributed_by_url_not_by_the_filename_field(
    local_index: LocalIndex, cache: Cache
):
    beta_wheel = next(d for d in local_index.model.files("beta", "1.0") if d.kind == "bdist_wheel")
    alpha_sdist = next(d for d in local_index.model.files("alpha", "1.0") if d.kind == "sdist")

    def lie(files):
        # a foreign file (beta's wheel) named as one of alpha 1.0's ...
        files.append(
            {
                "filename": "alpha-1.0-py3-none-any.whl",
                "url": f"{local_index.base}files/0/{beta_wheel.filename}",
                "hashes": {"sha256": beta_wheel.sha256},
            }
        )
        # ... and a real file of alpha 1.0 named as something else
        for f in files:
            if f["filename"] == alpha_sdist.filename:
                f["filename"] = "unrelated-9.9.tar.gz"

    _page(local_index, "alpha", lie)
    got = file_hashes(_http(), cache, [local_index.url], "alpha", "1.0")
    assert got == local_index.model.hashes("alpha", "1.0")  # as pip sees the files
    assert f"sha256:{beta_wheel.sha256}" not in got
    assert f"sha256:{alpha_sdist.sha256}" in got


@pytest.mark.parametrize(
    "bad",
    ["0" * 64, "f" * 64, "abc" * 21, "a" * 65, "g" * 64, "ab\ncd" + "0" * 59],
    ids=["zeros", "one-digit", "short", "long", "not-hex", "newline"],
)
def test_a_malformed_published_hash_is_refused(local_index: LocalIndex, cache: Cache, bad: str):
    def lie(files):
        for f in files:
            if f["filename"].startswith("alpha-1.0-"):
                f["hashes"] = {"sha256": bad}

    _page(local_index, "alpha", lie)
    with pytest.raises(IndexLookupError, match=r"alpha-1\.0-.* publishes a malformed sha256"):
        file_hashes(_http(), cache, [local_index.url], "alpha", "1.0")
    # the other versions' files are not touched by it
    assert file_hashes(_http(), cache, [local_index.url], "alpha", "1.1") == (
        local_index.model.hashes("alpha", "1.1")
    )


def test_a_download_to_hash_is_capped(local_index: LocalIndex, cache: Cache):
    with pytest.raises(IndexLookupError, match="too large to hash locally"):
        file_hashes(_http(), cache, [local_index.url], "nohash", "1.0", download_limit=100)


def test_a_deeply_nested_page_is_a_clear_error(local_index: LocalIndex, cache: Cache):
    from index_support import JSON_TYPE

    local_index.pages[f"{PRIMARY}/alpha"] = (
        JSON_TYPE,
        b'{"files": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
    )
    with pytest.raises(IndexLookupError, match="neither PEP 691 JSON nor PEP 503 HTML"):
        file_hashes(_http(), cache, [local_index.url], "alpha", "1.0")


def test_cached_hashes_are_checked_when_read(local_index: LocalIndex, cache: Cache):
    want = local_index.model.hashes("alpha", "1.0")
    assert file_hashes(_http(), cache, [local_index.url], "alpha", "1.0") == want
    key = f"{local_index.url}\0alpha\0001.0"
    assert cache.get("pypi-hashes", key) == list(want)  # the entry the next call reads
    cache.put("pypi-hashes", key, ["sha256:" + "e" * 64 + "\nRUN curl x | sh"])
    assert file_hashes(_http(), cache, [local_index.url], "alpha", "1.0") == want


@pytest.mark.parametrize(
    "filename",
    [
        "foo-1.0-py3-none-any.whl",
        "Foo_Bar-1.0-py3-none-any.whl",
        "foo.bar-1.0-1-py2.py3-none-any.whl",
        "foo-1.0-12abc-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "foo-1.0-x1-py3-none-any.whl",  # a build tag must start with a digit
        "foo__bar-1.0-py3-none-any.whl",
        "foo-not.a.version-py3-none-any.whl",
        "foo-1.0-py3-none-any-extra-part.whl",
        "foo-1.0-none-any.whl",
        "foo-1.0-3py-none-any.whl",  # the interpreter is not an identifier
        "foo-1.0-py3..py2-none-any.whl",  # an empty tag component
        "foo-1.0-py3-none-.whl",
        "-1.0-py3-none-any.whl",
        "f\u00f6o-1.0-py3-none-any.whl",
        "foo-1.0-py3-none-any.whl.whl",
    ],
)
def test_wheel_names_read_without_packaging_tags_agree_with_packaging(filename):
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename
    from packaging.version import InvalidVersion

    try:
        name, version, _build, _tags = parse_wheel_filename(filename)
    except (InvalidWheelFilename, InvalidVersion):
        name, version = None, None
    for project in ("foo", "foo-bar"):
        want = str(version) if name == project else None
        got = file_version(filename, project)
        assert (None if got is None else str(got)) == want, project
