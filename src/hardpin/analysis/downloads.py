"""Shared analysis for the download and TLS rules (HP206 HP207 HP208).

What the rules need beyond `analysis.shell`:

* `parse_download(words, redirects)`: what curl, wget, gsutil, `gcloud
  storage` and `aws s3` / `aws s3api get-object` fetch and where they write
  it (a file, or standard output);
* `interpreter(words)`: how a command runs code: from a `-c`/`-e` argument,
  from a script operand, or from standard input;
* `redirects(text, cmd)`: the `>`/`<` redirections of a command, recovered
  from the source text because the shell lexer drops their targets;
* pipeline and nesting helpers over a unit's flat command list.

The lexer lists a command's nested commands (`$(…)`, `<(…)`, backquotes)
*before* the command itself, with a greater `depth`; `sh -c` bodies come
*after* it. The helpers below rely on that order.
"""

from __future__ import annotations

import posixpath
import re

from hardpin._lazy import lazy_re
from hardpin._record import record
from hardpin.analysis.options import OptionTable, parse
from hardpin.analysis.shell import PYTHON_NAME, SHELL_NAMES, basename, shell_call, su_script
from hardpin.parsers.shell import Command, ShWord

PATH_DIRS = frozenset(
    {"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"}
)  # fmt: skip


def command_start(cmd: Command) -> int:
    """The source offset where the command starts (-1 when it has no words)."""
    if cmd.words:
        return cmd.words[0].start
    if cmd.heredoc_redirects:
        return cmd.heredoc_redirects[0].start
    return -1


def command_end(cmd: Command) -> int:
    """The source offset where the command ends (-1 when it has no words)."""
    if cmd.words:
        return cmd.words[-1].end
    if cmd.heredoc_redirects:
        return cmd.heredoc_redirects[-1].end
    return -1


# ---------------------------------------------------------------------------
# nesting and pipelines over a unit's flat command list


def nested_before(cmds: list[Command], i: int) -> list[Command]:
    """Commands lexed inside command i's words (`$(…)`, `<(…)`, backquotes, here-strings)."""
    cmd = cmds[i]
    first = command_start(cmd)
    out: list[Command] = []
    j = i - 1
    while j >= 0 and cmds[j].depth > cmd.depth and command_start(cmds[j]) >= first:
        out.append(cmds[j])
        j -= 1
    out.reverse()
    return out


def _predecessor(cmds: list[Command], i: int) -> tuple[list[Command], int] | None:
    """What feeds command i's stdin through `|`: (commands, index to continue from)."""
    cmd = cmds[i]
    if cmd.joined_by not in ("|", "|&"):
        return None
    d = cmd.depth
    first = command_start(cmd)
    j = i - 1
    while j >= 0 and cmds[j].depth > d and command_start(cmds[j]) >= first:
        j -= 1
    if j < 0:
        return None
    if cmds[j].depth == d:
        return [cmds[j], *nested_before(cmds, j)], j
    if cmds[j].depth < d:
        return None
    # deeper: nested in the previous command's words, or a `( … )` group
    k = j
    while k >= 0 and cmds[k].depth > d:
        k -= 1
    if (
        k >= 0
        and cmds[k].depth == d
        and command_start(cmds[k]) <= command_start(cmds[j]) <= command_end(cmds[k])
    ):
        return [cmds[k], *nested_before(cmds, k)], k
    return list(cmds[k + 1 : j + 1]), -1


def upstream(cmds: list[Command], i: int) -> list[Command]:
    """Every command whose output reaches command i's stdin through a pipeline."""
    out: list[Command] = []
    cur = i
    while cur >= 0:
        pred = _predecessor(cmds, cur)
        if pred is None:
            break
        found, cur = pred
        out.extend(found)
    return out


def pipes_into(cmds: list[Command], i: int) -> bool:
    """True when command i's stdout feeds a later command through `|`."""
    cmd = cmds[i]
    for j in range(i + 1, len(cmds)):
        c = cmds[j]
        if c.depth < cmd.depth:
            return False
        if c.depth == cmd.depth:
            return c.joined_by in ("|", "|&")
    return False


# ---------------------------------------------------------------------------
# redirections, recovered from the source text


@record
class Redirect:
    """A redirection of a command (`> f`, `2>> log`, `< in`)."""

    fd: str  # "" for the default descriptor, "&" for `&>`
    op: str  # ">", ">>", ">|", "<"
    target: str
    start: int  # offset of the operator


_REDIR = lazy_re(r"(\d*|&)(>>|>\||>&|>|<)")


def redirects(text: str, cmd: Command, dockerfile: bool) -> list[Redirect]:
    """`>`, `>>`, `<` … of a command, with their (unquoted) targets.

    The lexer drops redirection targets; they are read back from the source
    text between the command's words and after its last word. Commands
    whose words have no distinct source positions (the script of a JSON
    exec-form RUN) give nothing.
    """
    words = cmd.words
    if not words:
        return []
    out: list[Redirect] = []
    for k in range(len(words) - 1):
        s, e = words[k].end, words[k + 1].start
        if e < s or (s == e and words[k].start == words[k + 1].start):
            return out if out else []
        if e > s:
            _scan(text, s, e, dockerfile, out)
    last = words[-1]
    if last.end > last.start:
        _scan(text, last.end, min(len(text), last.end + 2000), dockerfile, out)
    return out


def _scan(text: str, i: int, end: int, dockerfile: bool, out: list[Redirect]) -> None:
    while i < end:
        c = text[i]
        if c in " \t\r":
            i += 1
            continue
        if c == "\\" and text.startswith("\n", i + 1):
            i += 2
            if dockerfile:
                # Dockerfile comment lines inside a continuation are not part of the shell text
                while i < end:
                    nl = text.find("\n", i, end)
                    line = text[i : end if nl == -1 else nl].strip()
                    if line.startswith("#") or (not line and nl != -1):
                        i = end if nl == -1 else nl + 1
                        continue
                    break
            continue
        if c == "\\" and text.startswith("\r\n", i + 1):
            i += 3
            continue
        if text.startswith("<<", i) or text.startswith("<(", i) or text.startswith(">(", i):
            return
        m = _REDIR.match(text, i)
        if m is None or m.end() > end:
            return
        fd, op = m.group(1), m.group(2)
        j = m.end()
        if op == ">&":
            if j < end and (text[j].isdigit() or text[j] == "-"):
                i = j + 1
                continue
            fd, op = "&", ">"
        while j < end and text[j] in " \t":
            j += 1
        target, j = _read_word(text, j, end)
        if not target:
            return
        out.append(Redirect(fd, op, target, m.start()))
        i = j
    return


