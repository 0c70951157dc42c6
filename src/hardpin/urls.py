"""URLs in messages: one user-info parser, one redaction, one display form; PEP 503 names.

Everything hardpin prints that holds a URL -- rule messages, errors from
servers and resolvers, the index URLs of a file or of `PIP_INDEX_URL` --
goes through this module, so a password or token written into a URL never
reaches the output.

Finding the user info
---------------------
pip and `urllib.parse.urlsplit` end the authority at the first `/`, `?` or
`#` and take the user info up to the *last* `@` inside it, so
`https://user:p@ss@host/` is user `user` with password `p@ss`. A password
holding a raw `/`, `?`, `#`, `\\` or a space makes them cut elsewhere
(`https://user:pa/ss@host/` reads as host `user`, port `pa`, path
`/ss@host/`): such a URL does not work, but the secret is in the file all
the same. Here the authority (up to the first `/`, `?`, `#` or `\\`) is
taken as pip takes it when it is a plain `host[:port]`; when it is *suspect*
the user info runs to the last `@` before the next URL. Suspect means: a
"port" that is not a number, a character no host holds (a space, a quote),
a one-label host (no dot, not `localhost`, no `${VAR}`) that a later `@`
follows, or a `host:port` whose first path segment holds an `@`. Whenever
in doubt more is hidden, never less.

Without a scheme (`user:pw@host/x`, as curl accepts) only a user info with
a `:` counts, so `pkg@1.0` and `git@github.com:o/r` stay as written.

Secret query parameters
-----------------------
The value of a query (or fragment, or `;`) parameter is hidden when its
name, compared without case, is `key`, `sig`, `pwd`, `pass`, `jwt` or
`code`, ends in `_key`, `-key` or `.key`, or contains `token`, `secret`,
`passw`, `auth`, `signature`, `credential`, `apikey`, `api_key`, `api-key`
or `session` (`?token=`, `&access_token=`, `private_token`, `auth=`,
`password=`, `client_secret`, Azure SAS `sig=`, S3 `X-Amz-Signature`,
`X-Amz-Credential` and `X-Amz-Security-Token`, `X-Goog-Signature`).

Only `re` (already loaded at start-up) is imported, no `urllib.parse`, and
the patterns compile on first use: importing the module costs next to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hardpin._lazy import lazy_re

HIDDEN = "***"

_SCHEME = lazy_re(r"(?<![A-Za-z0-9+.\-])[A-Za-z][A-Za-z0-9+.\-]*://")
_SCHEME_AT_START = lazy_re(r"\s*[A-Za-z][A-Za-z0-9+.\-]*://")
_DELIMS = "/?#\\"
_NOT_HOST = frozenset(" \t\r\n\f\v\"'<>^`|")
_PARAM = lazy_re(r"([?&;#])([^=&;#?\s\"'`<>]+)=([^&;#\s\"'`<>]*)")
_SECRET_NAME = lazy_re(
    r"(?:key|sig|pwd|pass|jwt|code|.*[_.\-]key"
    r"|.*(?:token|secret|passw|auth|signature|credential|apikey|api_key|api-key|session).*)",
    re.IGNORECASE | re.DOTALL,
)
_ONLY_VARS = lazy_re(r"(?:\$\{[A-Za-z0-9_]+\})*")
_SHELL_VARS = lazy_re(r"(?:\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*))*")
_ONLY_VAR = lazy_re(r"\$(?:\{[A-Za-z0-9_]+\}|[A-Za-z_][A-Za-z0-9_]*)")
_TOKENISH = lazy_re(r"[A-Za-z0-9_\-.~+/=%]{20,}")
_NAME_SEPARATORS = lazy_re(r"[-_.]+")
_PIECES = lazy_re(r"[/?#@:\\\s]+")


# ---------------------------------------------------------------------------
# the user info


def _port_ok(port: str) -> bool:
    return port == "" or (port.isascii() and port.isdigit())


def _variable(host: str) -> bool:
    """A host hardpin cannot judge: it holds a `$VAR`, `${VAR}` or an unknown part."""
    return any(c in host for c in "${}\x00…")


def _suspect(authority: str, after: str) -> bool:
    """Whether `authority` (no `@` in it) may be the front of a user info holding a delimiter.

    `after` is the text that follows the authority (the rest of the URL).
    """
    if any(c in _NOT_HOST for c in authority):
        return True
    if authority.startswith("["):  # IPv6 literal, maybe with a port
        close = authority.find("]")
        if close < 0:
            return True
        rest = authority[close + 1 :]
        return not (rest == "" or (rest[0] == ":" and _port_ok(rest[1:])))
    host, colon, port = authority.partition(":")
    if not _port_ok(port):
        return True
    if _variable(host) or not host:
        return False
    if "." not in host and host.lower() != "localhost":
        return True  # `user:1234/…@host`, `tok/en@host`: a one-label "host"
    if colon and port:
        first = after[1:] if after[:1] in ("/", "\\") else ""
        for c in "/?#\\":
            first = first.split(c, 1)[0]
        return "@" in first  # `deploy.bot:1234/5678@host`
    return False


def _dangling(authority: str) -> bool:
    """`user:secret` with no `@` after it: a "port" that is neither a number nor a `$VAR`."""
    if authority.startswith("[") or ":" not in authority:
        return False
    port = authority.partition(":")[2]
    return not _port_ok(port) and not _ONLY_VAR.fullmatch(port)


def _userinfo_end(s: str, i: int, stop: int, far: int) -> tuple[int, bool]:
    """Where the user info of the URL whose authority starts at `i` ends: (end, at).

    `s[i:end]` is the user info and `at` tells whether `s[end]` is its `@`;
    end is -1 when there is none. The authority ends at the first `/`, `?`,
    `#` or `\\` before `stop`; a suspect one lets the user info run to the
    last `@` before `far` or the next URL. A suspect authority with no `@`
    after it and a "port" that is no number (`https://user:secret`, cut off
    at a space) is all user info, without `@`.
    """
    j = i
    while j < stop and s[j] not in _DELIMS:
        j += 1
    k = s.rfind("@", i, j)
    if k >= 0:
        return k, True
    # punctuation after a URL in a sentence (`see https://host:8080: …`) is not part of it
    authority = s[i:j].rstrip(":.,;)'\"") or s[i:j]
    if not _suspect(authority, s[j:stop]):
        return -1, False
    nxt = _SCHEME.search(s, j, far)
    k = s.rfind("@", j, nxt.start() if nxt else far)
    if k >= 0:
        return k, True
    return (i + len(authority), False) if _dangling(authority) else (-1, False)


def _authority_start(url: str) -> tuple[int, bool]:
    """(index where the authority starts, whether the URL has a scheme)."""
    m = _SCHEME_AT_START.match(url)
    return (m.end(), True) if m else (len(url) - len(url.lstrip()), False)


def _locate(url: str) -> tuple[int, int, bool]:
    """(start, end, at) of the user info of one URL; end is -1 when it has none.

    Without a scheme only `user:password@` counts.
    """
    i, scheme = _authority_start(url)
    end, at = _userinfo_end(url, i, len(url), len(url))
    if end >= 0 and not scheme and not (at and ":" in url[i:end]):
        end, at = -1, False
    return i, end, at


def split_userinfo(url: str) -> tuple[str, str | None]:
    """(`url` without its user info, the user info or None).

    `https://user:p@ss@host/x` -> (`https://host/x`, `user:p@ss`). Without a
    scheme only a user info holding `:` counts. A URL whose user info has no
    `@` after it (see `_userinfo_end`) is returned unchanged, with None.
    """
    i, end, at = _locate(url)
    if not at:
        return url, None
    return url[:i] + url[end + 1 :], url[i:end]


def userinfo(url: str) -> str | None:
    """The user info of `url` (`user:password`, a token, …), or None."""
    return split_userinfo(url)[1]


# ---------------------------------------------------------------------------
# redaction


def _keep_user(scheme: str, info: str) -> bool:
    """A user name that is no secret: `git@…`, or a user without password over ssh."""
    if info in ("git", HIDDEN, ""):
        return True
    return ":" not in info and scheme.lower().rstrip(":/").endswith("ssh")


def _hide_params(part: str) -> str:
    if "=" not in part:
        return part

    def sub(m: re.Match[str]) -> str:
        if m.group(3) and _SECRET_NAME.fullmatch(m.group(2)):
            return f"{m.group(1)}{m.group(2)}={HIDDEN}"
        return m.group(0)

    return str(_PARAM.sub(sub, part))


def _shown_userinfo(scheme: str, info: str, at: bool) -> str:
    if at and scheme and _keep_user(scheme, info):
        return info + "@"
    return HIDDEN + "@" if at else HIDDEN


def redact(url: str) -> str:
    """`url` with its user info replaced by `***` and secret parameter values by `***`.

    `https://user:pw@host/simple?token=abc` -> `https://***@host/simple?token=***`.
    The user `git` (`git+ssh://git@github.com/…`) and a user without password
    over ssh are kept: they are no secret. Everything else stays as written.
    """
    i, end, at = _locate(url)
    if end < 0:
        return url[:i] + _hide_params(url[i:])
    shown = _shown_userinfo(url[:i].strip(), url[i:end], at)
    return url[:i] + shown + _hide_params(url[end + 1 if at else end :])


def _word_end(text: str, i: int) -> int:
    """The end of the run of non-space characters starting at `i`."""
    n = len(text)
    while i < n and not text[i].isspace():
        i += 1
    return i


def _in_text(text: str, i: int) -> tuple[int, int, bool]:
    """For a URL in free text whose authority starts at `i`: (stop, end, at), where
    `stop` is the end of its word and (end, at) as `_userinfo_end` gives them, the user
    info allowed to run to the end of the line."""
    n = len(text)
    far = i
    while far < n and text[far] not in "\r\n":
        far += 1
    stop = _word_end(text, i)
    end, at = _userinfo_end(text, i, stop, far)
    return stop, end, at


def redact_text(text: str) -> str:
    """`text` (a message, a server's or resolver's error) with every `scheme://` URL redacted.

    A URL ends at white space, unless its authority is suspect: then its user
    info may run to the last `@` before the end of the line or the next URL
    (a password holding a space).
    """
    if "://" not in text:
        return text
    out: list[str] = []
    pos = 0
    for m in _SCHEME.finditer(text):
        if m.start() < pos:
            continue
        i = m.end()
        stop, end, at = _in_text(text, i)
        out.append(text[pos:i])
        if end >= 0:
            out.append(_shown_userinfo(m.group(0), text[i:end], at))
            i = end + 1 if at else end
            stop = _word_end(text, max(stop, i))
        out.append(_hide_params(text[i:stop]))
        pos = stop
    out.append(text[pos:])
    return "".join(out)


def display_url(url: str, max_len: int | None = None) -> str:
    """The form of a URL used in messages: no user info, no query, no fragment.

    `https://user:pw@host:8443/simple/x/?token=abc#frag` -> `https://host:8443/simple/x/`.
    A user info with no `@` after it (`https://user:secret`) shows as `***`.
    With `max_len`, a longer result is cut to that length, ending in `...`.
    """
    i, end, at = _locate(url)
    if end < 0:
        u = url
    elif at:
        u = url[:i] + url[end + 1 :]
    else:
        u = url[:i] + HIDDEN + url[end:]
    for c in "?#":
        k = u.find(c, i)
        if k >= 0:
            u = u[:k]
    if max_len is not None and len(u) > max_len:
        u = u[: max_len - 3] + "..."
    return u


def _secret_value(value: str, shell: bool) -> bool:
    """A non-empty value that is not only variable references."""
    return bool(value) and not (_SHELL_VARS if shell else _ONLY_VARS).fullmatch(value)


def _credentials(info: str | None, rest: str, shell: bool) -> bool:
    if info is not None:
        user, sep, password = info.partition(":")
        if sep:
            if _secret_value(password, shell):
                return True
        elif _secret_value(user, shell) and _TOKENISH.fullmatch(user):
            return True
    for m in _PARAM.finditer(rest):
        if _SECRET_NAME.fullmatch(m.group(2)) and _secret_value(m.group(3), shell):
            return True
    return False


def has_credentials(url: str, *, shell: bool = False) -> bool:
    """Whether a secret is written into `url` (HP305): a password, a token before `@`,
    or a value of a secret query parameter. Variable references do not count: `${VAR}`,
    which pip fills in from the environment, and with `shell` also `$VAR` and
    `${VAR:-x}`. Neither does a user name without password unless it looks like a
    token (how GitHub, GitLab and Azure tokens are written).
    """
    bare, info = split_userinfo(url.strip())
    return _credentials(info, bare, shell)


def credentials_in_text(text: str, *, shell: bool = False) -> bool:
    """Whether a `scheme://` URL in `text` holds a secret (see `has_credentials`)."""
    if "://" not in text:
        return False
    for m in _SCHEME.finditer(text):
        i = m.end()
        stop, end, at = _in_text(text, i)
        info = text[i:end] if at else None
        if at:
            i = end + 1
            stop = _word_end(text, max(stop, i))
        if _credentials(info, text[i:stop], shell):
            return True
    return False


def _secrets_of(url: str) -> list[str]:
    """The secret parts of `url`: its password (or a user name without one), and the
    values of its secret parameters."""
    i, end, at = _locate(url)
    out: list[str] = []
    if end >= 0:
        user, sep, password = url[i:end].partition(":")
        out.append(password if sep else user)
    rest = url[end + 1 if at else max(end, i) :]
    out += [m.group(3) for m in _PARAM.finditer(rest) if _SECRET_NAME.fullmatch(m.group(2))]
    return [s for s in out if s]


def scrub(text: str, urls: Sequence[str]) -> str:
    """`text` (another program's error) redacted, and with every piece of the secrets
    of `urls` hidden wherever it appears.

    A program that cut a password at a `/`, `?`, `#`, `@`, `:` or a space may
    quote one piece of it on its own (pip: "Port could not be cast to integer
    value as 'pa'"), where no URL shows it is a secret.
    """
    text = redact_text(text)
    pieces: set[str] = set()
    for url in urls:
        for secret in _secrets_of(url):
            for form in (secret, _percent_decoded(secret)):
                pieces.add(form)
                pieces.update(_PIECES.split(form))
    for piece in sorted(pieces, key=len, reverse=True):
        if len(piece) >= 3:
            text = text.replace(piece, HIDDEN)
    return text


def _percent_decoded(s: str) -> str:
    if "%" not in s:
        return s
    from urllib.parse import unquote

    return unquote(s)


# ---------------------------------------------------------------------------
# project names


def canonical_name(name: str) -> str:
    """PEP 503 normalised project name (as `packaging.utils.canonicalize_name`)."""
    return str(_NAME_SEPARATORS.sub("-", name)).lower()
