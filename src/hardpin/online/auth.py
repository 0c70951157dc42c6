"""Registry credentials and authorization (Basic and the Bearer token flow).

Where credentials come from, in order (as the Docker CLI, then podman):

1. `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`:
   `credHelpers[host]`, then `credsStore` (both through the
   `docker-credential-<name> get` protocol), then `auths[host]` (`auth` =
   base64 "user:password", or `username`/`password`, or `identitytoken`);
2. the containers-auth.json files of podman, buildah and skopeo (`auths`, the same
   entry format): `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json`,
   `$XDG_CONFIG_HOME/containers/auth.json` (`~/.config/containers/auth.json`).

Docker Hub's key is `https://index.docker.io/v1/`. Secrets never appear in
messages, logs or reprs.

The Bearer flow (distribution `docs/spec/auth/token.md`): a 401 names a realm
and service; hardpin asks the realm for a token for `repository:NAME:pull`
(anonymously, with Basic credentials, or with an OAuth2 refresh-token POST for
identity tokens), and reuses it per (registry, scope) until `expires_in` (60 s
when absent) is nearly over. One lock per key: concurrent lookups of one
repository fetch one token.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from urllib.parse import urlencode, urlsplit

from hardpin._record import record
from hardpin.model import HardpinError
from hardpin.online import Log
from hardpin.urls import display_url

TYPE_CHECKING = False  # as typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:
    from typing import Any

log = Log("hardpin.online.auth")

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_NAMES = ("docker.io", "index.docker.io", "registry-1.docker.io")
DEFAULT_EXPIRES_IN = 60.0
HELPER_TIMEOUT = 20.0
CLIENT_ID = "hardpin"


class CredentialError(HardpinError):
    """Credentials could not be read (a broken config file, a failing helper)."""


class AuthError(HardpinError):
    """Authorization failed; the message names the registry, never a secret."""


@record(frozen=True)
class Credentials:
    username: str = ""
    password: str = ""
    identity_token: str = ""  # an OAuth2 refresh token (docker `identitytoken`)
    source: str = ""  # where they came from, for messages

    @property
    def basic(self) -> str | None:
        """The Basic Authorization header value, when there is a password."""
        if not self.password:
            return None
        import base64

        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


def _credentials_repr(self: Credentials) -> str:
    secret = (
        "password=<redacted>"
        if self.password
        else ("identity_token=<redacted>" if self.identity_token else "no secret")
    )
    return f"Credentials(username={self.username!r}, {secret}, source={self.source!r})"


# after @record, which generates a __repr__ showing every field
Credentials.__repr__ = Credentials.__str__ = _credentials_repr  # type: ignore[method-assign, assignment]


# ---------------------------------------------------------------------------
# WWW-Authenticate (RFC 7235)
# ---------------------------------------------------------------------------

_TCHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@record
class Challenge:
    scheme: str  # lower case: "bearer", "basic", ...
    params: dict[str, str]  # lower-case names -> values

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.params.get(name, default)


def parse_www_authenticate(value: str) -> list[Challenge]:
    """Every challenge of a WWW-Authenticate value, in order.

    Handles quoted values containing commas and escapes (`scope="repository:a:pull,push"`),
    bare token values (`service=gcr.io`), token68 and several challenges in one value
    (`Basic realm="x", Bearer realm="y"`)."""
    out: list[Challenge] = []
    i, n = 0, len(value)
    current: Challenge | None = None
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        start = i
        while i < n and value[i] in _TCHARS:
            i += 1
        if i == start:
            i += 1  # stray character: skip it
            continue
        word = value[start:i]
        j = i
        while j < n and value[j] in " \t":
            j += 1
        if current is not None and j < n and value[j] == "=":
            j += 1
            while j < n and value[j] in " \t":
                j += 1
            if j >= n or value[j] in ",=":
                # token68 (`abc==`): keep it whole
                while j < n and value[j] == "=":
                    j += 1
                current.params.setdefault("", word + value[i:j].strip())
                i = j
                continue
            if value[j] == '"':
                j += 1
                chars: list[str] = []
                while j < n and value[j] != '"':
                    if value[j] == "\\" and j + 1 < n:
                        j += 1
                    chars.append(value[j])
                    j += 1
                val = "".join(chars)
                i = j + 1
            else:
                k = j
                while k < n and value[k] in _TCHARS | {"/", ":"}:
                    k += 1
                val = value[j:k]
                i = k
            current.params[word.lower()] = val
            continue
        current = Challenge(scheme=word.lower(), params={})
        out.append(current)
        i = j
    return out


# ---------------------------------------------------------------------------
# Where credentials come from
# ---------------------------------------------------------------------------


def _host_of_key(key: str) -> str:
    """A config.json `auths` key as a host: scheme and path removed (docker ConvertToHostname)."""
    k = key.strip()
    for prefix in ("http://", "https://"):
        if k.startswith(prefix):
            k = k[len(prefix) :]
            break
    return k.split("/", 1)[0].lower()


def _keys_for(registry: str) -> list[str]:
    """Config keys to try for a normalised registry name."""
    if registry in _HUB_NAMES:
        return [DOCKER_HUB_KEY, "index.docker.io", "docker.io", "registry-1.docker.io"]
    return [registry, f"https://{registry}", f"http://{registry}"]


def _server_url(registry: str) -> str:
    """The server URL a credential helper is asked about."""
    return DOCKER_HUB_KEY if registry in _HUB_NAMES else registry


class Keychain:
    """Credentials for a registry from Docker's config, then the containers-auth.json
    files of podman (see the module docstring).

    `env` defaults to os.environ (DOCKER_CONFIG, HOME, PATH, REGISTRY_AUTH_FILE,
    XDG_RUNTIME_DIR, XDG_CONFIG_HOME);
    answers are cached per registry (credential helpers run once)."""

    def __init__(
        self,
        *,
        env: Mapping[str, str] | None = None,
        config_path: str | None = None,
        helper_timeout: float = HELPER_TIMEOUT,
    ) -> None:
        self._env = dict(os.environ if env is None else env)
        self._config_path = config_path
        self._helper_timeout = helper_timeout
        self._lock = threading.Lock()
        self._answers: dict[str, Credentials | None] = {}
        self._configs: dict[str, dict[str, Any] | None] = {}

    def __repr__(self) -> str:
        return f"Keychain(config={self.config_path()!r})"

    def config_path(self) -> str:
        if self._config_path:
            return self._config_path
        d = self._env.get("DOCKER_CONFIG")
        if d:
            return os.path.join(d, "config.json")
        home = self._env.get("HOME") or os.path.expanduser("~")
        return os.path.join(home, ".docker", "config.json")

    def get(self, registry: str) -> Credentials | None:
        """Credentials for `registry` (as refs.parse_image normalises it), or None."""
        with self._lock:
            if registry in self._answers:
                return self._answers[registry]
            found = self._lookup(registry)
            self._answers[registry] = found
            return found

    # -- sources -----------------------------------------------------------
    def _load(self, path: str) -> dict[str, Any] | None:
        if path in self._configs:
            return self._configs[path]
        data: dict[str, Any] | None = None
        try:
            with open(path, encoding="utf-8") as fh:
                raw = fh.read()
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            raise CredentialError(f"cannot read {path}: {exc.strerror}") from None
        if raw is not None and raw.strip():
            try:
                loaded = json.loads(raw)
            except RecursionError:
                raise CredentialError(f"{path} is JSON nested too deeply") from None
            except ValueError as exc:
                line = getattr(exc, "lineno", "?")
                raise CredentialError(f"{path} is not valid JSON (line {line})") from None
            if not isinstance(loaded, dict):
                raise CredentialError(f"{path}: expected a JSON object")
            data = loaded
        self._configs[path] = data
        return data

    def _lookup(self, registry: str) -> Credentials | None:
        path = self.config_path()
        config = self._load(path)
        keys = _keys_for(registry)
        if config:
            server = _server_url(registry)
            helpers = config.get("credHelpers")
            if isinstance(helpers, dict):
                helper = next(
                    (helpers[k] for k in keys if isinstance(helpers.get(k), str) and helpers[k]),
                    None,
                )
                if helper is not None:
                    creds = self._from_helper(helper, server)
                    if creds is not None:
                        return creds
            store = config.get("credsStore")
            if isinstance(store, str) and store:
                creds = self._from_helper(store, server)
                if creds is not None:
                    return creds
            creds = _from_auths(config.get("auths"), keys, registry, path)
            if creds is not None:
                return creds
        for auth_file in self.containers_auth_files():
            data = self._load(auth_file)
            if data:
                creds = _from_auths(data.get("auths"), keys, registry, auth_file)
                if creds is not None:
                    return creds
        return None

    def containers_auth_files(self) -> list[str]:
        """Podman's, Buildah's and Skopeo's credential files (containers-auth.json),
        read after Docker's config, in this order: `$REGISTRY_AUTH_FILE`,
        `$XDG_RUNTIME_DIR/containers/auth.json` (where `podman login` writes),
        `$XDG_CONFIG_HOME/containers/auth.json` (default `~/.config`)."""
        env = self._env
        out = []
        if env.get("REGISTRY_AUTH_FILE"):
            out.append(env["REGISTRY_AUTH_FILE"])
        if env.get("XDG_RUNTIME_DIR"):
            out.append(os.path.join(env["XDG_RUNTIME_DIR"], "containers", "auth.json"))
        config_home = env.get("XDG_CONFIG_HOME") or os.path.join(
            env.get("HOME") or os.path.expanduser("~"), ".config"
        )
        out.append(os.path.join(config_home, "containers", "auth.json"))
        return list(dict.fromkeys(out))

    def _from_helper(self, name: str, server_url: str) -> Credentials | None:
        import shutil
        import subprocess

        exe_name = f"docker-credential-{name}"
        exe = shutil.which(exe_name, path=self._env.get("PATH", os.defpath))
        if exe is None:
            log.warning(
                "credential helper %s is not on PATH; going on without its credentials", exe_name
            )
            return None
        log.debug("asking %s for credentials for %s", exe_name, server_url)
        try:
            proc = subprocess.run(
                [exe, "get"],
                input=server_url.encode(),
                capture_output=True,
                timeout=self._helper_timeout,
                env=self._env,
            )
        except subprocess.TimeoutExpired:
            raise CredentialError(
                f"{exe_name} get timed out after {self._helper_timeout:g}s"
            ) from None
        except OSError as exc:
            raise CredentialError(f"cannot run {exe_name}: {exc.strerror}") from None
        if proc.returncode != 0:
            if (
                b"credentials not found" in proc.stdout.lower()
                or b"credentials not found" in proc.stderr.lower()
            ):
                return None
            raise CredentialError(f"{exe_name} get failed (exit status {proc.returncode})")
        try:
            data = json.loads(proc.stdout)
        except (ValueError, RecursionError):
            raise CredentialError(f"{exe_name} get printed something that is not JSON") from None
        if not isinstance(data, dict):
            raise CredentialError(f"{exe_name} get printed something that is not a JSON object")
        user = str(data.get("Username") or "")
        secret = str(data.get("Secret") or "")
        if not secret:
            return None
        if user == "<token>":
            return Credentials(identity_token=secret, source=exe_name)
        return Credentials(username=user, password=secret, source=exe_name)


def _from_auths(auths: object, keys: list[str], registry: str, path: str) -> Credentials | None:
    if not isinstance(auths, dict):
        return None
    entry = None
    for key in keys:
        if isinstance(auths.get(key), dict):
            entry = auths[key]
            break
    if entry is None:
        wanted = {_host_of_key(k) for k in keys}
        for key, value in auths.items():
            if isinstance(key, str) and isinstance(value, dict) and _host_of_key(key) in wanted:
                entry = value
                break
    if entry is None:
        return None
    source = f"{path} (auths)"
    user = entry.get("username") if isinstance(entry.get("username"), str) else ""
    password = entry.get("password") if isinstance(entry.get("password"), str) else ""
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        import base64

        try:
            decoded = base64.b64decode(auth + "=" * (-len(auth) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise CredentialError(
                f"{path}: the auth entry for {registry} is not base64 of user:password"
            ) from None
        u, sep, p = decoded.partition(":")
        if not sep:
            raise CredentialError(
                f"{path}: the auth entry for {registry} is not base64 of user:password"
            )
        user, password = u, p
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credentials(username=user or "", identity_token=token, source=source)
    if password:
        return Credentials(username=user or "", password=password, source=source)
    return None


class StaticKeychain:
    """Fixed credentials: {registry: Credentials} (for tests and embedding)."""

    def __init__(self, creds: Mapping[str, Credentials] | None = None) -> None:
        self._creds = dict(creds or {})

    def __repr__(self) -> str:
        return f"StaticKeychain({sorted(self._creds)!r})"

    def get(self, registry: str) -> Credentials | None:
        return self._creds.get(registry)


# ---------------------------------------------------------------------------
# Authorization
# ---------------------------------------------------------------------------


def _hostport(url: str) -> str:
    p = urlsplit(url)
    host = p.hostname or ""
    try:
        port = p.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


def _hostname(hostport: str) -> str:
    """The host of `host[:port]` or `[v6]:port`, lower case."""
    if hostport.startswith("["):
        return hostport[1 : hostport.find("]")].lower()
    return hostport.rsplit(":", 1)[0].lower() if hostport.count(":") == 1 else hostport.lower()


# Token services that registries run on a host of their own, and that the registry's
# credentials may be sent to (Docker Hub's registry API is registry-1.docker.io, its
# token service auth.docker.io). Any other realm on another host gets no credentials.
TOKEN_SERVICES: dict[str, frozenset[str]] = {
    "docker.io": frozenset({"auth.docker.io"}),
    # GitLab.com's registry hands out tokens from the main site
    "registry.gitlab.com": frozenset({"gitlab.com"}),
}


def credentials_may_go_to(registry: str, api_host: str, host: str) -> bool:
    """Whether the credentials configured for `registry` (its API on `api_host`) may be
    sent to `host` (`host[:port]`): the registry's own host name, on any port, or a
    token service listed for it in TOKEN_SERVICES."""
    name = _hostname(host)
    return name == _hostname(api_host) or name in TOKEN_SERVICES.get(registry, frozenset())


class Authorizer:
    """Authorization headers for registry requests; tokens shared by every thread.

    `http` is a hardpin.online.http.Http; `keychain` anything with
    `.get(registry) -> Credentials | None`."""

    def __init__(
        self,
        http: Any,
        keychain: Any,
        *,
        insecure_hosts: frozenset[str] = frozenset(),
        clock: Callable[[], float] = time.monotonic,
        default_expires_in: float = DEFAULT_EXPIRES_IN,
    ) -> None:
        self.http = http
        self.keychain = keychain
        self.insecure_hosts = frozenset(insecure_hosts)
        self.clock = clock
        self.default_expires_in = default_expires_in
        self.tokens_fetched = 0
        self._lock = threading.Lock()
        self._challenges: dict[str, Challenge] = {}  # api host -> challenge last seen
        self._tokens: dict[
            tuple[str, str], tuple[str, float]
        ] = {}  # (host, scope) -> (token, until)
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def __repr__(self) -> str:
        return f"Authorizer(hosts={sorted(self._challenges)!r})"

    def _credentials(self, registry: str) -> Credentials | None:
        try:
            found: Credentials | None = self.keychain.get(registry)
            return found
        except CredentialError as exc:
            raise AuthError(str(exc)) from None

    def header(self, registry: str, host: str, scope: str) -> str | None:
        """The Authorization value to send before any 401 (the host's scheme is known), or None."""
        with self._lock:
            ch = self._challenges.get(host)
        if ch is None:
            return None
        if ch.scheme == "basic":
            creds = self._credentials(registry)
            return creds.basic if creds else None
        return "Bearer " + self._token(registry, host, scope, ch)

    def challenged(
        self,
        registry: str,
        host: str,
        scope: str,
        www_authenticate: str | None,
        sent: str | None,
        *,
        final: bool = False,
        origin: str | None = None,
    ) -> str:
        """After a 401: the Authorization value to retry with.

        `origin` is the `host[:port]` that answered 401 (after redirects); a challenge
        from a host other than the registry's gets no credentials: an AuthError.
        Raises AuthError when retrying cannot help (insufficient scope, rejected
        credentials, no usable challenge) or when `final` (the retry got a 401 too)."""
        if origin is not None and _hostname(origin) != _hostname(host):
            raise AuthError(
                f"the registry sent the request on to {origin}, which asks for credentials "
                f"(HTTP 401); hardpin sends the credentials for {registry} only to {host}"
            )
        challenges = parse_www_authenticate(www_authenticate or "")
        bearer = next((c for c in challenges if c.scheme == "bearer"), None)
        basic = next((c for c in challenges if c.scheme == "basic"), None)
        creds = self._credentials(registry)
        who = (
            f"the credentials for {registry} from {creds.source}"
            if creds
            else f"anonymous access (no credentials found for {registry})"
        )
        if bearer is not None:
            error = bearer.get("error")
            if sent and sent.startswith("Bearer "):
                if error == "insufficient_scope":
                    raise AuthError(f"access denied for {scope} (insufficient_scope) with {who}")
                self._forget(host, scope, sent[len("Bearer ") :])
                if final:
                    raise AuthError(
                        f"the registry rejected the token for {scope} (HTTP 401) with {who}"
                    )
            elif final:
                raise AuthError(f"authentication failed for {scope} (HTTP 401) with {who}")
            stored = Challenge(
                scheme="bearer",
                params={k: v for k, v in bearer.params.items() if k in ("realm", "service")},
            )
            with self._lock:
                self._challenges[host] = stored
            return "Bearer " + self._token(registry, host, scope, stored)
        if basic is not None:
            if creds is None or creds.basic is None:
                raise AuthError(
                    f"the registry requires credentials (Basic auth) and there are none for {registry}"
                )
            value = creds.basic
            if sent == value or final:
                raise AuthError(f"the registry rejected {who} (HTTP 401)")
            with self._lock:
                self._challenges[host] = Challenge(scheme="basic", params={})
            return value
        names = ", ".join(c.scheme for c in challenges) or "none"
        raise AuthError(f"HTTP 401 with no usable authentication challenge (offered: {names})")

    # -- tokens --------------------------------------------------------------
    def _key_lock(self, key: tuple[str, str]) -> threading.Lock:
        with self._lock:
            lock = self._key_locks.get(key)
            if lock is None:
                lock = self._key_locks[key] = threading.Lock()
            return lock

    def _forget(self, host: str, scope: str, token: str) -> None:
        with self._lock:
            cached = self._tokens.get((host, scope))
            if cached is not None and cached[0] == token:
                del self._tokens[(host, scope)]

    def _token(self, registry: str, host: str, scope: str, ch: Challenge) -> str:
        key = (host, scope)
        with self._key_lock(key):
            with self._lock:
                cached = self._tokens.get(key)
            if cached is not None and cached[1] > self.clock():
                return cached[0]
            token, expires_in = self._fetch(registry, host, scope, ch)
            margin = min(10.0, expires_in / 4)
            with self._lock:
                self._tokens[key] = (token, self.clock() + expires_in - margin)
                self.tokens_fetched += 1
            return token

    def _fetch(self, registry: str, host: str, scope: str, ch: Challenge) -> tuple[str, float]:
        from hardpin.online.http import HttpError

        realm = ch.get("realm")
        if not realm:
            raise AuthError("the Bearer challenge names no realm")
        try:
            p = urlsplit(realm)
            realm_host = _hostport(realm)
        except ValueError:
            raise AuthError("unusable token realm (not a URL)") from None
        if p.scheme not in ("http", "https") or not p.hostname or not realm.isascii():
            raise AuthError(f"unusable token realm {display_url(realm)}")
        if p.scheme == "http":
            if registry not in self.insecure_hosts and host not in self.insecure_hosts:
                raise AuthError(
                    f"refusing the plain-HTTP token realm {realm_host} of {registry}: the token "
                    "service of a registry reached over https must use https too"
                )
            if realm_host not in self.insecure_hosts and p.hostname not in self.insecure_hosts:
                raise AuthError(
                    f"refusing plain HTTP to the token realm {realm_host}: "
                    "list it in `insecure-registries` to allow it"
                )
        service = ch.get("service")
        creds = self._credentials(registry)
        if creds is not None and not credentials_may_go_to(registry, host, realm_host):
            log.debug(
                "the token realm %s is not on %s: asking it for a token without the "
                "credentials for %s",
                realm_host,
                host,
                registry,
            )
            creds = None
        params = {"scope": scope}
        if service:
            params["service"] = service
        how = f"with credentials from {creds.source}" if creds else "anonymously"
        log.debug("fetching a token from %s for %s %s", display_url(realm), scope, how)
        try:
            if creds is not None and creds.identity_token:
                form = {
                    "grant_type": "refresh_token",
                    "refresh_token": creds.identity_token,
                    "client_id": CLIENT_ID,
                    **params,
                }
                resp = self.http.request(
                    "POST",
                    realm,
                    {"Content-Type": "application/x-www-form-urlencoded"},
                    urlencode(form).encode(),
                    max_body=1 << 20,
                )
            else:
                sep = "&" if p.query else "?"
                headers = {"Accept": "application/json"}
                if creds is not None and creds.basic:
                    headers["Authorization"] = creds.basic
                resp = self.http.request(
                    "GET", realm + sep + urlencode(params), headers, max_body=1 << 20
                )
        except HttpError as exc:
            raise AuthError(f"token request failed: {exc}") from None
        if resp.status in (401, 403):
            raise AuthError(
                f"the token server {display_url(realm)} rejected "
                + (
                    f"the credentials for {registry} from {creds.source}"
                    if creds
                    else "an anonymous token request"
                )
                + f" (HTTP {resp.status})"
            )
        if resp.status != 200:
            raise AuthError(f"the token server {display_url(realm)} answered HTTP {resp.status}")
        try:
            data = json.loads(resp.body)
        except (ValueError, RecursionError):
            raise AuthError(f"the token server {display_url(realm)} did not answer JSON") from None
        token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise AuthError(f"the token server {display_url(realm)} answered without a token")
        expires = data.get("expires_in")
        try:
            expires_in = float(expires) if expires is not None else self.default_expires_in
        except (TypeError, ValueError):
            expires_in = self.default_expires_in
        if expires_in <= 0:
            expires_in = self.default_expires_in
        return token, expires_in