def _read_word(text: str, i: int, end: int) -> tuple[str, int]:
    if i < end and text[i] in "\"'":
        q = text[i]
        j = text.find(q, i + 1, end)
        if j == -1:
            return "", end
        return text[i + 1 : j], j + 1
    j = i
    while j < end and text[j] not in " \t\r\n;&|()<>`\"'":
        j += 1
    return text[i:j], j


def stdout_files(reds: list[Redirect]) -> list[str]:
    """The files a command's standard output is written to."""
    return [r.target for r in reds if r.op in (">", ">>", ">|") and r.fd in ("", "1", "&")]


def stdin_files(reds: list[Redirect]) -> list[str]:
    """The files a command's standard input is read from."""
    return [r.target for r in reds if r.op == "<" and r.fd in ("", "0")]


# ---------------------------------------------------------------------------
# downloads


@record
class Download:
    """What a download command fetches and where it writes it."""

    tool: str  # "curl", "wget", "gsutil", "gcloud storage", "aws s3", "aws s3api"
    cmd_word: ShWord
    urls: list[ShWord]
    outputs: list[str]  # files written (as written: relative or absolute)
    to_stdout: bool

    @property
    def url(self) -> str:
        """The first URL ("" when none is known)."""
        return self.urls[0].value if self.urls else ""

    @property
    def pinned(self) -> bool:
        """Every URL is an immutable GitHub file URL (pinned to a 40-hex commit)."""
        return bool(self.urls) and all(is_pinned_url(u.value) for u in self.urls)


_PINNED_URL = lazy_re(
    r"^(?:https?://)?(?:"
    r"raw\.githubusercontent\.com/[^/]+/[^/]+/(?P<a>[0-9a-fA-F]{40})/"
    r"|github\.com/[^/]+/[^/]+/(?:raw|blob)/(?P<b>[0-9a-fA-F]{40})/"
    r"|gist\.githubusercontent\.com/[^/]+/[0-9a-fA-F]+/raw/(?P<c>[0-9a-fA-F]{40})/"
    r"|cdn\.jsdelivr\.net/gh/[^/@]+/[^/@]+@(?P<d>[0-9a-fA-F]{40})/"
    r"|github\.com/[^/]+/[^/]+/archive/(?P<e>[0-9a-fA-F]{40})\.(?:zip|tar\.gz)(?:$|[?#])"
    r"|codeload\.github\.com/[^/]+/[^/]+/(?:legacy\.)?(?:zip|tar\.gz)/(?P<f>[0-9a-fA-F]{40})(?:$|[?#])"
    r")",
    re.IGNORECASE,
)


def is_pinned_url(url: str) -> bool:
    """A GitHub raw file URL, or a source archive of a repository, that names a full commit
    hash (the content cannot change)."""
    return _PINNED_URL.match(url) is not None


