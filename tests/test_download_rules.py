"""Helpers of the download and TLS rules (HP206 HP207 HP208)."""

from __future__ import annotations

import pytest

from hardpin.analysis.downloads import (
    interpreter,
    is_pinned_url,
    nested_before,
    parse_download,
    redirects,
    upstream,
    url_basename,
    verification,
)
from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.shell import argv
from hardpin.engine import lint_text
from hardpin.parsers.shell import parse_commands
from hardpin.rules.hp207 import git_ref, is_git_url
from hardpin.rules.hp208 import _env_problem
from hardpin.settings import Settings
from hardpin.urls import display_url


def cmds(text: str):
    return parse_commands(text)


def download(text: str):
    c = cmds(text)[0]
    return parse_download(argv(c), redirects(text, c, dockerfile=False))


@pytest.mark.parametrize(
    "text, outputs, stdout, url",
    [
        ("curl -fsSL https://x.example/i.sh", [], True, "https://x.example/i.sh"),
        (
            "curl -fsSLo /tmp/i.sh https://x.example/i.sh",
            ["/tmp/i.sh"],
            False,
            "https://x.example/i.sh",
        ),
        ("curl -o- https://x.example/i.sh", [], False, "https://x.example/i.sh"),
        (
            "curl -LO https://x.example/a/tool.tar.gz?x=1",
            ["tool.tar.gz"],
            False,
            "https://x.example/a/tool.tar.gz?x=1",
        ),
        ("curl --output-dir /opt -O https://x.example/t", ["/opt/t"], False, "https://x.example/t"),
        (
            "curl -H 'A: b' https://x.example/t > /tmp/t 2>/dev/null",
            ["/tmp/t"],
            False,
            "https://x.example/t",
        ),
        ("sudo curl -s https://x.example/t", [], True, "https://x.example/t"),
        ("wget https://x.example/dir/exe", ["exe"], False, "https://x.example/dir/exe"),
        ("wget -qO- https://x.example/exe", [], True, "https://x.example/exe"),
        ("wget -nv -O /tmp/e https://x.example/exe", ["/tmp/e"], False, "https://x.example/exe"),
        ("wget -P /opt https://x.example/exe", ["/opt/exe"], False, "https://x.example/exe"),
        ("gsutil cp gs://b/dir/exe /path/to/", ["/path/to/exe"], False, "gs://b/dir/exe"),
        ("gsutil gs://b/exe .", ["./exe"], False, "gs://b/exe"),
        ("gsutil cat gs://b/exe", [], True, "gs://b/exe"),
        ("aws s3 cp s3://b/k/f.sh /tmp/", ["/tmp/f.sh"], False, "s3://b/k/f.sh"),
        ("aws --region eu-west-1 s3 cp s3://b/f.sh -", [], True, "s3://b/f.sh"),
        ("aws s3api get-object --bucket b --key dir/exe9 .", ["./exe9"], False, "s3://b/dir/exe9"),
    ],
)
def test_parse_download(text: str, outputs: list[str], stdout: bool, url: str) -> None:
    dl = download(text)
    assert dl is not None
    assert dl.outputs == outputs
    assert dl.to_stdout is stdout
    assert dl.url == url


def test_not_downloads() -> None:
    assert download("curlx https://x") is None
    assert download("aws s3 ls s3://b/") is None
    assert download("aws s3 cp ./local s3://b/remote") is None


def test_options_clusters_and_values() -> None:
    words = argv(cmds("curl -fsSLo out -H x --retry 3 --url=https://u https://v")[0])[1:]
    parsed = parse(words, OptionTable(values=frozenset({"-o", "-H", "--retry"})))
    opts, operands = parsed.options, parsed.operands
    assert [(o.name, o.value) for o in opts] == [
        ("-f", None), ("-s", None), ("-S", None), ("-L", None), ("-o", "out"), ("-H", "x"),
        ("--retry", "3"), ("--url", "https://u"),
    ]  # fmt: skip
    assert [w.value for w in operands] == ["https://v"]


@pytest.mark.parametrize(
    "url, pinned",
    [
        (
            "https://raw.githubusercontent.com/o/r/5b142a1e445a6f060d6430b661408989e9580b85/p.sh",
            True,
        ),
        ("https://raw.githubusercontent.com/o/r/main/p.sh", False),
        ("https://raw.githubusercontent.com/o/r/5b142a1e/p.sh", False),
        ("https://github.com/o/r/raw/5b142a1e445a6f060d6430b661408989e9580b85/p.sh", True),
        ("https://cdn.jsdelivr.net/gh/o/r@5b142a1e445a6f060d6430b661408989e9580b85/p.sh", True),
        ("https://example.com/5b142a1e445a6f060d6430b661408989e9580b85/p.sh", False),
    ],
)
def test_is_pinned_url(url: str, pinned: bool) -> None:
    assert is_pinned_url(url) is pinned


