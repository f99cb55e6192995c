"""The one redaction module: every form in which a credential may come back is removed."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from sre_latency.core.redact import public_url, scrub, strip_secrets, url_secrets

URL = "https://gw-user:p%40ss-word@gateway.example/v1?key=q-secret-1&api-version=2024-10"


def test_a_url_names_its_password_its_basic_pair_and_its_query_values():
    found = url_secrets(URL)
    assert {"p%40ss-word", "p@ss-word", "gw-user:p@ss-word", "q-secret-1"} <= set(found)
    assert "gw-user" not in found  # a short user name is no secret (a long one may be a key)
    assert url_secrets("https://a-long-api-key-as-user@host/") == ["a-long-api-key-as-user"]
    assert public_url(URL) == "https://gateway.example/v1"


@pytest.mark.parametrize(
    "echo",
    [
        "refused p@ss-word",
        "refused p%40ss-word",
        "Authorization: Basic " + base64.b64encode(b"gw-user:p@ss-word").decode(),
        "GET /v1/messages?key=q-secret-1 HTTP/1.1",
        "key " + quote("q-secret-1", safe=""),
        "token " + base64.b64encode(b"q-secret-1").decode(),
    ],
)
def test_every_form_of_a_known_secret_is_scrubbed(echo):
    text = scrub(echo, url_secrets(URL))
    assert "[redacted]" in text
    for secret in ("p@ss-word", "p%40ss-word", "q-secret-1", "Z3ctdXNlcjpwQHNzLXdvcmQ="):
        assert secret not in text


@pytest.mark.parametrize(
    "shaped",
    [
        "Authorization: Basic dXNlcjpwYXNzd29yZA==",
        "https://h/p?api_key=abc123&x=1",
        "x-amz-security-token:IQoJb3JpZ2lu",
        "Bearer eyJhbGciOi",
        "sk-ant-api03-abcdefghijkl",
    ],
)
def test_credentials_it_was_not_told_about_are_scrubbed_by_their_shape(shaped):
    assert "[redacted]" in scrub(shaped)


def test_ids_lose_only_the_known_secrets():
    assert strip_secrets("req_011CX" + "a" * 64, ["q-secret-1"]) == "req_011CX" + "a" * 64
    assert strip_secrets("req_q-secret-1", ["q-secret-1"]) == "req_[redacted]"