def url_basename(url: str) -> str:
    """The last path segment of a URL (the name `curl -O` or wget saves it as), or ""."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1]
        path = path.split("/", 1)[1] if "/" in path else ""
    name = path.rstrip("/").rsplit("/", 1)[-1] if path.rstrip("/") else ""
    return name


def _table(short: str, long: str) -> OptionTable:
    """A GNU-style table from the short letters and the long names that take a value."""
    return OptionTable(
        values=frozenset(["-" + c for c in short] + ["--" + n for n in long.split()])
    )


# curl and wget options that take a value: short letters, and long names
CURL = _table(
    "AbcCdDeEFHKmoPQrtTuUwxXyYz",
    """abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
    connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves
    data data-ascii data-binary data-raw data-urlencode delegation dns-interface
    dns-ipv4-addr dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine
    etag-compare etag-save expect100-timeout form form-string ftp-account
    ftp-alternative-to-user ftp-method ftp-port ftp-ssl-ccc-mode happy-eyeballs-timeout-ms
    haproxy-clientip header hostpubmd5 hostpubsha256 hsts interface ip-tos ipfs-gateway json
    keepalive-cnt keepalive-time key key-type krb libcurl limit-rate local-port
    login-options mail-auth mail-from mail-rcpt max-filesize max-redirs max-time netrc-file
    noproxy oauth2-bearer output output-dir parallel-max pass pinnedpubkey preproxy proto
    proto-default proto-redir proxy proxy-cacert proxy-capath proxy-cert proxy-cert-type
    proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type proxy-pass
    proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype
    proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate
    referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
    service-name socks4 socks4a socks5 socks5-gssapi-service socks5-hostname speed-limit
    speed-time stderr telnet-option tftp-blksize time-cond tls-max tls13-ciphers tlsauthtype
    tlspassword tlsuser trace trace-ascii trace-config unix-socket upload-file url url-query
    user user-agent variable vlan-priority write-out""",
)
WGET = _table(
    "OoaPtTwiIeUQlARDXBn",
    """output-document output-file append-output directory-prefix tries timeout wait input-file
    execute user-agent quota level accept reject domains exclude-domains include-directories
    exclude-directories base header user password http-user http-password ftp-user
    ftp-password proxy-user proxy-password post-data post-file method body-data body-file
    referer load-cookies save-cookies ca-certificate ca-directory certificate
    certificate-type private-key private-key-type secure-protocol limit-rate dns-timeout
    connect-timeout read-timeout waitretry bind-address restrict-file-names default-page
    cut-dirs local-encoding remote-encoding progress use-askpass ciphers crl-file
    pinnedpubkey random-file egd-file hsts-file warc-file warc-header warc-max-size
    warc-tempdir warc-cdx max-redirect retry-on-http-error config rejected-log report-speed
    regex-type accept-regex reject-regex follow-tags ignore-tags prefer-family compression""",
)
GSUTIL = _table("hopDuz", "project header")
# commands that copy or move a (downloaded) file: cp SRC… DEST, cp -t DIR SRC…
_COPY = "tS", "target-directory suffix"
FILE_COPIERS = {
    "cp": _table(*_COPY),
    "mv": _table(*_COPY),
    "ln": _table(*_COPY),
    "install": _table(_COPY[0] + "mogS", _COPY[1] + " mode owner group strip-program"),
}


def _is_dir_like(p: str) -> bool:
    return p in (".", "./", "..", "/") or p.endswith("/")


DOWNLOAD_TOOLS = frozenset({"curl", "curl.exe", "wget", "wget2", "gsutil", "gcloud", "aws"})


def is_download_tool(words: list[ShWord]) -> bool:
    """Cheap test before `parse_download` (which needs the command's redirections)."""
    return bool(words) and basename(words[0].value).lower() in DOWNLOAD_TOOLS


def parse_download(words: list[ShWord], reds: list[Redirect]) -> Download | None:
    """The download a normalised command performs, or None when it is not a download command."""
    if not words:
        return None
    name = basename(words[0].value).lower()
    args = words[1:]
    redirected = stdout_files(reds)
    if name in ("curl", "curl.exe"):
        return _curl(words[0], args, redirected)
    if name in ("wget", "wget2"):
        return _wget(words[0], args, redirected)
    if name == "gsutil":
        return _gs(words[0], args, redirected, "gsutil")
    if name == "gcloud" and len(args) >= 2 and args[0].value == "storage":
        return _gs(words[0], args[1:], redirected, "gcloud storage")
    if name == "aws":
        return _aws(words[0], args, redirected)
    return None


def _curl(w0: ShWord, args: list[ShWord], redirected: list[str]) -> Download:
    parsed = parse(args, CURL)
    opts, operands = parsed.options, parsed.operands
    urls = [u for u in operands if u.value != "-"]
    outputs: list[str] = []
    remote_name = False
    out_dir = ""
    explicit = False
    for o in opts:
        if o.name == "--url" and o.value is not None:
            urls.append(ShWord(o.value, o.value, o.word.start, o.word.end))
        elif o.name in ("-o", "--output") and o.value is not None:
            explicit = True
            if o.value != "-":
                outputs.append(o.value)
        elif o.name in ("-O", "--remote-name", "--remote-name-all"):
            remote_name = True
        elif o.name == "--output-dir" and o.value:
            out_dir = o.value.rstrip("/") + "/"
    if remote_name:
        explicit = True
        for u in urls[len(outputs) :] if outputs else urls:
            base = url_basename(u.value)
            if base:
                outputs.append(out_dir + base)
    elif out_dir:
        outputs = [o if o.startswith("/") else out_dir + o for o in outputs]
    outputs.extend(redirected)
    return Download("curl", w0, urls, outputs, not explicit and not redirected)


def _wget(w0: ShWord, args: list[ShWord], redirected: list[str]) -> Download:
    parsed = parse(args, WGET)
    opts, operands = parsed.options, parsed.operands
    urls = [u for u in operands if u.value != "-"]
    document: str | None = None
    prefix = ""
    unknown_names = False
    for o in opts:
        if o.name in ("-O", "--output-document") and o.value is not None:
            document = o.value
        elif o.name in ("-P", "--directory-prefix") and o.value:
            prefix = o.value.rstrip("/") + "/"
        elif o.name in (
            "-i",
            "--input-file",
            "-r",
            "--recursive",
            "-m",
            "--mirror",
            "--content-disposition",
        ):
            unknown_names = True
    outputs: list[str] = []
    to_stdout = False
    if document == "-":
        to_stdout = not redirected
    elif document is not None:
        outputs.append(document)
    elif not unknown_names:
        for u in urls:
            base = url_basename(u.value) or "index.html"
            outputs.append(prefix + base)
    outputs.extend(redirected)
    return Download("wget", w0, urls, outputs, to_stdout)


def _gs(w0: ShWord, args: list[ShWord], redirected: list[str], tool: str) -> Download:
    operands = parse(args, GSUTIL).operands
    srcs = [o for o in operands if o.value.startswith("gs://")]
    outputs: list[str] = []
    to_stdout = False
    if operands and operands[0].value == "cat":
        to_stdout = not redirected
    elif srcs:
        dest = operands[-1].value
        if operands[-1] not in srcs:
            if dest == "-":
                to_stdout = not redirected
            elif _is_dir_like(dest) or dest.endswith("/."):
                for s in srcs:
                    base = url_basename(s.value)
                    if base:
                        outputs.append(posixpath.join(dest, base))
            else:
                outputs.append(dest)
    outputs.extend(redirected)
    return Download(tool, w0, srcs, outputs, to_stdout)


def _aws(w0: ShWord, args: list[ShWord], redirected: list[str]) -> Download | None:
    i = 0
    while i < len(args) and args[i].value.startswith("-"):
        # global options: --region x, --profile x, --endpoint-url x; flags have no value
        flag = args[i].value
        i += (
            1
            if "=" in flag
            or flag in ("--debug", "--no-verify-ssl", "--no-paginate", "--no-sign-request")
            else 2
        )
    if i + 1 >= len(args):
        return None
    service, op = args[i].value, args[i + 1].value
    rest = args[i + 2 :]
    if service == "s3" and op in ("cp", "mv"):
        operands = parse(rest, AWS_S3).operands
        if len(operands) < 2 or not operands[0].value.startswith("s3://"):
            return None
        src, dest = operands[0], operands[-1].value
        outputs: list[str] = []
        to_stdout = False
        if dest == "-":
            to_stdout = not redirected
        elif dest.startswith("s3://"):
            return None
        elif _is_dir_like(dest):
            base = url_basename(src.value)
            if base:
                outputs.append(posixpath.join(dest, base))
        else:
            outputs.append(dest)
        outputs.extend(redirected)
        return Download("aws s3", w0, [src], outputs, to_stdout)
    if service == "s3api" and op == "get-object":
        bucket = key = ""
        operands = []
        k = 0
        while k < len(rest):
            v = rest[k].value
            if v.startswith("--"):
                name, eq, val = v.partition("=")
                if not eq and k + 1 < len(rest):
                    val = rest[k + 1].value
                    k += 1
                if name == "--bucket":
                    bucket = val
                elif name == "--key":
                    key = val
            else:
                operands.append(rest[k])
            k += 1
        url = f"s3://{bucket}/{key}"
        where = rest[0] if rest else w0
        outputs = []
        if operands:
            dest = operands[-1].value
            if _is_dir_like(dest):
                base = url_basename(key) or key
                if base:
                    outputs.append(posixpath.join(dest, base))
            elif dest != "-":
                outputs.append(dest)
        outputs.extend(redirected)
        return Download("aws s3api", w0, [ShWord(url, url, where.start, where.end)], outputs, False)
    return None


_AWS_S3_VALUE_OPTS = frozenset(
    {"--include", "--exclude", "--acl", "--grants", "--sse", "--sse-c", "--sse-c-key", "--sse-kms-key-id",
     "--storage-class", "--website-redirect", "--content-type", "--cache-control", "--content-disposition",
     "--content-encoding", "--content-language", "--expires", "--metadata", "--metadata-directive",
     "--expected-size", "--request-payer", "--region", "--profile", "--endpoint-url", "--source-region",
     "--checksum-algorithm", "--checksum-mode"}
)  # fmt: skip
AWS_S3 = OptionTable(values=_AWS_S3_VALUE_OPTS, clusters=False)  # `aws s3 cp` / `aws s3 mv`


# ---------------------------------------------------------------------------
# interpreters


@record
class Interp:
    """How a command runs code."""

    word: ShWord  # the interpreter's command word
    name: str
    code: list[ShWord]  # words whose text is run as code (`-c` value, eval's arguments)
    script: ShWord | None  # the script file operand
    stdin: bool  # runs standard input as code
    any_arg: bool = False  # java/dotnet: any argument may name the program (`-jar f`, `f.dll`)


_STDIN_OPERANDS = frozenset({"-", "/dev/stdin", "/proc/self/fd/0", "/dev/fd/0"})


def interpreter(words: list[ShWord]) -> Interp | None:
    """The interpreter a normalised command runs, with where its code comes from; else None."""
    if not words:
        return None
    w0 = words[0]
    name = basename(w0.value)
    args = words[1:]
    if name == "busybox" and args and args[0].value in SHELL_NAMES:
        name = args[0].value
        args = args[1:]
    if name in SHELL_NAMES and name != "busybox":
        return _shell(w0, name, args)
    if name == "su":
        return _su(w0, words)
    if PYTHON_NAME.match(name):
        return _generic(w0, name, args, _LANGUAGES["python"])
    if name in ("nodejs", "tclsh", "Rscript"):
        return _generic(w0, name, args, _LANGUAGES[{"nodejs": "node"}.get(name, "lua")])
    if name in _LANGUAGES:
        return _generic(w0, name, args, _LANGUAGES[name])
    if name in ("source", "."):
        if not args:
            return None
        a = args[0]
        return Interp(
            w0, name, [], None if a.value in _STDIN_OPERANDS else a, a.value in _STDIN_OPERANDS
        )
    if name == "eval":
        return Interp(w0, name, list(args), None, False)
    if name in ("pwsh", "powershell", "pwsh.exe", "powershell.exe"):
        for k, a in enumerate(args[:-1]):
            low = a.value.lower()
            if low in ("-c", "-command"):
                nxt = args[k + 1]
                if nxt.value == "-":
                    return Interp(w0, name, [], None, True)
                return Interp(w0, name, [nxt], None, False)
            if low in ("-f", "-file"):
                return Interp(w0, name, [], args[k + 1], args[k + 1].value == "-")
        return None
    if name in ("java", "dotnet", "deno", "bun"):
        return Interp(w0, name, [], None, False, any_arg=True)
    return None


def _shell(w0: ShWord, name: str, args: list[ShWord]) -> Interp:
    call = shell_call(args)
    if call.command:
        return Interp(w0, name, [call.script] if call.script is not None else [], None, False)
    if call.check_only:
        return Interp(w0, name, [], None, False)
    operand = call.script
    if call.stdin or operand is None or operand.value in _STDIN_OPERANDS:
        return Interp(w0, name, [], None, True)
    return Interp(w0, name, [], operand, False)


def _su(w0: ShWord, words: list[ShWord]) -> Interp:
    script = su_script(words)
    if script is None or script.value_word is None:
        return Interp(w0, "su", [], None, True)
    return Interp(w0, "su", [script.value_word], None, False)


@record(frozen=True)
class _Language:
    """How an interpreter is told what to run: options whose value is code, a script file, or
    that hand the decision to the program (`python -m`)."""

    options: OptionTable
    code: frozenset[str]
    stop: frozenset[str] = frozenset()
    file: frozenset[str] = frozenset()


def _language(code: str, values: str, stop: str = "", file: str = "") -> _Language:
    """An interpreter's options from space-separated names."""
    sets = [frozenset(s.split()) for s in (code, stop, file)]
    table = OptionTable(values=frozenset(values.split()).union(*sets))
    return _Language(table, *sets)


_LANGUAGES = {
    "python": _language("-c", "-W -X -Q", stop="-m"),
    "perl": _language("-e -E", "-x -M -m"),
    "ruby": _language("-e", "-r -I -C -E"),
    "node": _language(
        "-e --eval -p --print", "-r --require --import --loader --input-type -C --conditions"
    ),
    "php": _language("-r", "-d -c -z", file="-f"),
    "lua": _language("-e", "-l"),  # also tclsh and Rscript
}


def _generic(w0: ShWord, name: str, args: list[ShWord], language: _Language) -> Interp | None:
    parsed = parse(args, language.options, stop_at_operand=True)
    for o in parsed.options:
        if o.name in language.code:
            return Interp(w0, name, [o.value_word] if o.value_word is not None else [], None, False)
        if o.name in language.stop:
            return None  # `python -m module`: the module decides what runs
        if o.name in language.file:
            return Interp(w0, name, [], o.value_word, False)
    operand = parsed.operands[0] if parsed.operands else None
    if operand is None or operand.value in _STDIN_OPERANDS:
        return Interp(w0, name, [], None, True)
    return Interp(w0, name, [], operand, False)


# ---------------------------------------------------------------------------
# checksum and signature verification


_SUM_TOOLS = frozenset(
    {"sha224sum", "sha256sum", "sha384sum", "sha512sum", "b2sum", "b3sum", "rhash"}
)
_SIG_SUFFIXES = (
    ".sha256sum", ".sha512sum", ".sha256", ".sha512", ".sha384", ".sha256.txt", ".sha512.txt", ".sums",
    ".asc", ".sig", ".sign", ".gpg", ".minisig", ".pem", ".bundle", ".cosign.bundle", ".sigstore",
    ".sigstore.json", ".intoto.jsonl", ".DIGEST", ".digest", ".CHECKSUM", ".checksum",
)  # fmt: skip


@record
class Check:
    """A checksum or signature check: the names it mentions; `stdin` when it reads the list from stdin."""

    names: list[str]
    stdin: bool
    tool: str
    lists: bool = False  # the names are checksum lists (`sha256sum -c SUMS`), not the files checked


def verification(words: list[ShWord], in_substitution: bool, piped: bool) -> Check | None:
    """The check a normalised command performs, or None.

    `in_substitution`: the command runs inside `$(…)` (its output is compared);
    `piped`: its output goes to another command (`sha256sum f | grep -q HASH`).
    """
    if not words:
        return None
    name = basename(words[0].value).lower()
    args = words[1:]
    vals = [a.value for a in args]
    if name in _SUM_TOOLS or name == "shasum":
        parsed = parse(args, _SUM)
        if name == "shasum" and parsed.value("-a", "--algorithm") in (None, "", "1"):
            return None  # SHA-1 (the default) does not count
        files = [w.value for w in parsed.operands]
        if parsed.has("-c", "--check"):
            real = [f for f in files if f != "-"]
            return Check(real, not real, name, lists=True)
        if files and (in_substitution or piped):
            return Check(files, False, name)
        return None
    if name in ("gpg", "gpg2", "gpgv", "gpgv2"):
        if name.startswith("gpgv") or "--verify" in vals or "--verify-files" in vals:
            return Check(_operands(args, _GPG), False, name)
        return None
    if name == "cosign" and vals and vals[0] in ("verify-blob", "verify-blob-attestation"):
        return Check(_operands(args[1:], _COSIGN), False, "cosign")
    if name == "minisign":
        parsed = parse(args, _MINISIGN)
        if not parsed.has("-V"):
            return None
        names = [o.value for o in parsed.options if o.name in ("-m", "-x") and o.value]
        return Check(names or _operands(args, _MINISIGN), False, "minisign")
    if name == "openssl" and vals and vals[0] in ("dgst", "sha256", "sha512", "sha384"):
        if "-verify" in vals or "-prverify" in vals or "-signature" in vals:
            return Check(_operands(args[1:], _OPENSSL), False, "openssl")
        if in_substitution or piped:
            return Check(_operands(args[1:], _OPENSSL), False, "openssl")
        return None
    if name == "slsa-verifier" and vals[:1] == ["verify-artifact"]:
        return Check(_operands(args[1:], _SLSA), False, "slsa-verifier")
    if name == "gh" and vals[:2] == ["attestation", "verify"]:
        return Check(_operands(args[2:], _GH_ATTESTATION), False, "gh")
    if name in ("rpm", "rpmkeys") and any(
        v in ("-K", "--checksig") or (v.startswith("-") and not v.startswith("--") and "K" in v)
        for v in vals
    ):
        return Check([v for v in vals if not v.startswith("-")], False, name)
    if name == "ssh-keygen" and "-Y" in vals and "verify" in vals:
        return Check([], True, "ssh-keygen")
    return None


# the options of the checking tools that take a value
_SUM = OptionTable(values=frozenset({"-a", "--algorithm", "-l", "--length"}))
_GPG = OptionTable(
    values=frozenset({"--keyring", "--homedir", "--status-fd", "--output", "-o"}), clusters=False
)
_MINISIGN = OptionTable(values=frozenset({"-m", "-x"}))
_OPENSSL = OptionTable(
    values=frozenset({"-verify", "-prverify", "-signature", "-keyform", "-sigopt"}), clusters=False
)
_GH_ATTESTATION = OptionTable(
    values=frozenset({"--owner", "--repo", "-o", "-R", "--signer-workflow", "--signer-repo"}),
    clusters=False,
)
_COSIGN = OptionTable(
    values=frozenset(
        {"--key", "--signature", "--certificate", "--certificate-identity",
         "--certificate-oidc-issuer", "--certificate-identity-regexp",
         "--certificate-oidc-issuer-regexp", "--bundle", "--cert", "--certificate-chain",
         "--rekor-url", "--type", "--trusted-root"}
    ),
    clusters=False,
)  # fmt: skip
_SLSA = OptionTable(
    values=frozenset(
        {"--provenance-path", "--source-uri", "--source-tag", "--source-branch", "--builder-id",
         "--source-versioned-tag", "--print-provenance"}
    ),
    clusters=False,
)  # fmt: skip


def _operands(args: list[ShWord], table: OptionTable) -> list[str]:
    """Operands and option values (`--signature f.sig`, `-m f` name files), in order."""
    parsed = parse(args, table)
    at = {id(w): k for k, w in enumerate(args)}
    found = [(at[id(w)], w.value) for w in parsed.operands]
    for o in parsed.options:
        if o.value is not None:
            found.append((at[id(o.value_word or o.word)], o.value))
    return [v for _k, v in sorted(found)]


def names_checked(check_names: list[str], lists: bool = False) -> list[str]:
    """File names a check covers: the names themselves and, for `f.sha256` / `f.asc`, `f`.

    With `lists` (checksum list files) only the names derived from them count.
    """
    out: list[str] = []
    for n in check_names:
        n = n.lstrip("*")
        if not lists:
            out.append(n)
        for suf in _SIG_SUFFIXES:
            if n.endswith(suf) and len(n) > len(suf):
                out.append(n[: -len(suf)])
    return out


# ---------------------------------------------------------------------------
# whether a check stops the build: `set -e`, `&&` chains, `|| true`


def sets_errexit(words: list[ShWord]) -> bool | None:
    """True for `set -e` (`-eux`, `-o errexit`, `-euo pipefail`), False for `set +e`, else None."""
    if not words or words[0].value != "set":
        return None
    result: bool | None = None
    args = [w.value for w in words[1:]]
    k = 0
    while k < len(args):
        v = args[k]
        if len(v) > 1 and v[0] in "-+" and v[1:].isalpha():
            on = v[0] == "-"
            if "e" in v[1:]:
                result = on
            if v.endswith("o") and k + 1 < len(args):
                if args[k + 1] == "errexit":
                    result = on
                k += 2
                continue
        k += 1
    return result


def shell_errexit(shell: tuple[str, ...]) -> bool:
    """A Dockerfile SHELL that runs every RUN with errexit (`["/bin/bash", "-eo", "pipefail", "-c"]`)."""
    args = list(shell[1:])
    for k, a in enumerate(args):
        if len(a) > 1 and a[0] == "-" and a[1:].isalpha():
            if "e" in a[1:]:
                return True
            if a.endswith("o") and args[k + 1 : k + 2] == ["errexit"]:
                return True
    return False


_STOPS = frozenset({"exit", "false", "return", "die", "fail", "abort"})


def _stops(words: list[ShWord]) -> bool:
    """`exit 1`, `false`, `return 2`: a command that makes the list fail."""
    if not words or basename(words[0].value) not in _STOPS:
        return False
    return not (len(words) > 1 and words[1].value == "0")


GATES_ALL = 1 << 60  # `gate`: the check stops everything after it (the unit fails)
_CONDITIONS = frozenset({"if", "elif", "while", "until", "!"})


def _condition(cmds: list[Command], i: int) -> bool:
    """Command i is (in) the condition of an `if`/`while`, or negated: `if ! a | check; then`."""
    k = i
    while k > 0 and cmds[k].joined_by in ("|", "|&") and cmds[k - 1].depth >= cmds[k].depth:
        k -= 1
        while k > 0 and cmds[k].depth > cmds[i].depth:
            k -= 1
    head = cmds[k].words[0] if cmds[k].words else None
    return head is not None and head.raw in _CONDITIONS


def gate(cmds: list[Command], i: int, errexit: bool, argvs: list[list[ShWord]]) -> int | None:
    """How much a failing check at command i stops: GATES_ALL, the index where its `&&` chain
    ends (the commands before it run only when the check passed), or None (it stops nothing).

    A check is followed by `&&` (its chain), `||` (only `|| exit 1`, `|| false`, `|| {
    …; exit 1; }` keep it a check), `;` or a newline (a check only under `set -e`), or ends
    the unit (the RUN fails). A check inside `$(…)` is judged by the command around it, one
    that ends a `( … )` group by what follows the group. Conditions (`if ! check; then exit
    1; fi`) count."""
    n = len(cmds)
    cur = i
    while True:
        if _condition(cmds, cur):
            return GATES_ALL
        d = cmds[cur].depth
        j = cur + 1
        while j < n and (
            cmds[j].depth > d or (cmds[j].depth == d and cmds[j].joined_by in ("|", "|&"))
        ):
            j += 1
        if j >= n:
            return GATES_ALL
        if cmds[j].depth < d and command_start(cmds[j]) <= command_start(cmds[cur]) <= command_end(
            cmds[j]
        ):
            cur = j  # inside a substitution: the command around it decides
            continue
        break
    dj = cmds[j].depth
    op = cmds[j].joined_by
    if op == "||":
        braces = 0
        k = j
        while k < n:
            c = cmds[k]
            if k > j and c.depth <= dj and braces <= 0 and c.joined_by in (";", "\n", "&"):
                break
            if c.words and c.words[0].raw == "{":
                braces += 1
            if c.words and c.words[-1].raw == "}" or (c.words and c.words[0].raw == "}"):
                braces -= 1
            if _stops(argvs[k]):
                return GATES_ALL
            k += 1
        return None
    if op == "&&":
        k = j + 1
        while k < n and (cmds[k].depth > dj or cmds[k].joined_by in ("&&", "|", "|&")):
            k += 1
        return GATES_ALL if k >= n else k
    if op == "&":
        return None
    return GATES_ALL if errexit else None


# ---------------------------------------------------------------------------
# archives: tar, bsdtar, unzip, 7z, gunzip


@record
class Extraction:
    """What an extraction command reads and where it writes."""

    tool: str
    archive: str | None  # None: the archive comes from standard input
    dest: str  # the directory written into ("" for the working directory)
    outputs: list[str]  # single files written (`gunzip f.gz` writes `f`)


_TAR_VALUES = frozenset(
    "-f --file -C --directory -T --files-from -X --exclude-from -b --blocking-factor -H "
    "--format -I --use-compress-program -K --starting-file -N --newer --after-date -g "
    "--listed-incremental -V --label -L --tape-length -F --info-script --strip-components "
    "--transform --xform --owner --group --mode --mtime --exclude --to-command --checkpoint-action "
    "--record-size --occurrence --suffix --backup --one-top-level --sort --atime-preserve "
    "--quoting-style --hole-detection --options".split()
)
TAR = OptionTable(values=_TAR_VALUES)
UNZIP = OptionTable(values=frozenset({"-d", "-P", "-x"}))
_SEVEN_Z = OptionTable(values=frozenset(), clusters=False)
_TAR_KEYS = frozenset("AcdrtuxfvzjJZaCTXbHIKNgVLFmpoOPSkUWhiBMRw")
_COMPRESSED = {".gz": "gunzip", ".tgz": "gunzip", ".xz": "unxz", ".bz2": "bunzip2", ".zst": "unzstd",
               ".z": "gunzip", ".lz4": "unlz4"}  # fmt: skip


def _old_style_tar(args: list[ShWord]) -> list[ShWord]:
    """`tar xzf f -C d` (keys without a dash, their values after them) as `-x -z -f f -C d`."""
    if not args or args[0].value.startswith("-") or not args[0].value:
        return args
    keys = args[0].value
    if not set(keys) <= _TAR_KEYS:
        return args
    w = args[0]
    out: list[ShWord] = []
    rest = list(args[1:])
    for ch in keys:
        name = "-" + ch
        out.append(ShWord(name, name, w.start, w.end))
        if TAR.takes_value(name) and rest:
            out.append(rest.pop(0))
    return out + rest


def extraction(words: list[ShWord]) -> Extraction | None:
    """The archive an extraction command (tar/bsdtar -x, unzip, 7z x/e, gunzip and friends)
    reads and the directory it writes; None for other commands (and for `tar -c`/`-t`)."""
    if not words:
        return None
    name = basename(words[0].value).lower()
    args = words[1:]
    if name in ("tar", "bsdtar", "gtar"):
        parsed = parse(_old_style_tar(args), TAR)
        if not parsed.has("-x", "--extract", "--get"):
            return None
        archive = parsed.value("-f", "--file")
        dest = ""
        for o in parsed.options:
            if o.name in ("-C", "--directory") and o.value:
                dest = o.value
        return Extraction(name, None if archive in (None, "-") else archive, dest, [])
    if name == "unzip":
        parsed = parse(args, UNZIP)
        ops = [w.value for w in parsed.operands]
        if not ops:
            return None
        return Extraction(name, None if ops[0] == "-" else ops[0], parsed.value("-d") or "", [])
    if name in ("7z", "7za", "7zr"):
        vals = [w.value for w in args]
        if not vals or vals[0] not in ("x", "e"):
            return None
        ops = [v for v in vals[1:] if not v.startswith("-")]
        dest = next((v[2:] for v in vals[1:] if v.startswith("-o")), "")
        return Extraction(name, ops[0] if ops else None, dest, []) if ops else None
    if name in ("gunzip", "unxz", "bunzip2", "unzstd", "unlz4") or (
        name in ("gzip", "xz", "bzip2", "zstd")
        and any(w.value in ("-d", "--decompress") for w in args)
    ):
        if any(w.value in ("-c", "--stdout", "-t", "--test", "-l", "--list") for w in args):
            return None  # to standard output (a pipe or a redirection follows it)
        files = [w.value for w in args if not w.value.startswith("-")]
        outs = []
        for f in files:
            for suf in _COMPRESSED:
                if f.lower().endswith(suf):
                    outs.append(f[: -len(suf)] + (".tar" if suf == ".tgz" else ""))
                    break
        if not files:
            return Extraction(name, None, "", [])
        return Extraction(name, files[0], "", outs)
    return None


# ---------------------------------------------------------------------------
# package installers given a file or a URL


@record
class PackageFile:
    """A package installer given package files or URLs it downloads itself."""

    tool: str
    files: list[ShWord]  # operands naming local package files
    urls: list[ShWord]  # operands that are URLs the installer fetches


_INSTALLER_URL = lazy_re(r"^(?:https?|ftp)://", re.IGNORECASE)
RPM_CMD = OptionTable(
    values=frozenset(
        "--root --dbpath --prefix --relocate --excludepath --define -D --rcfile --macros "
        "--predefine --pipe --excludedocs --dbpath".split()
    )
)
DPKG = OptionTable(
    values=frozenset("--admindir --root --instdir --path-include --path-exclude --force "
                     "--ignore-depends --log --status-fd --status-logger".split())
)  # fmt: skip
_YUM_VALUES = frozenset(
    """-c --config --installroot --releasever -d --debuglevel -e --errorlevel -x --exclude
    --excludepkgs --repo --repoid --enablerepo --disablerepo --setopt --color --downloaddir
    --destdir --rpmverbosity --forcearch --disableplugin --enableplugin --comment -R
    --randomwait""".split()
)
YUM = OptionTable(values=_YUM_VALUES, numbers=True)
ZYPPER_CMD = OptionTable(
    values=frozenset("-t --type -r --repo --from -R --root -D --reposd-dir -C --cache-dir "
                     "-c --config --installroot".split()), numbers=True,
)  # fmt: skip
APK_CMD = OptionTable(
    values=frozenset("-X --repository -t --virtual -p --root --arch --cache-dir --keys-dir "
                     "--repositories-file --cache-max-age --wait --timeout --progress-fd".split()),
    numbers=True,
)  # fmt: skip
APT_CMD = OptionTable(
    values=frozenset("-o -c -t -a --option --config-file --target-release --default-release "
                     "--host-architecture".split()), numbers=True,
)  # fmt: skip
NPM_CMD = OptionTable(
    values=frozenset("--prefix -C --registry --cache --tag --omit --location".split())
)
GEM_CMD = OptionTable(
    values=frozenset("-i --install-dir -n --bindir -v --version --platform -s --source "
                     "-p --http-proxy -P --trust-policy".split())
)  # fmt: skip


def _after_subcommand(
    args: list[ShWord], table: OptionTable, subs: frozenset[str]
) -> list[ShWord] | None:
    """The operands after the subcommand (`yum -y install X` -> [X]), or None for other subcommands."""
    parsed = parse(args, table)
    ops = parsed.operands
    if not ops or ops[0].value not in subs:
        return None
    return ops[1:]


def package_file(words: list[ShWord]) -> PackageFile | None:
    """Package files and URLs an installer is given: `dpkg -i f.deb`, `apt-get install ./f.deb`,
    `rpm -Uvh URL`, `yum`/`dnf`/`microdnf`/`tdnf`/`zypper install FILE-or-URL`, `apk add
    FILE-or-URL`, `pip install f.whl`, `npm install f.tgz`, `gem install f.gem`."""
    if not words:
        return None
    name = basename(words[0].value).lower()
    args = words[1:]
    ops: list[ShWord] | None
    if name == "dpkg":
        parsed = parse(args, DPKG)
        if not parsed.has("-i", "--install", "--unpack"):
            return None
        return PackageFile(name, list(parsed.operands), [])
    if name == "rpm":
        parsed = parse(args, RPM_CMD)
        if not parsed.has("-i", "--install", "-U", "--upgrade", "-F", "--freshen", "--reinstall"):
            return None
        return _split_targets(name, parsed.operands, ".rpm", any_file=True)
    if name in ("yum", "dnf", "microdnf", "tdnf", "dnf5"):
        ops = _after_subcommand(args, YUM, frozenset({"install", "localinstall", "reinstall",
                                                       "upgrade", "update", "in"}))  # fmt: skip
        return None if ops is None else _split_targets(name, ops, ".rpm")
    if name == "zypper":
        ops = _after_subcommand(args, ZYPPER_CMD, frozenset({"install", "in"}))
        return None if ops is None else _split_targets(name, ops, ".rpm")
    if name == "apk":
        ops = _after_subcommand(args, APK_CMD, frozenset({"add"}))
        return None if ops is None else _split_targets(name, ops, ".apk")
    if name in ("apt-get", "apt", "aptitude"):
        ops = _after_subcommand(args, APT_CMD, frozenset({"install", "reinstall"}))
        if ops is None:
            return None
        files = [w for w in ops if w.value.endswith(".deb") and "/" in w.value]
        return PackageFile(name, files, []) if files else None
    if name in ("npm", "pnpm") or name == "yarn":
        ops = _after_subcommand(args, NPM_CMD, frozenset({"install", "i", "add"}))
        if ops is None:
            return None
        files = [
            w
            for w in ops
            if w.value.endswith((".tgz", ".tar.gz")) and not _INSTALLER_URL.match(w.value)
        ]
        return PackageFile(name, files, []) if files else None
    if name == "gem":
        ops = _after_subcommand(args, GEM_CMD, frozenset({"install"}))
        if ops is None:
            return None
        files = [w for w in ops if w.value.endswith(".gem")]
        return PackageFile(name, files, []) if files else None
    from hardpin.analysis.pip import PIP, pip_command

    pip = pip_command(words)
    if pip is not None and pip[0] == "pip":
        parsed = parse(pip[1], PIP)
        ops = parsed.operands
        if not ops or ops[0].value != "install":
            return None
        files = [
            w for w in ops[1:]
            if w.value.lower().endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz"))
            and not _INSTALLER_URL.match(w.value)
        ]  # fmt: skip
        return PackageFile("pip", files, []) if files else None
    return None


def _split_targets(
    tool: str, ops: list[ShWord], suffix: str, any_file: bool = False
) -> PackageFile | None:
    urls = [w for w in ops if _INSTALLER_URL.match(w.value)]
    files = [
        w for w in ops
        if w not in urls and (any_file or w.value.endswith(suffix) or w.value.startswith(("/", "./")))
    ]  # fmt: skip
    return PackageFile(tool, files, urls) if files or urls else None


# ---------------------------------------------------------------------------
# git: clones at a moving ref, checkouts of a commit


_GIT_GLOBAL = OptionTable(
    values=frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--exec-path",
                      "--config-env", "--super-prefix"}),
    clusters=False,
)  # fmt: skip
_GIT_CLONE = OptionTable(
    values=frozenset(
        "-b --branch -o --origin -c --config --depth --reference --reference-if-able "
        "--separate-git-dir --template -j --jobs --filter -u --upload-pack --shallow-since "
        "--shallow-exclude --bundle-uri --server-option --revision".split()
    )
)
_GIT_CHECKOUT = OptionTable(
    values=frozenset({"-b", "-B", "--orphan", "--conflict", "-c", "--create"})
)
COMMIT_HASH = lazy_re(r"^[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?$")