def test_display_url_drops_credentials_and_query() -> None:
    assert display_url("https://user:tok@host.example/p?token=abc") == "https://host.example/p"
    assert url_basename("https://h/a/b.sh?x=1#y") == "b.sh"
    assert url_basename("https://h/") == ""


@pytest.mark.parametrize(
    "text, stdin, script, code",
    [
        ("sh", True, None, None),
        ("bash -s -- --yes", True, None, None),
        ("bash /dev/stdin -v", True, None, None),
        ("sudo -E bash -", True, None, None),
        ("bash -x install.sh arg", False, "install.sh", None),
        ("bash -euo pipefail -c 'echo hi'", False, None, "echo hi"),
        ("sh -n /tmp/f", False, None, None),
        ("python3 -", True, None, None),
        ("python3 -u get-pip.py", False, "get-pip.py", None),
        ("python3 -c 'import sys'", False, None, "import sys"),
        ("perl -ne 'print'", False, None, "print"),
        ("node -e 'x()'", False, None, "x()"),
        ("source /tmp/env.sh", False, "/tmp/env.sh", None),
        ("php", True, None, None),
    ],
)
def test_interpreter(text: str, stdin: bool, script: str | None, code: str | None) -> None:
    it = interpreter(argv(cmds(text)[0]))
    assert it is not None
    assert it.stdin is stdin
    assert (it.script.value if it.script else None) == script
    assert (it.code[0].value if it.code else None) == code


def test_python_module_and_non_interpreters() -> None:
    assert interpreter(argv(cmds("python3 -m pip install x")[0])) is None
    assert interpreter(argv(cmds("tar -xz")[0])) is None


def test_redirects_are_read_from_the_source_text() -> None:
    text = "curl u 2>&1 > /tmp/o && sh < '/tmp/in' &> /tmp/all"
    c = cmds(text)
    assert [(r.op, r.target) for r in redirects(text, c[0], False)] == [(">", "/tmp/o")]
    assert [(r.fd, r.op, r.target) for r in redirects(text, c[1], False)] == [
        ("", "<", "/tmp/in"), ("&", ">", "/tmp/all"),
    ]  # fmt: skip


def test_redirects_skip_dockerfile_comment_lines() -> None:
    text = (
        "FROM alpine:3.20\n"
        "RUN curl https://example.com/x \\\n"
        "# a comment line inside the continuation\n"
        "    > /tmp/x \\\n"
        " && sh /tmp/x\n"
    )
    found = [
        f for f in lint_text("Dockerfile", "dockerfile", text, Settings()) if f.code == "HP206"
    ]
    assert [(f.line, f.column) for f in found] == [(5, 5)]


def test_upstream_and_nested() -> None:
    cs = cmds("echo $(date) | curl u | tee f | bash -s -- $(nproc)")
    bash = len(cs) - 1
    assert [c.argv[0] for c in upstream(cs, bash)] == ["tee", "curl", "echo", "date"]
    assert [c.argv[0] for c in nested_before(cs, bash)] == ["nproc"]
    group = cmds("(cd x && curl a) | sh")
    assert [c.argv[0] for c in upstream(group, len(group) - 1)] == ["cd", "curl"]


@pytest.mark.parametrize(
    "text, names, stdin",
    [
        ("sha256sum -c f.sha256", ["f.sha256"], False),
        ("sha256sum --check --strict -", [], True),
        ("shasum -a 256 -c SUMS", ["SUMS"], False),
        ("gpg --batch --verify f.asc f", ["f.asc", "f"], False),
        ("cosign verify-blob --key k.pub --signature f.sig f", ["k.pub", "f.sig", "f"], False),
        ("minisign -Vm f -P KEY", ["f"], False),
    ],
)
def test_verification(text: str, names: list[str], stdin: bool) -> None:
    check = verification(argv(cmds(text)[0]), False, False)
    assert check is not None
    assert check.names == names
    assert check.stdin is stdin


