"""Locking with pip-compile and uv (hardpin.online.lock) against a real local index."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from index_support import (
    EXTRA,
    PASSWORD,
    PRIMARY,
    USER,
    IndexModel,
    LocalIndex,
    clean_env,
    index_server,
    local_index,
    pip_install,
    start_index,
    tool,
    venv_python,
)

from hardpin.online import lock as lock_mod
from hardpin.online.lock import LockError, compile_command, error_line, index_lines, lock
from hardpin.parsers.requirements import parse

HAVE_PIP_COMPILE = (
    importlib.util.find_spec("piptools") is not None or tool("pip-compile") is not None
)
HAVE_UV = tool("uv") is not None or importlib.util.find_spec("uv") is not None
BACKENDS = [
    pytest.param(
        "pip-compile",
        marks=pytest.mark.skipif(not HAVE_PIP_COMPILE, reason="pip-tools is not installed"),
    ),
    pytest.param("uv", marks=pytest.mark.skipif(not HAVE_UV, reason="uv is not installed")),
]
both = pytest.mark.skipif(not (HAVE_PIP_COMPILE and HAVE_UV), reason="needs pip-tools and uv")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """No pip/uv configuration of this machine; caches of this test only."""
    return clean_env(str(tmp_path / "tool-cache"))


def pins(text: str) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (version, sorted hashes) of a locked file."""
    out = {}
    for r in parse(text).requirements:
        assert r.name and r.exact_version, r.text
        out[r.name] = (
            r.exact_version,
            tuple(sorted(f"{h.algorithm}:{h.digest}" for h in r.hashes)),
        )
    return out