@record
class GitCall:
    """`git [-C dir] clone|checkout|reset|switch …` as HP206 reads it."""

    sub: str  # "clone" or "pin" (a checkout/reset/switch to a ref)
    directory: str  # `-C dir` ("" for the working directory)
    url: str = ""  # clone: the repository
    dest: str = ""  # clone: the directory it creates
    ref: ShWord | None = None  # clone: --branch / --revision; pin: the ref checked out


def git_call(words: list[ShWord]) -> GitCall | None:
    """A `git clone` (its URL, directory and --branch) or a checkout / `reset --hard` /
    `switch --detach` of a ref; None for other git commands."""
    if not words or basename(words[0].value).lower() not in ("git", "git.exe"):
        return None
    top = parse(words[1:], _GIT_GLOBAL, stop_at_operand=True)
    directory = ""
    for o in top.options:
        if o.name == "-C" and o.value:
            directory = posixpath.join(directory, o.value) if directory else o.value
    ops = top.operands
    if not ops:
        return None
    sub, rest = ops[0].value, ops[1:]
    if sub == "clone":
        parsed = parse(rest, _GIT_CLONE)
        operands = parsed.operands
        if not operands:
            return None
        url = operands[0].value
        dest = operands[1].value if len(operands) > 1 else _clone_dir(url)
        ref = None
        for o in parsed.options:
            if o.name in ("-b", "--branch", "--revision") and o.value_word is not None:
                ref = (
                    o.value_word
                    if o.value_word is not o.word
                    else ShWord(o.value or "", o.value or "", o.word.start, o.word.end)
                )
        return GitCall("clone", directory, url, dest, ref)
    if sub in ("checkout", "switch"):
        parsed = parse(rest, _GIT_CHECKOUT)
        operands = [w for w in parsed.operands]
        if not operands:
            return None
        if parsed.has("-b", "-B", "-c", "--create") and len(operands) >= 1:
            return GitCall("pin", directory, ref=operands[-1])
        return GitCall("pin", directory, ref=operands[0])
    if sub == "reset" and any(w.value == "--hard" for w in rest):
        operands = [w for w in rest if not w.value.startswith("-")]
        return GitCall("pin", directory, ref=operands[0]) if operands else None
    return None


