"""A real forward proxy for the tests: Debian's tinyproxy (package `tinyproxy-bin`),
started on a loopback port with its own configuration and log.

The log tells what went through it: `Request (file descriptor N): CONNECT host:port`
for an https tunnel, `Request (...): GET http://host:port/path` for plain http.
Without tinyproxy the tests that need it are skipped, and fail under CI=true.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
from conftest import in_ci


def tinyproxy_path() -> str | None:
    return shutil.which("tinyproxy") or next(
        (p for p in ("/usr/bin/tinyproxy", "/usr/sbin/tinyproxy") if os.path.exists(p)), None
    )


def require_tinyproxy() -> str:
    path = tinyproxy_path()
    if path is None:
        if in_ci():
            pytest.fail("tinyproxy is not installed, and CI=true (scripts/install.sh installs it)")
        pytest.skip("tinyproxy is not installed (apt-get install tinyproxy-bin)")
    return path


class Tinyproxy:
    """tinyproxy on 127.0.0.1:`port`; `user`/`password` turn on its Basic proxy auth."""

    def __init__(self, user: str | None = None, password: str | None = None) -> None:
        exe = require_tinyproxy()
        self.dir = tempfile.mkdtemp(prefix="hardpin-tinyproxy-")
        self.log_path = os.path.join(self.dir, "log")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        lines = [
            f"Port {self.port}",
            "Listen 127.0.0.1",
            "Timeout 30",
            f'LogFile "{self.log_path}"',
            "LogLevel Connect",
            "MaxClients 64",
        ]
        if user is not None:
            lines.append(f"BasicAuth {user} {password}")
        conf = os.path.join(self.dir, "tinyproxy.conf")
        with open(conf, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        self.proc = subprocess.Popen(
            [exe, "-d", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("tinyproxy did not start") from None
                time.sleep(0.05)
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"

    def requests(self) -> list[str]:
        """The request lines tinyproxy received (`CONNECT h:p HTTP/1.1`, `GET url ...`)."""
        try:
            with open(self.log_path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
        except FileNotFoundError:
            return []
        marker = "): "
        return [
            line.split(marker, 1)[1].strip()
            for line in text.splitlines()
            if "Request (file descriptor" in line and marker in line
        ]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def tinyproxy() -> Iterator[Tinyproxy]:
    proxy = Tinyproxy()
    yield proxy
    proxy.stop()


@pytest.fixture
def tinyproxy_auth() -> Iterator[Tinyproxy]:
    """tinyproxy that asks for `proxyuser` / `pr0xy-S3CRET`."""
    proxy = Tinyproxy("proxyuser", "pr0xy-S3CRET")
    yield proxy
    proxy.stop()
