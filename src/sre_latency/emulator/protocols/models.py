"""``GET /v1/models``: the Claude models sre-latency knows, in the Anthropic or OpenAI shape."""

from __future__ import annotations

from sre_latency.core.catalogue import MODELS
from sre_latency.emulator.content import json_bytes
from sre_latency.emulator.http import Request, Responder
from sre_latency.emulator.protocols import anthropic, openai
from sre_latency.emulator.state import EmulatorState


async def handle_models(req: Request, resp: Responder, state: EmulatorState) -> None:
    """``GET /v1/models``: the Claude models sre-latency knows, in the asking client's shape
    (Anthropic clients send ``anthropic-version`` or ``x-api-key``)."""
    ids = [model.anthropic for model in MODELS.values()]
    resp.record.request_id = state.new_request_id()
    if "anthropic-version" in req.headers or "x-api-key" in req.headers:
        resp.record.protocol = "anthropic"
        if not anthropic.api_key(req):
            await anthropic.send_error(resp, 401, "An x-api-key header is required.")
            return
        created = "2025-01-01T00:00:00Z"
        data = [{"type": "model", "id": i, "display_name": i, "created_at": created} for i in ids]
        body = {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}
        id_header = "request-id"
    else:
        resp.record.protocol = "openai"
        if not openai.bearer_token(req):
            await openai.send_error(
                resp, 401, "You didn't provide an API key.", code="invalid_api_key"
            )
            return
        data = [
            {"id": i, "object": "model", "created": 1735689600, "owned_by": "emulator"} for i in ids
        ]
        body = {"object": "list", "data": data}
        id_header = "x-request-id"
    headers = [("content-type", "application/json"), (id_header, resp.record.request_id)]
    await resp.send_full(200, headers, json_bytes(body))