def test_weak_or_printing_checks_do_not_count() -> None:
    assert verification(argv(cmds("md5sum -c f.md5")[0]), False, False) is None
    assert verification(argv(cmds("shasum -c f.sha1")[0]), False, False) is None
    assert verification(argv(cmds("sha256sum f")[0]), False, False) is None
    assert verification(argv(cmds("sha256sum f")[0]), True, False) is not None


@pytest.mark.parametrize(
    "url, git, ref, pinned",
    [
        ("https://github.com/moby/buildkit.git#v0.10.1", True, "v0.10.1", False),
        (
            "https://github.com/moby/buildkit.git#2ee0f5d1d5d6e6c1f2ef1d0e5c1c7b5e2d0c5b3a:docs",
            True,
            "2ee0f5d1d5d6e6c1f2ef1d0e5c1c7b5e2d0c5b3a",
            True,
        ),
        ("git@github.com:moby/buildkit.git", True, None, False),
        (
            "https://github.com/o/r.git?tag=v1&checksum=2ee0f5d1d5d6e6c1f2ef1d0e5c1c7b5e2d0c5b3a",
            True,
            "v1",
            True,
        ),
        ("https://example.com/file.tar.gz", False, None, False),
        ("https://example.com/page#section", False, "section", False),
    ],
)
def test_git_urls(url: str, git: bool, ref: str | None, pinned: bool) -> None:
    assert is_git_url(url) is git
    assert git_ref(url) == (ref, pinned)


@pytest.mark.parametrize(
    "name, value, bad",
    [
        ("GIT_SSL_NO_VERIFY", "0", True),
        ("GIT_SSL_NO_VERIFY", "", False),
        ("ASDFGIT_SSL_NO_VERIFY", "1", False),
        ("PYTHONHTTPSVERIFY", "0", True),
        ("PYTHONHTTPSVERIFY", "1", False),
        ("npm_config_strict_ssl", "false", True),
        ("NPM_CONFIG_STRICT_SSL", "FALSE", True),
        ("NPM_CONFIG_STRICT_SSL", 'false"', False),
        ("PIP_TRUSTED_HOST", "pypi.org", True),
        ("NODE_TLS_REJECT_UNAUTHORIZED", "1", False),
    ],
)
def test_env_problem(name: str, value: str, bad: bool) -> None:
    assert (_env_problem(name, value) is not None) is bad


def test_subjects_carry_no_line_numbers_or_credentials() -> None:
    text = (
        "FROM alpine:3.20\n"
        "RUN curl -fsSL https://user:secret@example.com/i.sh?token=abc | sh\n"
        "RUN wget -O /tmp/x https://example.com/x\n"
        "RUN sh /tmp/x\n"
    )
    found = [
        f for f in lint_text("Dockerfile", "dockerfile", text, Settings()) if f.code == "HP206"
    ]
    assert [f.line for f in found] == [2, 4]
    for f in found:
        assert "secret" not in f.subject and "token" not in f.subject and "secret" not in f.message
        assert not any(ch.isdigit() for ch in f.subject.replace("https", ""))
    assert "(line 3)" in found[1].message


# ---------------------------------------------------------------------------
# where downloads land: gating, archives, package installers, git, builds


def _gate_of(text: str, errexit: bool = False):
    from hardpin.analysis.downloads import gate

    cs = cmds(text)
    argvs = [argv(c) for c in cs]
    i = next(k for k, w in enumerate(argvs) if w and w[0].value == "sha256sum")
    return gate(cs, i, errexit, argvs), [w[0].value if w else "" for w in argvs]


@pytest.mark.parametrize(
    "text, errexit, gates",
    [
        ("curl -o f u && sha256sum -c f.sha256 && sh f", False, "all"),
        ("curl -o f u; sha256sum -c f.sha256; sh f", False, None),
        ("curl -o f u; sha256sum -c f.sha256; sh f", True, "all"),
        ("sha256sum -c f.sha256 || true; sh f", True, None),
        ("sha256sum -c f.sha256 || echo bad; sh f", False, None),
        ("sha256sum -c f.sha256 || exit 1; sh f", False, "all"),
        ("sha256sum -c f.sha256 || { echo bad; exit 1; }; sh f", False, "all"),
        ("(echo x | sha256sum -c - || true) && sh f", False, None),
        ("echo x | sha256sum -c -", False, "all"),
        ("if ! echo x | sha256sum -c -; then exit 1; fi; sh f", False, "all"),
        ('[ "$(sha256sum f | cut -d" " -f1)" = "$X" ] && sh f', False, "all"),
        ('[ "$(sha256sum f | cut -d" " -f1)" = "$X" ]; sh f', False, None),
    ],
)
def test_gate(text: str, errexit: bool, gates: str | None) -> None:
    from hardpin.analysis.downloads import GATES_ALL

    got, _names = _gate_of(text, errexit)
    assert got == GATES_ALL if gates == "all" else got is None, got