def body(text: str) -> str:
    """The locked file without its header comment."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1
    return "".join(lines[i:])


GAMMA_PINS = {"alpha": "1.1", "beta": "1.0", "gamma": "0.3", "multi-plat": "1.0.0"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_lock_resolves_hashes_and_installs(
    local_index: LocalIndex, venv_python: str, tmp_path: Path, env, backend
):
    src = tmp_path / "requirements.in"
    src.write_text("gamma\n")
    out = tmp_path / "requirements.txt"
    text = lock(str(src), str(out), index_urls=[local_index.url], backend=backend, env=env)
    got = pins(text)
    assert {k: v[0] for k, v in got.items()} == GAMMA_PINS
    for name, (version, hashes) in got.items():
        assert hashes == local_index.model.hashes(name, version), name
    assert len(got["multi-plat"][1]) == 5  # every platform's wheel and the sdist
    assert "#    hardpin lock requirements.in\n" in text
    assert f"\n--index-url {local_index.url}\n\nalpha==1.1 \\\n" in text
    assert "# via -r requirements.in" in text
    assert not out.exists()  # the caller writes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left

    out.write_text(text)
    done = pip_install(venv_python, str(out), local_index.url)
    assert done.returncode == 0, done.stderr
    # a second run gives the same text
    assert lock(str(src), str(out), index_urls=[local_index.url], backend=backend, env=env) == text


@both
def test_backends_agree(local_index: LocalIndex, tmp_path: Path, env):
    (tmp_path / "base.in").write_text("beta\n")
    src = tmp_path / "requirements.in"
    src.write_text("-r base.in\ngamma\nnohash==1.0\n")
    a = lock(
        str(src),
        str(tmp_path / "requirements.txt"),
        index_urls=[local_index.url],
        backend="pip-compile",
        env=env,
    )
    b = lock(
        str(src),
        str(tmp_path / "requirements.txt"),
        index_urls=[local_index.url],
        backend="uv",
        env=env,
    )
    pa, pb = pins(a), pins(b)
    assert {k: v[0] for k, v in pa.items()} == {**GAMMA_PINS, "nohash": "1.0"}
    # the known difference: when the index publishes no hash for some of a version's files,
    # pip-compile downloads and hashes them all, uv lists only the file it downloaded
    assert pa.pop("nohash")[1] == local_index.model.hashes("nohash", "1.0")
    assert len(pb.pop("nohash")[1]) == 1
    assert pa == pb
    # same layout after the header
    assert body(a).split("nohash==")[0] == body(b).split("nohash==")[0]


@both
def test_backends_with_an_extra_index(local_index: LocalIndex, tmp_path: Path, env):
    src = tmp_path / "requirements.in"
    src.write_text("beta\nextra-only\n")
    urls = [local_index.url, local_index.extra_url]
    a = pins(
        lock(str(src), str(tmp_path / "r.txt"), index_urls=urls, backend="pip-compile", env=env)
    )
    b = pins(lock(str(src), str(tmp_path / "r.txt"), index_urls=urls, backend="uv", env=env))
    assert (
        {k: v[0] for k, v in a.items()}
        == {k: v[0] for k, v in b.items()}
        == {"alpha": "1.1", "beta": "1.0", "extra-only": "0.1"}
    )
    assert a["alpha"][1] == local_index.model.hashes("alpha", "1.1", (PRIMARY, EXTRA))
    # uv hashes the files of the one index it took a version from
    assert set(b["alpha"][1]) < set(a["alpha"][1])
    assert a["extra-only"] == b["extra-only"] and a["beta"] == b["beta"]


@pytest.fixture
def own_index(tmp_path: Path):
    """A private index that a test may add releases to."""
    model = IndexModel(str(tmp_path / "own-index"))
    model.release("alpha", "1.0")
    model.release("beta", "1.0", deps=("alpha>=1.0",))
    idx = start_index(model)
    try:
        yield idx
    finally:
        idx.close()


@pytest.mark.parametrize("backend", BACKENDS)
def test_existing_pins_are_kept(own_index: LocalIndex, tmp_path: Path, env, backend):
    src = tmp_path / "requirements.in"
    src.write_text("beta\n")
    out = tmp_path / "requirements.txt"
    first = lock(str(src), str(out), index_urls=[own_index.url], backend=backend, env=env)
    assert pins(first)["alpha"][0] == "1.0"
    out.write_text(first)
    own_index.model.release("alpha", "1.3")
    assert lock(str(src), str(out), index_urls=[own_index.url], backend=backend, env=env) == first
    # without the old output, the new release is picked
    fresh = lock(
        str(src), str(tmp_path / "other.txt"), index_urls=[own_index.url], backend=backend, env=env
    )
    assert pins(fresh)["alpha"][0] == "1.3"


@pytest.mark.parametrize("backend", BACKENDS)
def test_relative_includes_resolve_from_the_input_directory(
    local_index: LocalIndex, tmp_path: Path, env, backend, monkeypatch
):
    proj = tmp_path / "proj"
    (proj / "reqs").mkdir(parents=True)
    (proj / "reqs" / "base.in").write_text("beta\n")
    (proj / "constraints.txt").write_text("alpha==1.0\n")
    (proj / "reqs" / "app.in").write_text("-r base.in\n-c ../constraints.txt\ngamma\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    text = lock(
        "../proj/reqs/app.in",
        "../proj/app.lock",
        index_urls=[local_index.url],
        backend=backend,
        env=env,
    )
    got = pins(text)
    assert got["alpha"][0] == "1.0"
    assert "-r base.in" in text
    assert "#    hardpin lock app.in -o ../app.lock\n" in text


@pytest.mark.parametrize("backend", BACKENDS)
def test_resolver_error_is_one_clear_line(local_index: LocalIndex, tmp_path: Path, env, backend):
    local_index.auth = (USER, PASSWORD)
    src = tmp_path / "requirements.in"
    src.write_text("no-such-project\n")
    with pytest.raises(LockError) as exc:
        lock(
            str(src),
            str(tmp_path / "r.txt"),
            index_urls=[local_index.url_with_auth()],
            backend=backend,
            env=env,
        )
    msg = str(exc.value)
    assert msg.startswith(f"{backend} failed: ") and "\n" not in msg
    assert "no-such-project" in msg
    assert PASSWORD not in msg


@pytest.mark.parametrize("backend", BACKENDS)
def test_credentials_are_used_and_not_written(
    local_index: LocalIndex, tmp_path: Path, env, backend
):
    local_index.auth = (USER, PASSWORD)
    src = tmp_path / "requirements.in"
    src.write_text("beta\n")
    text = lock(
        str(src),
        str(tmp_path / "r.txt"),
        index_urls=[local_index.url_with_auth()],
        backend=backend,
        env=env,
    )
    assert pins(text)["beta"][1] == local_index.model.hashes("beta", "1.0")
    assert PASSWORD not in text and "--index-url" not in text


def test_machine_configuration_is_ignored(local_index: LocalIndex, tmp_path: Path, env):
    """PIP_*/UV_* index variables and pip.conf do not add indexes behind the given ones."""
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = http://127.0.0.1:1/simple/\n")
    env = {
        **env,
        "PIP_CONFIG_FILE": str(conf),
        "PIP_INDEX_URL": "http://127.0.0.1:1/simple/",
        "PIP_FIND_LINKS": str(tmp_path),
        "UV_INDEX_URL": "http://127.0.0.1:1/simple/",
        "UV_EXTRA_INDEX_URL": "http://127.0.0.1:1/simple/",
    }
    src = tmp_path / "requirements.in"
    src.write_text("beta\n")
    text = lock(str(src), str(tmp_path / "r.txt"), index_urls=[local_index.url], env=env)
    assert pins(text)["beta"][0] == "1.0"


def test_auto_prefers_uv(monkeypatch):
    monkeypatch.setattr(lock_mod, "_executable", lambda name: f"/opt/bin/{name}")
    assert lock_mod.find_backend("auto") == ("uv", ["/opt/bin/uv", "pip", "compile"])


def test_auto_falls_back_to_pip_compile(monkeypatch):
    monkeypatch.setattr(
        lock_mod, "_executable", lambda name: None if name == "uv" else f"/x/{name}"
    )
    monkeypatch.setitem(sys.modules, "uv", None)
    name, cmd = lock_mod.find_backend("auto")
    assert name == "pip-compile"
    assert cmd in ([sys.executable, "-m", "piptools", "compile"], ["/x/pip-compile"])


def test_no_backend_installed(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(lock_mod, "_executable", lambda name: None)
    monkeypatch.setitem(sys.modules, "uv", None)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "piptools" else real(name, *a)
    )
    src = tmp_path / "requirements.in"
    src.write_text("beta\n")
    for backend, what in (
        ("auto", "neither uv nor pip-compile is installed"),
        ("uv", "uv is not installed"),
        ("pip-compile", "pip-compile (pip-tools) is not installed"),
    ):
        with pytest.raises(LockError) as exc:
            lock(
                str(src), str(tmp_path / "r.txt"), index_urls=["https://x/simple/"], backend=backend
            )
        assert str(exc.value) == f"{what}; install one with: pip install 'hardpin[lock]'"
    with pytest.raises(LockError, match="unknown lock backend"):
        lock_mod.find_backend("poetry")


def test_missing_input(tmp_path: Path):
    if not (HAVE_UV or HAVE_PIP_COMPILE):
        pytest.skip("no lock backend")
    with pytest.raises(LockError, match="no such file"):
        lock(str(tmp_path / "nope.in"), str(tmp_path / "nope.txt"), index_urls=[])


# ---------------------------------------------------------------------------
# helpers


def test_index_lines():
    assert index_lines(["https://pypi.org/simple/"]) == []
    assert index_lines(["https://pypi.org/simple", "https://x/simple/"]) == [
        "--extra-index-url https://x/simple/"
    ]
    assert index_lines(["https://a/simple/", "https://b/simple/", "https://a/simple/"]) == [
        "--index-url https://a/simple/",
        "--extra-index-url https://b/simple/",
    ]
    assert index_lines(["https://a/simple/", "https://u:p@b/simple/"]) == []


def test_compile_command(tmp_path: Path):
    assert (
        compile_command(str(tmp_path / "requirements.in"), str(tmp_path / "requirements.txt"))
        == "hardpin lock requirements.in"
    )
    assert (
        compile_command(str(tmp_path / "dev.in"), str(tmp_path / "locks" / "dev.txt"))
        == "hardpin lock dev.in -o locks/dev.txt"
    )
    assert (
        compile_command(str(tmp_path / "my reqs.in"), str(tmp_path / "my reqs.txt"))
        == "hardpin lock 'my reqs.in'"
    )


@pytest.mark.parametrize(
    "stderr, want",
    [
        (
            (
                "Traceback (most recent call last):\n  File ...\n"
                "pip._internal.exceptions.DistributionNotFound: No matching distribution found for nope\n"
            ),
            "No matching distribution found for nope",
        ),
        (
            (
                "  × No solution found when resolving dependencies:\n  ╰─▶ Because nope was not found in "
                "the package registry and you require nope, we can conclude that your requirements are "
                "unsatisfiable.\n"
            ),
            (
                "Because nope was not found in the package registry and you require nope, "
                "we can conclude that your requirements are unsatisfiable."
            ),
        ),
        (
            "error: No solution found when resolving dependencies\n  cause: Because x was not found\n\n",
            "Because x was not found",
        ),
        (
            "ERROR: Could not open https://user:pw@host/simple/x/\n",
            "Could not open https://***@host/simple/x/",
        ),
        ("", "no error message"),
    ],
)
def test_error_line(stderr, want):
    assert error_line(stderr) == want
