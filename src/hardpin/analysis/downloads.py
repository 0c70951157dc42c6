"""Shared analysis for the download and TLS rules (HP206 HP207 HP208).

What the rules need beyond `analysis.shell`:

* `words_of(cmd)`: a command's argv without leading reserved words (`then`,
  `do`, `!`, …) and wrappers (`sudo`, `env`, `VAR=value`, …);
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
from hardpin.analysis.shell import SHELL_NAMES, basename
from hardpin.parsers.shell import Command, ShWord, strip_wrappers

RESERVED = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
PATH_DIRS = frozenset(
    {"/usr/local/bin", "/usr/bin", "/bin", "/usr/local/sbin", "/usr/sbin", "/sbin"}
)  # fmt: skip


def words_of(cmd: Command) -> list[ShWord]:
    """Normalised argv: reserved words, assignments and wrappers (sudo, env, exec, …) removed."""
    return strip_wrappers(cmd.words)


def command_start(cmd: Command) -> int:
    if cmd.words:
        return cmd.words[0].start
    if cmd.heredoc_redirects:
        return cmd.heredoc_redirects[0].start
    return -1


def command_end(cmd: Command) -> int:
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
    fd: str  # "" for the default descriptor, "&" for `&>`
    op: str  # ">", ">>", ">|", "<"
    target: str
    start: int  # offset of the operator


_REDIR = lazy_re(r"(\d*|&)(>>|>\||>&|>|<)")
_STOP = set(";&|)`\"'\n")


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
            _scan(text, s, e, dockerfile, out, tail=False)
    last = words[-1]
    if last.end > last.start:
        _scan(text, last.end, min(len(text), last.end + 2000), dockerfile, out, tail=True)
    return out


def _scan(text: str, i: int, end: int, dockerfile: bool, out: list[Redirect], tail: bool) -> None:
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
    return [r.target for r in reds if r.op in (">", ">>", ">|") and r.fd in ("", "1", "&")]


def stdin_files(reds: list[Redirect]) -> list[str]:
    return [r.target for r in reds if r.op == "<" and r.fd in ("", "0")]


# ---------------------------------------------------------------------------
# downloads


@record
class Download:
    tool: str  # "curl", "wget", "gsutil", "gcloud storage", "aws s3", "aws s3api"
    cmd_word: ShWord
    urls: list[ShWord]
    outputs: list[str]  # files written (as written: relative or absolute)
    to_stdout: bool

    @property
    def url(self) -> str:
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
    r")",
    re.IGNORECASE,
)


def is_pinned_url(url: str) -> bool:
    """A GitHub raw file URL that names a full commit hash (the content cannot change)."""
    return _PINNED_URL.match(url) is not None


def url_basename(url: str) -> str:
    path = url.split("#", 1)[0].split("?", 1)[0]
    if "://" in path:
        path = path.split("://", 1)[1]
        path = path.split("/", 1)[1] if "/" in path else ""
    name = path.rstrip("/").rsplit("/", 1)[-1] if path.rstrip("/") else ""
    return name


# curl options that take a value: short letters, and long names
CURL_SHORT_VALUE = frozenset("AbcCdDeEFHKmoPQrtTuUwxXyYz")
CURL_LONG_VALUE = frozenset(
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
    user user-agent variable vlan-priority write-out""".split()
)
WGET_SHORT_VALUE = frozenset("OoaPtTwiIeUQlARDXBn")
WGET_LONG_VALUE = frozenset(
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
    regex-type accept-regex reject-regex follow-tags ignore-tags prefer-family compression""".split()
)


@record
class Opt:
    """One option occurrence: `name` is `-x` for short options, `--name` for long ones."""

    name: str
    value: str | None
    word: ShWord


def split_options(
    args: list[ShWord],
    short_value: frozenset[str],
    long_value: frozenset[str],
    *,
    intermixed: bool = True,
) -> tuple[list[Opt], list[ShWord]]:
    """GNU-style option parsing: clusters (`-fsSLo f`), `--name=value`, `--name value`, `--`."""
    opts: list[Opt] = []
    operands: list[ShWord] = []
    i = 0
    n = len(args)
    while i < n:
        w = args[i]
        v = w.value
        i += 1
        if v == "--":
            operands.extend(args[i:])
            break
        if v.startswith("--") and len(v) > 2:
            name, eq, val = v[2:].partition("=")
            if eq:
                opts.append(Opt("--" + name, val, w))
            elif name in long_value and i < n:
                opts.append(Opt("--" + name, args[i].value, w))
                i += 1
            else:
                opts.append(Opt("--" + name, None, w))
            continue
        if v.startswith("-") and len(v) > 1:
            letters = v[1:]
            for k, ch in enumerate(letters):
                if ch in short_value:
                    rest = letters[k + 1 :]
                    if rest:
                        opts.append(Opt("-" + ch, rest, w))
                    elif i < n:
                        opts.append(Opt("-" + ch, args[i].value, w))
                        i += 1
                    else:
                        opts.append(Opt("-" + ch, None, w))
                    break
                opts.append(Opt("-" + ch, None, w))
            continue
        operands.append(w)
        if not intermixed:
            operands.extend(args[i:])
            break
    return opts, operands


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
    opts, operands = split_options(args, CURL_SHORT_VALUE, CURL_LONG_VALUE)
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
    opts, operands = split_options(args, WGET_SHORT_VALUE, WGET_LONG_VALUE)
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
    _opts, operands = split_options(args, frozenset("hopDuz"), frozenset({"project", "header"}))
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
        operands = [
            a
            for k, a in enumerate(rest)
            if (a.value == "-" or not a.value.startswith("-")) and not _after_value_opt(rest, k)
        ]
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


def _after_value_opt(rest: list[ShWord], k: int) -> bool:
    """True when rest[k] is the value of a preceding `--option value` (aws s3 cp options)."""
    if k == 0:
        return False
    prev = rest[k - 1].value
    return prev.startswith("--") and "=" not in prev and prev in _AWS_S3_VALUE_OPTS


_AWS_S3_VALUE_OPTS = frozenset(
    {"--include", "--exclude", "--acl", "--grants", "--sse", "--sse-c", "--sse-c-key", "--sse-kms-key-id",
     "--storage-class", "--website-redirect", "--content-type", "--cache-control", "--content-disposition",
     "--content-encoding", "--content-language", "--expires", "--metadata", "--metadata-directive",
     "--expected-size", "--request-payer", "--region", "--profile", "--endpoint-url", "--source-region",
     "--checksum-algorithm", "--checksum-mode"}
)  # fmt: skip


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


_PYTHON = lazy_re(r"^(?:python|python[23](?:\.\d+)?|pypy3?)(?:\.exe)?$")
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
        return _su(w0, args)
    if _PYTHON.match(name):
        return _generic(
            w0, name, args, code_opts={"-c"}, stop_opts={"-m"}, value_opts={"-W", "-X", "-Q"}
        )
    if name == "perl":
        return _generic(
            w0, name, args, code_opts={"-e", "-E"}, value_opts={"-x"}, cluster_code="eE"
        )
    if name == "ruby":
        return _generic(
            w0, name, args, code_opts={"-e"}, value_opts={"-r", "-I", "-C", "-E"}, cluster_code="e"
        )
    if name in ("node", "nodejs"):
        return _generic(
            w0, name, args, code_opts={"-e", "--eval", "-p", "--print"},
            value_opts={"-r", "--require", "--import", "--loader", "--input-type", "-C", "--conditions"},
        )  # fmt: skip
    if name == "php":
        return _generic(
            w0, name, args, code_opts={"-r"}, file_opts={"-f"}, value_opts={"-d", "-c", "-z"}
        )
    if name in ("lua", "tclsh", "Rscript"):
        return _generic(w0, name, args, code_opts={"-e"}, value_opts={"-l"})
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
    i = 0
    n = len(args)
    stdin_flag = False
    while i < n:
        v = args[i].value
        if v == "--" or v == "-":
            i += 1 if v == "--" else 0
            break
        if v in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
            i += 2
            continue
        if v.startswith("--"):
            i += 1
            continue
        if len(v) > 1 and v[0] in "-+":
            letters = v[1:]
            if v[0] == "-" and "c" in letters:
                code = [args[i + 1]] if i + 1 < n else []
                return Interp(w0, name, code, None, False)
            if v[0] == "-" and "n" in letters:
                return Interp(w0, name, [], None, False)  # `sh -n f`: syntax check only
            if "s" in letters:
                stdin_flag = True
            i += 2 if letters[-1] in "oO" else 1
            continue
        break
    operand = args[i] if i < n else None
    if stdin_flag or operand is None or operand.value in _STDIN_OPERANDS:
        return Interp(w0, name, [], None, True)
    return Interp(w0, name, [], operand, False)


def _su(w0: ShWord, args: list[ShWord]) -> Interp:
    for k, a in enumerate(args):
        v = a.value
        if v.startswith("--command="):
            return Interp(w0, "su", [a], None, False)
        if (
            v in ("-c", "--command")
            or (v.startswith("-") and not v.startswith("--") and v.endswith("c"))
        ) and k + 1 < len(args):
            return Interp(w0, "su", [args[k + 1]], None, False)
    return Interp(w0, "su", [], None, True)


def _generic(
    w0: ShWord,
    name: str,
    args: list[ShWord],
    *,
    code_opts: frozenset[str] | set[str],
    stop_opts: frozenset[str] | set[str] = frozenset(),
    value_opts: frozenset[str] | set[str] = frozenset(),
    file_opts: frozenset[str] | set[str] = frozenset(),
    cluster_code: str = "",
) -> Interp | None:
    i = 0
    n = len(args)
    while i < n:
        v = args[i].value
        if v == "--":
            i += 1
            break
        if v == "-":
            break
        if not v.startswith("-"):
            break
        if v in code_opts:
            return Interp(w0, name, args[i + 1 : i + 2], None, False)
        if v in stop_opts:
            return None  # `python -m module`: the module decides what runs
        if v in file_opts:
            return Interp(w0, name, [], args[i + 1] if i + 1 < n else None, False)
        if v in value_opts:
            i += 2
            continue
        flag = v.split("=", 1)[0]
        if flag in code_opts:
            return Interp(w0, name, [args[i]], None, False)
        if not v.startswith("--") and len(v) > 2:
            if v[:2] in code_opts and v[2:3] != "-":
                return Interp(w0, name, [args[i]], None, False)  # `-cCODE`
            if cluster_code and any(c in v[1:] for c in cluster_code):
                return Interp(w0, name, args[i + 1 : i + 2], None, False)  # `perl -pe CODE`
        i += 1
    operand = args[i] if i < n else None
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
        if name == "shasum":
            algo = _shasum_algo(vals)
            if algo in ("", "1"):
                return None  # SHA-1 (the default) does not count
        check = any(
            v in ("-c", "--check")
            or (v.startswith("-") and not v.startswith("--") and "c" in v[1:])
            for v in vals
        )
        files = _operands(vals, {"-a", "--algorithm", "-l", "--length"}, keep_values=False)
        if check:
            real = [f for f in files if f != "-"]
            return Check(real, not real, name, lists=True)
        if files and (in_substitution or piped):
            return Check(files, False, name)
        return None
    if name in ("gpg", "gpg2", "gpgv", "gpgv2"):
        if name.startswith("gpgv") or "--verify" in vals or "--verify-files" in vals:
            return Check(
                _operands(vals, {"--keyring", "--homedir", "--status-fd", "--output", "-o"}),
                False,
                name,
            )
        return None
    if name == "cosign" and vals and vals[0] in ("verify-blob", "verify-blob-attestation"):
        return Check(_operands(vals[1:], _COSIGN_VALUE), False, "cosign")
    if name == "minisign" and any(
        v.startswith("-V") or (v.startswith("-") and "V" in v[1:]) for v in vals
    ):
        names = [
            vals[k + 1]
            for k, v in enumerate(vals[:-1])
            if v in ("-m", "-x") or (v.startswith("-") and v.endswith("m"))
        ]
        return Check(names or _operands(vals, set()), False, "minisign")
    if name == "openssl" and vals and vals[0] in ("dgst", "sha256", "sha512", "sha384"):
        if "-verify" in vals or "-prverify" in vals or "-signature" in vals:
            return Check(
                _operands(vals[1:], {"-verify", "-prverify", "-signature", "-keyform", "-sigopt"}),
                False,
                "openssl",
            )
        if in_substitution or piped:
            return Check(_operands(vals[1:], set()), False, "openssl")
        return None
    if name == "slsa-verifier" and vals[:1] == ["verify-artifact"]:
        return Check(_operands(vals[1:], _SLSA_VALUE), False, "slsa-verifier")
    if name == "gh" and vals[:2] == ["attestation", "verify"]:
        return Check(
            _operands(
                vals[2:], {"--owner", "--repo", "-o", "-R", "--signer-workflow", "--signer-repo"}
            ),
            False,
            "gh",
        )
    if name == "ssh-keygen" and "-Y" in vals and "verify" in vals:
        return Check([], True, "ssh-keygen")
    return None


_COSIGN_VALUE = frozenset(
    {"--key", "--signature", "--certificate", "--certificate-identity", "--certificate-oidc-issuer",
     "--certificate-identity-regexp", "--certificate-oidc-issuer-regexp", "--bundle", "--cert",
     "--certificate-chain", "--rekor-url", "--type", "--trusted-root"}
)  # fmt: skip
_SLSA_VALUE = frozenset(
    {"--provenance-path", "--source-uri", "--source-tag", "--source-branch", "--builder-id",
     "--source-versioned-tag", "--print-provenance"}
)  # fmt: skip


def _shasum_algo(vals: list[str]) -> str:
    for k, v in enumerate(vals):
        if v in ("-a", "--algorithm") and k + 1 < len(vals):
            return vals[k + 1]
        if v.startswith("-a") and len(v) > 2 and v[2:].isdigit():
            return v[2:]
        if v.startswith("--algorithm="):
            return v.split("=", 1)[1]
    return ""


def _operands(
    vals: list[str], value_opts: set[str] | frozenset[str], keep_values: bool = True
) -> list[str]:
    """Operands; with `keep_values`, option values too (`--signature f.sig`, `-m f` name files)."""
    out: list[str] = []
    skip = False
    for v in vals:
        if skip:
            skip = False
            if keep_values:
                out.append(v)
            continue
        if v in value_opts:
            skip = True
            continue
        if v.startswith("-") and v != "-":
            if "=" in v:
                out.append(v.split("=", 1)[1])
            continue
        out.append(v)
    return out


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
