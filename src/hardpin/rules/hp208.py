"""HP208: TLS certificate or package signature verification turned off."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator

from hardpin._lazy import lazy_re
from hardpin.analysis.downloads import CURL, WGET, is_download_tool, parse_download, redirects
from hardpin.analysis.options import parse
from hardpin.analysis.packages import APK, APT, RPM, ZYPPER
from hardpin.analysis.pip import TABLES, pip_command
from hardpin.analysis.shell import argv, assignments, basename, units
from hardpin.model import Severity
from hardpin.parsers.shell import Command, ShWord
from hardpin.rules.base import Rule, RuleContext

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from hardpin.parsers.dockerfile import Dockerfile, Instruction

_FALSE = frozenset({"false", "0", "no", "off"})
_YUM = frozenset({"yum", "dnf", "microdnf", "tdnf", "dnf5", "yum-config-manager"})
_APT = frozenset({"apt-get", "apt", "aptitude"})

# Text written into configuration files (`echo … > /etc/…`, `sed -i …`), and heredoc bodies.
_CONFIG_TEXT = [
    (lazy_re(r"(?:(?<![\w.-])|(?<=\\n))gpgcheck\s*=\s*(?:0|false|no)\b", re.IGNORECASE),
     "`gpgcheck=0` turns off signature checks for a yum/dnf repository"),
    (lazy_re(r"(?:(?<![\w-])|(?<=\\n)|(?<=\.))sslverify\s*=\s*(?:0|false|no)\b", re.IGNORECASE),
     "`sslverify=0` turns off TLS certificate checks for a yum/dnf repository"),
    (lazy_re(r"\[[^\]]*\btrusted=yes\b[^\]]*\]"),
     "`[trusted=yes]` makes apt accept an APT repository without a valid signature"),
    (lazy_re(r"\[[^\]]*\ballow-insecure=yes\b[^\]]*\]"),
     "`[allow-insecure=yes]` lets apt use an unsigned APT repository"),
    (lazy_re(r"\b(?:AllowInsecureRepositories|AllowDowngradeToInsecureRepositories|AllowUnauthenticated)"
                r"\b[\s\"=]*(?:true|1|yes)\b", re.IGNORECASE),
     "an apt setting that accepts unsigned repositories or packages"),
    (lazy_re(r"\bVerify-(?:Peer|Host)\b[\s\"=]*(?:false|0|no)\b", re.IGNORECASE),
     "an apt setting that turns off TLS certificate checks"),
    (lazy_re(r"(?:(?<![\w-])|(?<=\\n))trusted[-_]host\s*=\s*\S", re.IGNORECASE),
     "`trusted-host` in a pip configuration turns off TLS certificate checks for that host"),
    (lazy_re(r"(?:(?<![\w-])|(?<=\\n))strict-ssl\s*=\s*(?:false|0)\b", re.IGNORECASE),
     "`strict-ssl=false` in an .npmrc turns off TLS certificate checks for npm"),
    (lazy_re(r"(?:(?<![\w-])|(?<=\\n))check[-_]certificate\s*=\s*(?:off|0|false|no)\b", re.IGNORECASE),
     "`check_certificate = off` in a .wgetrc turns off TLS certificate checks for wget"),
]  # fmt: skip
_CONFIG_WRITERS = frozenset({"echo", "printf", "sed", "add-apt-repository"})


_ENV_NAMES = lazy_re(
    r"GIT_SSL_NO_VERIFY|PIP_TRUSTED_HOST|UV_INSECURE_HOST|PYTHONHTTPSVERIFY|NODE_TLS_REJECT_UNAUTHORIZED"
    r"|NPM_CONFIG_STRICT_SSL|YARN_ENABLE_STRICT_SSL|YARN_STRICT_SSL|GOINSECURE|GOFLAGS",
    re.IGNORECASE,
)


def _env_problem(name: str, value: str) -> str | None:
    """Why an environment variable assignment disables verification, or None."""
    up = name.upper()
    low = value.strip().lower()
    if name == "GIT_SSL_NO_VERIFY" and value != "":
        return "git skips TLS certificate checks whenever GIT_SSL_NO_VERIFY is set, even to 0"
    if name == "PIP_TRUSTED_HOST" and value != "":
        return "PIP_TRUSTED_HOST turns off TLS certificate checks for pip on those hosts"
    if name == "UV_INSECURE_HOST" and value != "":
        return "UV_INSECURE_HOST turns off TLS certificate checks for uv on those hosts"
    if name == "PYTHONHTTPSVERIFY" and low == "0":
        return "PYTHONHTTPSVERIFY=0 turns off TLS certificate checks in Python's urllib"
    if name == "NODE_TLS_REJECT_UNAUTHORIZED" and low == "0":
        return "NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks in Node.js"
    if up == "NPM_CONFIG_STRICT_SSL" and low in ("false", "0"):
        return f"{name}={value} turns off TLS certificate checks for npm"
    if name in ("YARN_ENABLE_STRICT_SSL", "YARN_STRICT_SSL") and low in ("false", "0"):
        return f"{name}={value} turns off TLS certificate checks for yarn"
    if name == "GOINSECURE" and value != "":
        return "GOINSECURE lets go fetch those modules without TLS certificate checks"
    if name == "GOFLAGS" and re.search(r"(?:^|\s)-insecure\b", value):
        return "GOFLAGS=-insecure lets go fetch modules without TLS certificate checks"
    return None


class HP208(Rule):
    """TLS certificate or package signature verification turned off.

    ## What it does
    Reports settings that make a download tool or package manager accept
    anything a server sends, in `RUN` (shell and exec form, heredocs,
    `sh -c` / `su -c` bodies), `ENV`, `ARG` and shell scripts:

    * curl `-k` / `--insecure` (also inside clustered options like `-fsSLk`)
      and `--proxy-insecure`; wget `--no-check-certificate` and
      `-e check_certificate=off`;
    * pip, pip3, `python -m pip`, uv: `--trusted-host`, `pip config set
      global.trusted-host`, uv `--allow-insecure-host`; the variables
      `PIP_TRUSTED_HOST` and `UV_INSECURE_HOST`;
    * `PYTHONHTTPSVERIFY=0`, `NODE_TLS_REJECT_UNAUTHORIZED=0`,
      `GIT_SSL_NO_VERIFY` (any non-empty value: git does not read it as a
      boolean), `GOINSECURE`, `GOFLAGS=-insecure`, `go get -insecure`;
    * apk `--allow-untrusted`;
    * apt-get / apt / aptitude `--allow-unauthenticated`, `--force-yes`,
      `--allow-insecure-repositories`, and `-o` options such as
      `Acquire::AllowInsecureRepositories=true`,
      `APT::Get::AllowUnauthenticated=true` or
      `Acquire::https::Verify-Peer=false`;
    * yum / dnf / microdnf / tdnf `--nogpgcheck` and `--setopt` of
      `gpgcheck=0` or `sslverify=0` (also through `config-manager` and
      `yum-config-manager`); zypper `--no-gpg-checks` and `addrepo
      --no-gpgcheck`; rpm `--nosignature`, `--nodigest`, `--nofiledigest`,
      `--noverify`;
    * npm / yarn / pnpm `config set strict-ssl false` (also `npm set`,
      `yarn config set enableStrictSsl false`), `--strict-ssl=false`,
      `--no-strict-ssl`, and `npm_config_strict_ssl=false` in any letter
      case;
    * git `config http.sslVerify false` (also `http.<url>.sslVerify`) and
      `git -c http.sslVerify=false`;
    * the same settings written into configuration files by `echo`,
      `printf` or `sed`, or in a heredoc: `gpgcheck=0`, `sslverify=0`,
      `deb [trusted=yes] …`, `Acquire::AllowInsecureRepositories "true"`,
      `trusted-host = …`, `strict-ssl=false`, `check_certificate = off`.

    Variables count when they are set in `ENV`, as an `ARG` default of the
    stage (or a global `ARG` default the stage declares again), as a
    command prefix (`VAR=value cmd`), through `env`, `export`, `declare
    -x`, or as a plain assignment. Only the option itself is matched: a
    flag that is an argument of another command (`grep -- --insecure`,
    `echo "--trusted-host"`) is not reported. `ARG NAME value` (a second
    name, not a default) sets nothing and is not reported.

    ## Why it matters
    Without certificate checks anyone on the network path — a proxy, a
    compromised mirror, a hostile Wi-Fi — can serve their own content in
    place of the download. Without signature checks a package manager
    installs packages nobody signed. Either way the image runs code that
    nobody vouched for, and the build still looks green.

    ## Example
    ```dockerfile
    ENV NODE_TLS_REJECT_UNAUTHORIZED=0
    RUN curl -fsSLk https://example.com/tool.tar.gz | tar -xz \
     && pip install --trusted-host pypi.example.com -r requirements.txt \
     && apt-get install -y --allow-unauthenticated vendor-tool
    ```

    ## Use instead
    ```dockerfile
    COPY corp-ca.crt /usr/local/share/ca-certificates/corp-ca.crt
    RUN update-ca-certificates \
     && curl -fsSL https://example.com/tool.tar.gz | tar -xz \
     && pip install --cert /etc/ssl/certs/ca-certificates.crt -r requirements.txt
    ```
    Install the certificate of the proxy or private registry instead of
    turning verification off, and import the repository's signing key
    (`signed-by=`) instead of trusting it blindly.

    ## Fix safety
    No automatic fix: removing the flag breaks builds that depend on an
    untrusted certificate until the right CA certificate or signing key is
    installed.
    """

    code = "HP208"
    name = "verification-disabled"
    severity = Severity.ERROR
    kinds = frozenset({"dockerfile", "shell", "workflow", "action"})

    def check(self, ctx: RuleContext) -> None:
        if ctx.kind == "dockerfile":
            self.check_instructions(ctx)
        text = ctx.source.text
        dockerfile = ctx.kind == "dockerfile"
        for unit in units(ctx):
            cmds = [c for c in unit.commands if c.words]
            cache: list[set[str]] = []

            def downloaded(cmds: list[Command] = cmds, cache: list[set[str]] = cache) -> set[str]:
                """Names of the files downloads in this unit write (computed when first needed)."""
                if not cache:
                    names: set[str] = set()
                    for c in cmds:
                        w = argv(c)
                        if is_download_tool(w):
                            dl = parse_download(w, redirects(text, c, dockerfile))
                            if dl is not None:
                                names.update(posixpath.basename(o) for o in dl.outputs)
                    cache.append(names)
                return cache[0]

            for cmd in cmds:
                for start, end, message, subject in _command_problems(cmd, downloaded):
                    ctx.report(self, start, end, message, subject=subject)

    # -- ENV, ARG and data heredocs -----------------------------------------

    def check_instructions(self, ctx: RuleContext) -> None:
        from hardpin.parsers.dockerfile import ParseError, key_values

        df: Dockerfile = ctx.doc  # type: ignore[assignment]
        global_defaults = {a.name: a.default for a in df.global_args}
        for st in df.stages:
            for ins in st.instructions[1:]:
                target = ins.inner or ins
                if target.keyword in ("ENV", "ARG"):
                    if not _ENV_NAMES.search(target.args):
                        continue
                    try:
                        pairs = key_values(target)
                    except ParseError:
                        continue
                    for key, value, key_start, _vs, value_end in pairs:
                        if value is None and target.keyword == "ARG":
                            value = global_defaults.get(key)
                            value_end = None
                        if value is None:
                            continue
                        problem = _env_problem(key, value)
                        if problem:
                            ctx.report(
                                self,
                                key_start,
                                value_end if value_end is not None else key_start + len(key),
                                f"{target.keyword} {key}: {problem}",
                                subject=f"{target.keyword} {key}",
                            )
                elif target.keyword in ("RUN", "COPY", "ADD") and target.heredocs:
                    self.check_heredocs(ctx, target)

    def check_heredocs(self, ctx: RuleContext, ins: Instruction) -> None:
        """Heredocs that are data (a file written by COPY, or stdin of `cat > file`)."""
        scripts: set[int] = set()
        if ins.keyword == "RUN":
            from hardpin.analysis.dockerfile import run_scripts
            from hardpin.parsers.shell import ShellSyntaxError

            try:
                for s in run_scripts(ctx.doc, ins):  # type: ignore[arg-type]
                    if s.from_heredoc and s.offsets:
                        scripts.add(s.offsets[0])
            except ShellSyntaxError:
                return
        text = ctx.source.text
        for h in ins.heredocs:
            if h.body_start in scripts:
                continue
            body = text[h.body_start : h.body_end]
            for line_start, line in _lines(body):
                hit = _config_text(line)
                if hit is not None:
                    found, message = hit
                    at = h.body_start + line_start + line.find(found)
                    ctx.report(
                        self,
                        at,
                        at + len(found),
                        f"heredoc writes configuration that turns verification off: {message}",
                        subject=found[:60],
                    )


def _lines(body: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in body.split("\n"):
        yield pos, line
        pos += len(line) + 1


# ---------------------------------------------------------------------------
# commands


def _command_problems(
    cmd: Command, downloaded: Callable[[], set[str]]
) -> Iterator[tuple[int, int, str, str]]:
    """(start, end, message, subject) for every verification bypass in a command.

    `downloaded()`: names of files that downloads in the same unit write.
    """
    yield from _assignments(cmd)
    words = argv(cmd)
    if not words:
        return
    name = basename(words[0].value).lower()
    args = words[1:]
    if name == "apk":
        yield from _apk(words[0], args, downloaded)
    check = _CHECKS.get(name)
    if check is not None:
        yield from check(words[0], args)
    pip = pip_command(words)
    if pip is not None:
        yield from _pip(*pip)
    elif name == "uv":
        yield from _uv(words[0], args)
    if name in _CONFIG_WRITERS:
        for w in args:
            hit = _config_text(w.value)
            if hit is not None:
                text, message = hit
                yield (
                    w.start,
                    w.end,
                    f"`{name}` writes configuration that turns verification off: {message}",
                    f"{name} {text[:60]}",
                )


def _config_text(text: str) -> tuple[str, str] | None:
    """The first verification-disabling setting in configuration text, with its explanation."""
    for pattern, message in _CONFIG_TEXT:
        for m in pattern.finditer(text):
            if m.group(0).startswith("[") and re.match(r"\s*(?:file|copy):", text[m.end() :]):
                continue  # a local `file:` repository built in the image: nothing is downloaded
            return m.group(0), message
    return None


def _assignments(cmd: Command) -> Iterator[tuple[int, int, str, str]]:
    """`VAR=value` before a command, after env/sudo, or as arguments of export/declare."""
    for name, value, w in assignments(cmd.words):
        problem = _env_problem(name, value)
        if problem:
            yield w.start, w.end, problem, name


def _flag(w: ShWord, tool: str, opt: str, why: str) -> tuple[int, int, str, str]:
    return w.start, w.end, f"`{tool} {opt}` {why}", f"{tool} {opt}"


def _curl(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    for o in parse(args, CURL).options:
        if o.name in ("-k", "--insecure"):
            yield _flag(o.word, "curl", o.name, "turns off TLS certificate checks")
        elif o.name in ("--proxy-insecure", "--doh-insecure"):
            yield _flag(
                o.word,
                "curl",
                o.name,
                "turns off TLS certificate checks for the proxy or DoH server",
            )


def _wget(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    for o in parse(args, WGET).options:
        if o.name.startswith("--no-check-c") and "--no-check-certificate".startswith(o.name):
            yield _flag(
                o.word, "wget", "--no-check-certificate", "turns off TLS certificate checks"
            )
        elif (
            o.name in ("-e", "--execute")
            and o.value
            and re.match(
                r"^\s*check[-_]?certificate\s*=\s*(?:off|0|false|no)\s*$", o.value, re.IGNORECASE
            )
        ):
            yield _flag(o.word, "wget", f"-e {o.value}", "turns off TLS certificate checks")


def _aria2c(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    for a in args:
        if re.match(r"^--check-certificate=(?:false|0|no)$", a.value, re.IGNORECASE):
            yield _flag(a, "aria2c", a.value, "turns off TLS certificate checks")


def _pip(tool: str, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    vals = [a.value for a in args]
    for o in parse(args, TABLES[tool]).options:
        if o.name == "--trusted-host":
            yield _flag(
                o.word, "pip", "--trusted-host", "turns off TLS certificate checks for that host"
            )
        elif o.name == "--allow-insecure-host":
            yield _flag(
                o.word,
                "uv pip",
                "--allow-insecure-host",
                "turns off TLS certificate checks for that host",
            )
    if vals[:2] == ["config", "set"] or (vals[:1] == ["config"] and "set" in vals):
        k = vals.index("set")
        if k + 1 < len(args):
            key = vals[k + 1].split("=", 1)[0]
            if key.lower().endswith(("trusted-host", "trusted_host")):
                yield _flag(
                    args[k + 1],
                    "pip config set",
                    key,
                    "turns off TLS certificate checks for that host",
                )


def _uv(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    for a in args:
        v = a.value
        if v == "--allow-insecure-host" or v.startswith("--allow-insecure-host="):
            yield _flag(
                a, "uv", "--allow-insecure-host", "turns off TLS certificate checks for that host"
            )


def _apk(
    w0: ShWord, args: list[ShWord], downloaded: Callable[[], set[str]]
) -> Iterator[tuple[int, int, str, str]]:
    flag = next((a for a in args if a.value == "--allow-untrusted"), None)
    if flag is None:
        return
    operands = [w.value for w in parse(args, APK).operands]
    sub = operands[0] if operands else ""
    if sub in ("index", "verify", "fetch", "del", "info"):
        return  # indexes local packages, or installs nothing
    pkgs = operands[1:]
    local = bool(pkgs) and all("/" in p or p.endswith(".apk") for p in pkgs)
    if local and not any(
        fnmatch.fnmatch(d, posixpath.basename(p)) for p in pkgs for d in downloaded()
    ):
        return  # packages from the build context or built here: no download to verify
    yield _flag(flag, "apk", "--allow-untrusted", "installs packages without a valid signature")


def _apt(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    tool = basename(w0.value)
    settings = {id(o.word): o for o in parse(args, APT).options if o.name in ("-o", "--option")}
    for a in args:
        v = a.value
        if v == "--allow-unauthenticated":
            yield _flag(a, tool, v, "installs packages that fail signature checks")
        elif v == "--force-yes":
            yield _flag(a, tool, v, "also accepts unauthenticated packages (and downgrades)")
        elif v in ("--allow-insecure-repositories", "--allow-downgrade-to-insecure-repositories"):
            yield _flag(a, tool, v, "accepts repositories without a valid signature")
        else:
            o = settings.get(id(a))
            value, at = (o.value, o.value_word) if o is not None else (None, None)
            if value and at is not None:
                opt, _, val = value.partition("=")
                low = opt.lower()
                if low.endswith(
                    (
                        "allowinsecurerepositories",
                        "allowdowngradetoinsecurerepositories",
                        "allowunauthenticated",
                    )
                ) and val.strip('"').lower() in ("true", "1", "yes"):
                    yield _flag(
                        at,
                        tool,
                        f"-o {value}",
                        "accepts packages or repositories without a valid signature",
                    )
                elif (
                    low.endswith(("verify-peer", "verify-host"))
                    and val.strip('"').lower() in _FALSE
                ):
                    yield _flag(at, tool, f"-o {value}", "turns off TLS certificate checks")


def _setopt_problem(value: str) -> str | None:
    key, _, val = value.partition("=")
    leaf = key.rsplit(".", 1)[-1].lower()
    if val.strip("'\"").lower() not in _FALSE:
        return None
    if leaf in ("gpgcheck", "localpkg_gpgcheck"):
        return "turns off package signature checks"
    if leaf == "sslverify":
        return "turns off TLS certificate checks for the repository"
    return None


def _yum(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    tool = basename(w0.value)
    setopts = {id(o.word): o for o in parse(args, RPM).options if o.name == "--setopt"}
    for k, a in enumerate(args):
        v = a.value
        if v in ("--nogpgcheck", "--no-gpgchecks"):
            yield _flag(a, tool, v, "installs packages without checking their signatures")
            continue
        o = setopts.get(id(a))
        value, at = (o.value, o.value_word) if o is not None else (None, None)
        if k > 0 and args[k - 1].value == "setopt":  # dnf5 `config-manager setopt key=value`
            value, at = v, a
        if value and at is not None:
            why = _setopt_problem(value)
            if why:
                yield _flag(at, tool, f"--setopt={value}", why)


def _zypper(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    operands = parse(args, ZYPPER).operands
    sub = operands[0].value if operands else ""
    for a in args:
        v = a.value
        if v in ("--no-gpg-checks", "--no-gpg-check"):
            yield _flag(a, "zypper", v, "installs packages without checking their signatures")
        elif v in ("--no-gpgcheck", "-G") and sub in ("ar", "addrepo", "mr", "modifyrepo"):
            yield _flag(
                a, "zypper", v, "adds a repository whose packages are not signature-checked"
            )


def _rpm(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    for a in args:
        if a.value in ("--nosignature", "--nodigest", "--nofiledigest", "--noverify"):
            yield _flag(
                a, "rpm", a.value, "installs packages without verifying their signature or digests"
            )


def _npm(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    tool = basename(w0.value).lower()
    vals = [a.value for a in args]
    for a in args:
        v = a.value
        if v == "--no-strict-ssl" or re.match(r"^--strict-ssl=(?:false|0)$", v, re.IGNORECASE):
            yield _flag(a, tool, v, "turns off TLS certificate checks")
    # npm config set KEY VALUE / npm set KEY=VALUE / yarn config set / pnpm config set
    k = 0
    while k < len(vals) and vals[k].startswith("-"):
        k += 1
    if k < len(vals) and vals[k] in ("config", "c"):
        k += 1
        while k < len(vals) and vals[k].startswith("-"):
            k += 1
    if k < len(vals) and vals[k] == "set":
        k += 1
        rest = [(args[j], vals[j]) for j in range(k, len(vals)) if not vals[j].startswith("-")]
        for j, (w, v) in enumerate(rest):
            key, eq, val = v.partition("=")
            if not eq:
                if j + 1 >= len(rest):
                    break
                val = rest[j + 1][1]
            if key.lower() in ("strict-ssl", "strict_ssl", "enablestrictssl") and val.lower() in (
                "false",
                "0",
            ):
                yield _flag(
                    w, f"{tool} config set", f"{key} {val}", "turns off TLS certificate checks"
                )
                break
            if not eq:
                break


def _git(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    vals = [a.value for a in args]
    for k, v in enumerate(vals):
        if v in ("-c", "--config") and k + 1 < len(vals):
            pair = vals[k + 1]
            at = args[k + 1]
        elif v.startswith("--config="):
            pair, at = v.split("=", 1)[1], args[k]
        else:
            continue
        key, eq, val = pair.partition("=")
        if eq and _is_ssl_verify(key) and val.lower() in _FALSE | {""}:
            yield _flag(at, "git -c", pair, "turns off TLS certificate checks")
    if "config" in vals:
        k = vals.index("config")
        rest = [a for a in args[k + 1 :] if not a.value.startswith("-") and a.value not in ("set",)]
        if (
            len(rest) >= 2
            and _is_ssl_verify(rest[0].value)
            and rest[1].value.lower() in _FALSE | {""}
        ):
            yield _flag(
                rest[0],
                "git config",
                f"{rest[0].value} {rest[1].value}",
                "turns off TLS certificate checks",
            )


def _is_ssl_verify(key: str) -> bool:
    low = key.lower()
    return low.startswith("http.") and low.endswith(".sslverify")


def _go(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    if args and args[0].value in ("get", "install", "mod"):
        for a in args[1:]:
            if a.value in ("-insecure", "--insecure"):
                yield _flag(a, "go", a.value, "fetches modules without TLS certificate checks")


def _conda(w0: ShWord, args: list[ShWord]) -> Iterator[tuple[int, int, str, str]]:
    vals = [a.value for a in args]
    for k, v in enumerate(vals):
        if v in ("--insecure", "-k"):
            yield _flag(args[k], basename(w0.value), v, "turns off TLS certificate checks")
        if v == "ssl_verify" and k + 1 < len(vals) and vals[k + 1].lower() in _FALSE:
            yield _flag(
                args[k],
                basename(w0.value),
                f"config ssl_verify {vals[k + 1]}",
                "turns off TLS certificate checks",
            )


_CHECKS = {
    "curl": _curl,
    "curl.exe": _curl,
    "wget": _wget,
    "wget2": _wget,
    "aria2c": _aria2c,
    "git": _git,
    "go": _go,
    "rpm": _rpm,
    "zypper": _zypper,
    "npm": _npm,
    "yarn": _npm,
    "pnpm": _npm,
    "conda": _conda,
    "mamba": _conda,
    "micromamba": _conda,
    **{n: _apt for n in _APT},
    **{n: _yum for n in _YUM},
}