def test_gate_of_an_and_chain_ends_where_the_chain_ends() -> None:
    got, names = _gate_of("sha256sum -c f.sha256 && sh f; sh f")
    assert got is not None and names[got] == "sh" and got == 2


@pytest.mark.parametrize(
    "text, errexit",
    [("set -e", True), ("set -eux", True), ("set -euo pipefail", True), ("set -o errexit", True),
     ("set +e", False), ("set -x", None), ("echo -e", None)],
)  # fmt: skip
def test_sets_errexit(text: str, errexit: bool | None) -> None:
    from hardpin.analysis.downloads import sets_errexit

    assert sets_errexit(argv(cmds(text)[0])) is errexit


def test_shell_errexit() -> None:
    from hardpin.analysis.downloads import shell_errexit

    assert shell_errexit(("/bin/bash", "-eo", "pipefail", "-c"))
    assert shell_errexit(("/bin/sh", "-ec"))
    assert not shell_errexit(("/bin/sh", "-c"))
    assert not shell_errexit(("/bin/bash", "-o", "pipefail", "-c"))


@pytest.mark.parametrize(
    "text, archive, dest, outputs",
    [
        ("tar -xzf /tmp/a.tgz -C /usr/local/bin", "/tmp/a.tgz", "/usr/local/bin", []),
        ("tar xzf a.tgz", "a.tgz", "", []),
        (
            "tar -C /usr/local -xJf node.tar.xz --strip-components=1",
            "node.tar.xz",
            "/usr/local",
            [],
        ),
        ("tar --extract --file=x.tar --directory /opt", "x.tar", "/opt", []),
        ("tar -xz -C /opt", None, "/opt", []),
        ("tar -xzf - -C /opt", None, "/opt", []),
        ("bsdtar -xf a.zip -C /opt", "a.zip", "/opt", []),
        ("unzip -q a.zip -d /opt/a", "a.zip", "/opt/a", []),
        ("7z x a.7z -o/opt/a", "a.7z", "/opt/a", []),
        ("gunzip /tmp/tool.gz", "/tmp/tool.gz", "", ["/tmp/tool"]),
        ("gzip -d x.tgz", "x.tgz", "", ["x.tar"]),
    ],
)
def test_extraction(text: str, archive: str | None, dest: str, outputs: list[str]) -> None:
    from hardpin.analysis.downloads import extraction

    ex = extraction(argv(cmds(text)[0]))
    assert ex is not None
    assert (ex.archive, ex.dest, ex.outputs) == (archive, dest, outputs)


@pytest.mark.parametrize("text", ["tar -czf a.tgz dir", "tar tf a.tgz", "gunzip -c a.gz", "unzip"])
def test_not_an_extraction(text: str) -> None:
    from hardpin.analysis.downloads import extraction

    assert extraction(argv(cmds(text)[0])) is None


@pytest.mark.parametrize(
    "text, tool, files, urls",
    [
        ("dpkg -i /tmp/a.deb b.deb", "dpkg", ["/tmp/a.deb", "b.deb"], []),
        ("apt-get install -y --no-install-recommends ./a.deb curl", "apt-get", ["./a.deb"], []),
        ("rpm -Uvh https://x.example/a.rpm", "rpm", [], ["https://x.example/a.rpm"]),
        ("rpm -ivh --nodeps a.rpm", "rpm", ["a.rpm"], []),
        ("yum -y install https://x.example/a.rpm vim", "yum", [], ["https://x.example/a.rpm"]),
        ("dnf install -y /tmp/a.rpm", "dnf", ["/tmp/a.rpm"], []),
        (
            "zypper --non-interactive in ftp://x.example/a.rpm",
            "zypper",
            [],
            ["ftp://x.example/a.rpm"],
        ),
        ("apk add --allow-untrusted /tmp/a.apk", "apk", ["/tmp/a.apk"], []),
        (
            "pip install --no-deps /tmp/w-1.0-py3-none-any.whl",
            "pip",
            ["/tmp/w-1.0-py3-none-any.whl"],
            [],
        ),
        ("npm install -g ./t.tgz", "npm", ["./t.tgz"], []),
        ("gem install --local g.gem", "gem", ["g.gem"], []),
    ],
)
def test_package_file(text: str, tool: str, files: list[str], urls: list[str]) -> None:
    from hardpin.analysis.downloads import package_file

    pkg = package_file(argv(cmds(text)[0]))
    assert pkg is not None
    assert (pkg.tool, [w.value for w in pkg.files], [w.value for w in pkg.urls]) == (
        tool,
        files,
        urls,
    )


