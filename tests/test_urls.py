"""hardpin.urls: no fragment of a password or token survives redaction, in any output.

The table holds URLs whose secret sits where naive parsers stop looking: a raw
`@`, `/`, `#`, `?`, `\\` or space in the password, percent-encoding, secret
query parameters, a token as the user name, IPv6 hosts, no scheme, VCS URLs.
Every substring of three or more characters of each secret must be gone from
`redact`, `display_url` and `redact_text`, from every output format of the
command line, and from the errors of a `--fix` that cannot reach an index.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from index_support import free_port

from hardpin.engine import lint_text
from hardpin.settings import Settings
from hardpin.urls import (
    canonical_name,
    display_url,
    has_credentials,
    redact,
    redact_text,
    split_userinfo,
    userinfo,
)

P = "pX7kQ2"  # halves of passwords: the hard character goes between them
TOKEN = "tK8vR3mZwQ"
LONG_TOKEN = "Zq7vR3mZwXJxY2zJ3bCUdE5fWq"


def fragments(secret: str) -> set[str]:
    """Every substring of `secret` of 3 characters or more."""
    return {secret[i:j] for i in range(len(secret)) for j in range(i + 3, len(secret) + 1)}


def leaks(text: str, secrets: list[str]) -> list[str]:
    return sorted(f for s in secrets for f in fragments(s) if f in text)


# (id, URL, secrets, text that must stay visible in display_url)
HARD = [
    ("plain", f"https://user:{P}@idx.example/simple/", [P], "idx.example/simple/"),
    ("raw-at", "https://user:pX7@kQ2@idx.example/simple/", ["pX7@kQ2"], "idx.example/simple/"),
    ("two-raw-at", "https://user:pX7@kQ2@zR5@idx.example/s/", ["pX7@kQ2@zR5"], "idx.example/s/"),
    ("slash", "https://user:pX7/kQ2@idx.example/simple/", ["pX7/kQ2"], "idx.example/simple/"),
    ("slash-at", "https://user:pX7/kQ@2zR@idx.example/s/", ["pX7/kQ@2zR"], "idx.example/s/"),
    ("hash", "https://user:pX7#kQ2@idx.example/simple/", ["pX7#kQ2"], "idx.example/simple/"),
    ("question", "https://user:pX7?kQ2@idx.example/simple/", ["pX7?kQ2"], "idx.example/simple/"),
    ("space", "https://user:pX7 kQ2@idx.example/simple/", ["pX7 kQ2"], "idx.example/simple/"),
    ("backslash", "https://user:pX7\\kQ2@idx.example/simple/", ["pX7\\kQ2"], "idx.example/"),
    (
        "all-at-once",
        "https://u:pX7/?#@ k\\Q2@idx.example/simple/",
        ["pX7/?#@ k\\Q2"],
        "idx.example/",
    ),
    ("digits-slash", "https://user:8841/2273@idx.example/simple/", ["8841/2273"], "idx.example/"),
    (
        "dotted-user-digits",
        "https://dep.bot:8841/2273@idx.example/s/",
        ["8841/2273"],
        "idx.example/",
    ),
    (
        "percent",
        "https://user:pX7%40kQ2%2Fz@idx.example/simple/",
        ["pX7%40kQ2%2Fz", "pX7@kQ2/z"],
        "idx.example/simple/",
    ),
    ("token-query", f"https://idx.example/simple/?token={TOKEN}", [TOKEN], "idx.example/simple/"),
    (
        "access-token",
        f"https://idx.example/simple/?page=2&access_token={TOKEN}#top",
        [TOKEN],
        "idx.example/simple/",
    ),
    ("auth", f"https://idx.example/s/?auth={TOKEN}", [TOKEN], "idx.example/s/"),
    ("key", f"https://idx.example/s/?a=1&key={TOKEN}", [TOKEN], "idx.example/s/"),
    ("password", f"https://idx.example/s/?user=me&password={TOKEN}", [TOKEN], "idx.example/s/"),
    ("secret", f"https://idx.example/s/?client_secret={TOKEN}", [TOKEN], "idx.example/s/"),
    ("azure-sas", f"https://acct.example/c/f.whl?sv=2020&sig={TOKEN}", [TOKEN], "acct.example/c/"),
    (
        "s3-presigned",
        f"https://b.example/f.tgz?X-Amz-Credential=AKIAQZ7W&X-Amz-Signature={TOKEN}",
        [TOKEN, "AKIAQZ7W"],
        "b.example/f.tgz",
    ),
    ("private-token", f"https://gl.example/api?private_token={TOKEN}", [TOKEN], "gl.example/api"),
    ("user-only-token", f"https://{LONG_TOKEN}@github.com/o/r", [LONG_TOKEN], "github.com/o/r"),
    ("ipv6", f"https://user:{P}@[::1]:8080/simple/", [P], "[::1]:8080/simple/"),
    ("ipv6-raw-at", "https://user:pX7@kQ2@[::1]/simple/", ["pX7@kQ2"], "[::1]/simple/"),
    ("port", f"https://user:{P}@idx.example:8080/simple", [P], "idx.example:8080/simple"),
    ("no-scheme", "user:pX7/kQ2@idx.example/simple/", ["pX7/kQ2"], "idx.example/simple/"),
    ("no-scheme-at", "user:pX7@kQ2@idx.example/simple/", ["pX7@kQ2"], "idx.example/simple/"),
    ("upper-scheme", f"HTTPS://user:{P}@IDX.example/simple/", [P], "IDX.example/simple/"),
    (
        "git+https",
        "git+https://user:pX7@kQ2@github.com/o/r.git@v1.0#egg=r",
        ["pX7@kQ2"],
        "github.com/o/r.git@v1.0",
    ),
    ("git+https-slash", "git+https://user:pX7/kQ2@github.com/o/r.git@v1.0", ["pX7/kQ2"], "v1.0"),
    ("git+https-token", f"git+https://{LONG_TOKEN}@github.com/o/r.git", [LONG_TOKEN], "github.com"),
    ("cut-at-space", f"https://user:{P}", [P], "https://"),
]
IDS = [c[0] for c in HARD]


@pytest.mark.parametrize(("url", "secrets", "shown"), [c[1:] for c in HARD], ids=IDS)
def test_no_secret_fragment_survives(url: str, secrets: list[str], shown: str) -> None:
    assert leaks(redact(url), secrets) == []
    assert leaks(display_url(url), secrets) == []
    assert shown in display_url(url)
    if "://" not in url:
        return  # in free text only `scheme://` URLs are looked for
    for text in (
        f"cannot open {url}: connection refused",
        f"`{url}` is not pinned",
        f"ERROR: Could not find {url}\nnext line",
        f"({url})",
    ):
        assert leaks(redact_text(text), secrets) == [], text


@pytest.mark.parametrize("url", [c[1] for c in HARD[:-1]], ids=IDS[:-1])
def test_hard_cases_have_credentials(url: str) -> None:
    assert has_credentials(url)


def test_the_words_around_a_url_stay() -> None:
    text = "x https://user:pX7 kQ2@idx.example/s/ failed: see https://idx.example/help?token=tok1"
    assert (
        redact_text(text)
        == "x https://***@idx.example/s/ failed: see https://idx.example/help?token=***"
    )
    assert redact_text("no url here: user:pw@host") == "no url here: user:pw@host"
    assert redact_text("a\nhttps://u:pX7@kQ2@h.example/x\nb") == "a\nhttps://***@h.example/x\nb"


@pytest.mark.parametrize(
    "url",
    [
        "git+ssh://git@github.com/o/r.git@v1.0#egg=r",
        "ssh://deploy@host.example/repo.git",
        "https://unpkg.com/react@18/umd/react.production.min.js",
        "https://cdn.jsdelivr.net/gh/o/r@0123456789abcdef0123456789abcdef01234567/x.sh",
        "https://registry.npmjs.org/@scope/pkg/-/pkg-1.0.0.tgz",
        "https://files.example/pkg-1.0.tar.gz#sha256=" + "a" * 64,
        "https://idx.example/simple/?page=2&sort=name",
        "https://localhost:8080/simple/",
        "https://[::1]:8080/simple/x@y",
        "http://$HOST:$PORT/simple/",
        "pkg@1.0",
        "git@github.com:o/r.git",
        "./wheels",
    ],
)
def test_what_is_no_secret_stays_as_written(url: str) -> None:
    assert redact(url) == url
    assert redact_text(f"see {url} now") == f"see {url} now"
    assert not has_credentials(url)


def test_redact_and_display_forms() -> None:
    assert redact("https://user:s3cret@host/simple") == "https://***@host/simple"
    assert redact("git+https://${TOKEN}@github.com/o/r") == "git+https://***@github.com/o/r"
    assert redact("user:pw@host.example/x") == "***@host.example/x"
    assert (
        redact("https://h.example/f?X-Amz-Signature=abc&X-Amz-Date=1#sha256=00")
        == "https://h.example/f?X-Amz-Signature=***&X-Amz-Date=1#sha256=00"
    )
    assert (
        display_url("https://user:pa55@host:8443/simple/x/?token=abc#frag")
        == "https://host:8443/simple/x/"
    )
    assert display_url("https://user:p@ss@host/x") == "https://host/x"  # not https://ss@host/x
    assert display_url("https://user:secret") == "https://***"
    assert (
        display_url("https://h.example/" + "a" * 200, max_len=40)
        == "https://h.example/" + "a" * 19 + "..."
    )
    assert display_url("example.com/x.sh?sig=1") == "example.com/x.sh"


def test_split_userinfo() -> None:
    assert split_userinfo("https://user:p@ss@host/x") == ("https://host/x", "user:p@ss")
    assert split_userinfo("https://user:pa/ss@host.example/x") == (
        "https://host.example/x",
        "user:pa/ss",
    )
    assert split_userinfo("https://host.example/x@v1") == ("https://host.example/x@v1", None)
    assert split_userinfo("https://user:secret") == ("https://user:secret", None)
    assert userinfo("pkg@1.0") is None
    assert userinfo("u:p@h.example/x") == "u:p"


@pytest.mark.parametrize(
    "url",
    [
        "https://${PIP_USER}:${PIP_TOKEN}@pkgs.example.com/simple",
        "https://${TOKEN}@pkgs.example.com/simple",
        "https://reader@pkgs.example.com/simple",
        "https://idx.example/simple/?token=${TOKEN}",
        "https://idx.example/simple/?token=",
        "https://pypi.org/simple/",
    ],
)
def test_no_credentials(url: str) -> None:
    assert not has_credentials(url)


def test_canonical_name_matches_packaging() -> None:
    from packaging.utils import canonicalize_name

    for name in ("Flask", "zope.interface", "Foo__Bar--baz..Qux", "a-_.b", "ruamel.yaml.clib"):
        assert canonical_name(name) == canonicalize_name(name)


def test_import_is_cheap() -> None:
    code = "import sys, hardpin.urls; print(sorted(m for m in ('urllib.parse', 'ipaddress', 'packaging') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# HP305 and every message of a lint


INDEX_CASES = [c for c in HARD if c[0] != "cut-at-space"]
CLI_CASES = [c for c in INDEX_CASES if not c[0].startswith(("digits", "dotted"))]


def test_hp305_flags_every_hard_case_and_shows_no_secret() -> None:
    lines = []
    for _id, url, _secrets, _shown in INDEX_CASES:
        value = f'"{url}"' if " " in url else url
        lines.append(f"--extra-index-url {value}")
    text = "\n".join(lines) + "\nflask==3.0.3\n"
    findings = lint_text("requirements.txt", "requirements", text, Settings())
    flagged = {f.line for f in findings if f.code == "HP305" and "credentials" in f.message}
    assert flagged == set(range(1, len(INDEX_CASES) + 1))
    secrets = [s for c in INDEX_CASES for s in c[2]]
    assert leaks("\n".join(f.message for f in findings), secrets) == []


def test_hp305_flags_vcs_and_url_requirements() -> None:
    text = (
        "git+https://user:pX7@kQ2@github.com/o/r.git@" + "a" * 40 + "#egg=r\n"
        f"pkg @ https://files.example/pkg-1.0.tar.gz?token={TOKEN}\n"
        "git+https://${TOKEN}@github.com/o/s.git@" + "b" * 40 + "#egg=s\n"
    )
    findings = lint_text("requirements.txt", "requirements", text, Settings())
    assert [(f.line, f.code) for f in findings if f.code == "HP305"] == [
        (1, "HP305"),
        (2, "HP305"),
    ]
    assert leaks("\n".join(f.message for f in findings), ["pX7@kQ2", TOKEN]) == []


# ---------------------------------------------------------------------------
# the command line: every output format, and the errors of a network fix


def _project(tmp_path: Path) -> list[str]:
    """A requirements file and a Dockerfile full of hard URLs; returns their secrets.

    Passwords of digits only are left out: their fragments are found in any
    number of the output (SARIF fingerprints, columns).
    """
    req = []
    for _id, url, _secrets, _shown in CLI_CASES:
        value = f'"{url}"' if " " in url else url
        req.append(f"--extra-index-url {value}")
    req.append(f"--find-links https://idx.example/wheels/?token={TOKEN}")
    req.append("-e git+https://user:pX7/kQ2@github.com/o/r.git@v1#egg=r")
    req.append(f"git+https://{LONG_TOKEN}@github.com/o/s.git#egg=s")
    req.append("flask==3.0.3")
    req.append("pkg @ https://user:pX7@kQ2@idx.example/x.tgz ; not a marker")  # HP001
    (tmp_path / "requirements.txt").write_text("\n".join(req) + "\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12\n"
        "RUN pip install --index-url 'http://user:pX7 kQ2@idx.example/simple' flask==1.0\n"
        "RUN pip install --index-url http://user:pX7@kQ2@idx.example/simple flask==1.0\n"
        "RUN PIP_INDEX_URL='http://user:pX7/kQ2@idx.example/s/' pip install flask==1.0\n"
        "RUN curl -fsSL 'https://user:pX7@kQ2@dl.example/x.sh' | sh\n"
        f"RUN wget -qO- 'https://dl.example/x.sh?access_token={TOKEN}' | bash\n"
        "RUN curl -fsSL 'https://user:pX7#kQ2@dl.example/y.sh' -o /y.sh && sh /y.sh\n"
        "ADD https://user:pX7/kQ2@dl.example/x.tgz /tmp/x.tgz\n"
        f"ADD https://dl.example/z.tgz?sig={TOKEN} /tmp/z.tgz\n"
        "RUN pip install 'git+https://user:pX7?kQ2@github.com/o/r.git'\n"
        f"RUN npm install 'https://{LONG_TOKEN}@npm.example/p.tgz'\n"
    )
    (tmp_path / "Dockerfile.broken").write_text("FROM x\nhttps://user:pX7/kQ2@h.example/x\n")
    return sorted({s for c in CLI_CASES for s in c[2]} | {"pX7@kQ2", "pX7/kQ2", TOKEN, LONG_TOKEN})


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_no_output_format_shows_a_secret(tmp_path: Path, fmt: str) -> None:
    secrets = _project(tmp_path)
    r = run_cli("check", "--format", fmt, ".", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    blob = r.stdout + r.stderr
    if fmt in ("json", "sarif"):
        blob += "\n".join(_strings(json.loads(r.stdout)))
    # the findings that show these URLs are there
    for code in ("HP001", "HP305", "HP206", "HP207", "HP210", "HP203"):
        assert code in blob
    assert leaks(blob, secrets) == []


@pytest.mark.parametrize(
    "password",
    ["pX7kQ2", "pX7@kQ2", "pX7/kQ2", "pX7#kQ2", "pX7?kQ2", "pX7 kQ2", "pX7%40kQ2"],
)
@pytest.mark.parametrize("where", ["file", "env"])
def test_a_fix_against_an_unreachable_index_shows_no_secret(
    tmp_path: Path, password: str, where: str
) -> None:
    url = f"http://user:{password}@127.0.0.1:{free_port()}/simple/"
    if where == "file":
        quoted = f'"{url}"' if " " in url else url
        (tmp_path / "requirements.txt").write_text(f"--index-url {quoted}\nbeta==1.0\n")
        env_index = ""
    else:
        (tmp_path / "requirements.txt").write_text("beta==1.0\n")
        env_index = url
    env = {
        "HARDPIN_OFFLINE": "",
        "HARDPIN_CACHE_DIR": str(tmp_path / "cache"),
        "PIP_INDEX_URL": env_index,
        "PIP_EXTRA_INDEX_URL": "",
    }
    original = (tmp_path / "requirements.txt").read_text()
    for fmt in ("text", "json"):
        r = run_cli("check", "--fix", "--format", fmt, "requirements.txt", cwd=tmp_path, env=env)
        # the index cannot be reached (by pip either): the file is left as it was
        assert (tmp_path / "requirements.txt").read_text() == original
        blob = r.stdout + r.stderr
        assert r.returncode == 1 and "cannot fix" in r.stderr, blob
        assert "127.0.0.1" in r.stderr  # the index is named, without its user info
        assert leaks(blob, [password]) == [], blob


def test_a_token_query_on_an_unreachable_index_is_not_shown(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/simple/?token={TOKEN}"
    (tmp_path / "requirements.txt").write_text(f"--index-url {url}\nbeta==1.0\n")
    env = {"HARDPIN_OFFLINE": "", "HARDPIN_CACHE_DIR": str(tmp_path / "cache")}
    r = run_cli("check", "--fix", "requirements.txt", cwd=tmp_path, env=env)
    assert r.returncode == 1 and "cannot fix" in r.stderr
    assert leaks(r.stdout + r.stderr, [TOKEN]) == []
    assert (tmp_path / "requirements.txt").read_text() == f"--index-url {url}\nbeta==1.0\n"


def test_a_registry_error_message_is_redacted() -> None:
    from hardpin.online.registry import _error_detail

    body = json.dumps(
        {
            "errors": [
                {
                    "code": "DENIED",
                    "message": f"see https://u:pX7@kQ2@h.example/x?X-Amz-Signature={TOKEN} now",
                }
            ]
        }
    ).encode()
    detail = _error_detail(body, "application/json")
    assert detail == "DENIED: see https://***@h.example/x?X-Amz-Signature=*** now"


def test_a_baseline_holds_no_secret(tmp_path: Path) -> None:
    secrets = _project(tmp_path)
    with (tmp_path / "Dockerfile").open("a") as fh:
        fh.write("RUN sudo curl https://user:pX7kQ2@dl.example/y.sh -o /y\n")
        fh.write(f"RUN curl -fsSL https://dl.example/z.sh?token={TOKEN} | sh\n")
    r = run_cli("check", "--write-baseline", "baseline.json", ".", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    baseline = (tmp_path / "baseline.json").read_text()
    assert '"HP404"' in baseline
    assert leaks(baseline + r.stdout + r.stderr, [*secrets, "pX7kQ2"]) == []
    again = run_cli("check", "--baseline", "baseline.json", ".", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, "All checks passed (3 files).\n")


@pytest.mark.parametrize(
    ("text", "shell", "found"),
    [
        ("x https://deploy:pa/ss@h.example/s y", False, True),
        ("https://deploy:pa ss@h.example/s", False, True),
        ("https://h.example/s?sig=abc", False, True),
        ("https://$USER:$PASSWORD@h.example/s", True, False),
        ("https://$USER:$PASSWORD@h.example/s", False, True),  # pip expands only ${VAR}
        ("https://${USER}:${PW:-x}@h.example/s?token=${T}", True, False),
        ("https://reader@h.example/s and git+ssh://git@github.com/o/r", False, False),
        ("no URL at all: user:pw@host", False, False),
    ],
)
def test_credentials_in_text(text: str, shell: bool, found: bool) -> None:
    from hardpin.urls import credentials_in_text

    assert credentials_in_text(text, shell=shell) is found


def test_scrub_hides_pieces_of_known_secrets() -> None:
    from hardpin.urls import scrub

    urls = ["http://user:pX7/kQ2@127.0.0.1:9/simple/", f"https://h.example/s/?token={TOKEN}"]
    text = f"ValueError: Port could not be cast to integer value as 'pX7'; {TOKEN}; kQ2 end"
    assert (
        scrub(text, urls)
        == "ValueError: Port could not be cast to integer value as '***'; ***; *** end"
    )


def _lockers() -> list[str]:
    from test_lock import HAVE_PIP_COMPILE, HAVE_UV

    return [b for b, have in (("pip-compile", HAVE_PIP_COMPILE), ("uv", HAVE_UV)) if have]


@pytest.mark.parametrize("backend", _lockers())
@pytest.mark.parametrize("password", ["pX7/kQ2", "pX7@kQ2", "pX7 kQ2", "pX7#kQ2"])
def test_a_failed_lock_shows_no_secret(tmp_path: Path, backend: str, password: str) -> None:
    (tmp_path / "requirements.in").write_text("beta==1.0\n")
    url = f"http://user:{password}@127.0.0.1:{free_port()}/simple/"
    env = {"HARDPIN_OFFLINE": "", "PIP_INDEX_URL": "", "PIP_EXTRA_INDEX_URL": ""}
    r = run_cli(
        "lock", "--backend", backend, "--index-url", url, "requirements.in", cwd=tmp_path, env=env
    )
    assert r.returncode != 0 and "cannot lock" in r.stderr, r.stderr
    assert leaks(r.stdout + r.stderr, [password]) == [], r.stderr


def test_an_unexpected_lookup_error_shows_no_piece_of_a_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An exception that quotes a piece of a password (as urllib's port error does) is
    scrubbed of every piece of the index URLs' secrets, the environment's included."""
    from hardpin.model import PipHashesKey
    from hardpin.online.resolve import Online, OnlineOptions

    def boom(self: Online, key: object) -> object:
        raise ValueError("Port could not be cast to integer value as 'pX7'; zR5q then kQ2")

    monkeypatch.setattr(Online, "_lookup", boom)
    online = Online(
        OnlineOptions(cache_dir=str(tmp_path)),
        environ={"PIP_EXTRA_INDEX_URL": "https://u:zR5q@extra.example/simple/"},
    )
    key = PipHashesKey(("http://user:pX7/${PART}@idx.example/simple/",), "beta", "1.0")
    online.environ["PART"] = "kQ2"
    (why,) = online.answer([key]).values()
    assert isinstance(why, str) and why.startswith("unexpected answer (ValueError")
    assert leaks(why, ["pX7/kQ2", "zR5q"]) == []