def _clone_dir(url: str) -> str:
    """The directory `git clone URL` creates: the last path part without `.git`."""
    base = url.rstrip("/").replace(":", "/").rsplit("/", 1)[-1]
    return base[:-4] if base.endswith(".git") else base


# ---------------------------------------------------------------------------
# commands that build or install a source tree


_BUILD_TOOLS = frozenset({"make", "gmake", "cmake", "ninja", "meson", "scons", "mvn", "gradle",
                          "cargo", "bundle", "composer", "bazel", "ant", "rake", "autoreconf"})  # fmt: skip


def builds_tree(words: list[ShWord]) -> tuple[str, str] | None:
    """(what builds, the directory built: "" for the working directory) for a command that
    builds or installs a source tree: `make [-C dir]`, `cmake`, `ninja`, `pip install DIR`,
    `python setup.py`, `npm install`/`npm ci` without packages, `go install ./...`, … ; else None."""
    if not words:
        return None
    name = basename(words[0].value).lower()
    vals = [w.value for w in words[1:]]
    if name in _BUILD_TOOLS:
        if name in ("make", "gmake"):
            for k, v in enumerate(vals):
                if v == "-C" and k + 1 < len(vals):
                    return name, vals[k + 1]
                if v.startswith("-C") and len(v) > 2:
                    return name, v[2:]
                if v.startswith("--directory="):
                    return name, v.split("=", 1)[1]
        if name == "cmake":
            for k, v in enumerate(vals):
                if v in ("-S", "--build") and k + 1 < len(vals):
                    return name, vals[k + 1] if v == "-S" else ""
                if v.startswith("-S") and len(v) > 2:
                    return name, v[2:]
            ops = [v for v in vals if not v.startswith("-")]
            return name, ops[0] if ops else ""
        if name == "cargo" and not (vals and vals[0] in ("build", "install")):
            return None
        if name == "cargo" and vals[0] == "install" and "--path" not in vals:
            return None
        if name == "bundle" and vals[:1] not in ([], ["install"]):
            return None
        if name == "composer" and vals[:1] != ["install"]:
            return None
        return name, ""
    if name in ("npm", "pnpm", "yarn"):
        if name == "yarn" and not vals:
            return name, ""
        if not vals or vals[0] not in ("install", "i", "ci", "run", "run-script"):
            return None
        ops = [v for v in vals[1:] if not v.startswith("-")]
        if vals[0] in ("run", "run-script"):
            return name, ""
        if not ops:
            return name, ""
        paths = [v for v in ops if v.startswith((".", "/"))]
        return (name, paths[0]) if paths else None
    if name == "go":
        if not vals or vals[0] not in ("install", "build", "run", "generate"):
            return None
        ops = [v for v in vals[1:] if not v.startswith("-")]
        if not ops:
            return name, ""
        for v in ops:
            if v.startswith("."):
                return name, v.removesuffix("/...").removesuffix("...") or ""
        return None
    from hardpin.analysis.pip import PIP, pip_command

    pip = pip_command(words)
    if pip is not None and pip[0] == "pip":
        parsed = parse(pip[1], PIP)
        pip_ops = parsed.operands
        if not pip_ops or pip_ops[0].value != "install":
            return None
        cands = [o.value for o in parsed.options if o.name in ("-e", "--editable") and o.value]
        cands += [w.value for w in pip_ops[1:]]
        for v in cands:
            if (
                v == "."
                or v.startswith(("./", "/", "../"))
                and not v.lower().endswith((".whl", ".tar.gz", ".zip"))
            ):
                return "pip", v
        return None
    return None


# ---------------------------------------------------------------------------
# files made executable


def made_executable(words: list[ShWord]) -> list[str]:
    """The files `chmod` gives an execute bit (`+x`, `a+x`, `u=rwx`, `755`, `0750`)."""
    if not words or basename(words[0].value) != "chmod":
        return []
    args = [
        w.value
        for w in words[1:]
        if not (w.value.startswith("--") or w.value in ("-R", "-v", "-f", "-c"))
    ]
    if len(args) < 2:
        return []
    mode = args[0]
    if mode.isdigit():
        digits = mode[-3:]
        if not any(int(d) & 1 for d in digits if d in "01234567"):
            return []
    elif not any("x" in part.split("+", 1)[-1].split("=", 1)[-1] and ("+" in part or "=" in part)
                 for part in mode.split(",")):  # fmt: skip
        return []
    return args[1:]