@pytest.mark.parametrize(
    "text",
    ["apt-get install -y curl", "yum install -y vim-8.2", "dpkg -l", "rpm -qa", "pip install requests",
     "npm install lodash", "apk add curl", "rpm --import https://x.example/key"],
)  # fmt: skip
def test_not_a_package_file(text: str) -> None:
    from hardpin.analysis.downloads import package_file

    assert package_file(argv(cmds(text)[0])) is None


@pytest.mark.parametrize(
    "text, sub, directory, url, dest, ref",
    [
        ("git clone https://github.com/o/r.git", "clone", "", "https://github.com/o/r.git", "r", None),
        ("git clone --depth 1 -b v1.2 https://x.example/r /opt/r", "clone", "", "https://x.example/r", "/opt/r", "v1.2"),
        ("git clone --branch=main git@github.com:o/r.git", "clone", "", "git@github.com:o/r.git", "r", "main"),
        ("git -C /src clone https://x.example/r.git", "clone", "/src", "https://x.example/r.git", "r", None),
        ("git checkout -q abc", "pin", "", "", "", "abc"),
        ("git -C /opt/r reset --hard HEAD~1", "pin", "/opt/r", "", "", "HEAD~1"),
        ("git checkout -b build v1.0", "pin", "", "", "", "v1.0"),
    ],
)  # fmt: skip
def test_git_call(
    text: str, sub: str, directory: str, url: str, dest: str, ref: str | None
) -> None:
    from hardpin.analysis.downloads import git_call

    g = git_call(argv(cmds(text)[0]))
    assert g is not None
    got = (g.sub, g.directory, g.url, g.dest, g.ref.value if g.ref is not None else None)
    assert got == (sub, directory, url, dest, ref)


@pytest.mark.parametrize(
    "text, built",
    [
        ("make -j4 install", ("make", "")),
        ("make -C /opt/r", ("make", "/opt/r")),
        ("cmake -S /src/x -B build", ("cmake", "/src/x")),
        ("pip install -e /opt/lib", ("pip", "/opt/lib")),
        ("python3 -m pip install .", ("pip", ".")),
        ("npm ci", ("npm", "")),
        ("go install ./...", ("go", ".")),
        ("npm install lodash", None),
        ("go install golang.org/x/tools/gopls@v0.16.0", None),
        ("pip install requests", None),
        ("cargo install ripgrep", None),
    ],
)
def test_builds_tree(text: str, built: tuple[str, str] | None) -> None:
    from hardpin.analysis.downloads import builds_tree

    assert builds_tree(argv(cmds(text)[0])) == built


@pytest.mark.parametrize(
    "text, files",
    [("chmod +x a b", ["a", "b"]), ("chmod 0755 /usr/local/bin/k", ["/usr/local/bin/k"]),
     ("chmod -R u=rwx,go=rx d", ["d"]), ("chmod 644 f", []), ("chmod a-x f", []), ("chmod go+r f", [])],
)  # fmt: skip
def test_made_executable(text: str, files: list[str]) -> None:
    from hardpin.analysis.downloads import made_executable

    assert made_executable(argv(cmds(text)[0])) == files


def test_heredoc_bodies_are_not_commands() -> None:
    text = "cat <<EOF > /tmp/x\n./not-a-command\nEOF\necho after\ncat <<-'E2' | sh\n\t/tmp/y\n\tE2\nls\n"
    assert [c.argv for c in cmds(text)] == [["cat"], ["echo", "after"], ["cat"], ["sh"], ["ls"]]


def test_errexit_from_the_shebang_makes_a_later_check_stop_the_script() -> None:
    body = (
        "curl -fsSLo /tmp/t.deb https://example.com/t.deb\n"
        "sha256sum -c /tmp/t.deb.sha256\n"
        "dpkg -i /tmp/t.deb\n"
    )
    plain = lint_text("i.sh", "shell", "#!/bin/sh\n" + body, Settings())
    strict = lint_text("i.sh", "shell", "#!/bin/sh -e\n" + body, Settings())
    assert [(f.code, f.line) for f in plain if f.code == "HP206"] == [("HP206", 4)]
    assert [f for f in strict if f.code == "HP206"] == []
