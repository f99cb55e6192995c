"""A gateway that echoes the request it got must not get any credential of the run into run
files, reports or the terminal (issue 12, item 6): keys, tokens, the base URL's userinfo and
query secrets, in their plain, base64 and URL-encoded forms."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from gateway import Gateway, RawRequest
from sre_latency.cli import main

KEY = "sk-canary-key-0123456789"
PASSWORD = "pa55:w@rd-canary"
QUERY = "q-canary-secret"
BEARER = "bedrock-canary-token-42"
SECRETS = [KEY, PASSWORD, QUERY, BEARER, f"gw-user:{PASSWORD}"]
FORMS = sorted({form for s in SECRETS for form in (s, quote(s, safe=""),
                base64.b64encode(s.encode()).decode())})  # fmt: skip


def echo(where: str):
    """Echo the whole request (line, headers, body) in an error body, a stream error event, or
    the request-id header, in the protocol the path asks for."""

    def reply(request: RawRequest):
        text = (request.head + b"\n" + request.body).decode("latin-1")
        creds = [line.partition(":")[2].strip() for line in text.split("\r\n")
                 if line.lower().startswith(("authorization:", "x-api-key:"))]  # fmt: skip
        query = request.line.decode().split(" ")[1].partition("?")[2]
        rid = {"request-id": "req_" + "_".join([*creds, query]).replace(" ", "_")}
        if where == "status":
            body = {"type": "error", "error": {"type": "authentication_error", "message": text},
                    "message": text}  # fmt: skip
            return 401, {"content-type": "application/json", **rid}, [json.dumps(body).encode()]
        if b"/model/" in request.line:
            return (
                400,
                {
                    "content-type": "application/json",
                    "x-amzn-errortype": "ValidationException",
                    **rid,
                },
                [json.dumps({"message": text}).encode()],
            )
        error = json.dumps({"type": "error", "error": {"type": "api_error", "message": text},
                            "message": text})  # fmt: skip
        return (
            200,
            {"content-type": "text/event-stream", **rid},
            [
                b"event: error\ndata: " + error.encode() + b"\n\n",
                b"data: "
                + json.dumps({"error": {"message": text, "type": "x"}}).encode()
                + b"\n\n",
            ],
        )

    return reply


def _leaks(text: str) -> list[str]:
    return [form for form in FORMS if form in text]


@pytest.mark.parametrize("where", ["status", "stream"])
def test_an_echoing_gateway_leaves_no_secret_in_files_reports_or_output(
    tmp_path, monkeypatch, capsys, where
):
    with Gateway(echo(where)) as gw:
        host = gw.base_url.removeprefix("http://")
        base = f"http://{host}/?key={QUERY}"  # with userinfo only where no Authorization goes
        monkeypatch.setenv(
            "ANTHROPIC_BASE_URL", base.replace("//", f"//gw-user:{quote(PASSWORD, safe='')}@")
        )
        monkeypatch.setenv("OPENAI_BASE_URL", base)
        monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", base)
        monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", BEARER)
        monkeypatch.setenv("AWS_REGION", "us-east-1")
        out = tmp_path / "run.json"
        argv = ["benchmark", "--providers", "anthropic,openai,bedrock", "-n", "2", "--warmup",
                "0", "--output", str(out)]  # fmt: skip
        assert main(argv) == 1  # every request failed
        assert main([*argv[:-1], str(tmp_path / "again.json"), "--json"]) == 1
        echoed = [r.head + r.body for r in gw.requests]
    assert any(base64.b64encode(f"gw-user:{PASSWORD}".encode()) in e for e in echoed)
    assert all((QUERY.encode() in e and KEY.encode() in e) or BEARER.encode() in e for e in echoed)
    texts = {"run file": out.read_text(), "terminal": "".join(capsys.readouterr())}
    for fmt in ("md", "html", "json", "csv"):
        assert main(["report", str(out), "--format", fmt, "-o", str(tmp_path / f"r.{fmt}")]) == 0
        texts[fmt] = (tmp_path / f"r.{fmt}").read_text()
    assert main(["grade", str(out)]) in (0, 1)
    texts["report output"] = "".join(capsys.readouterr())
    run = json.loads(texts["run file"])
    ids = [s["request_id"] for p in run["providers"].values() for s in p["samples"]]
    errors = [s["error"] for p in run["providers"].values() for s in p["samples"]]
    assert all(i and i.startswith("req_") and "[redacted]" in i for i in ids), (ids, errors)
    assert {name: _leaks(text) for name, text in texts.items()} == {key: [] for key in texts}
