"""The emulator's recorded send times are complete, ordered, and honour the injected delays;
faults fire at their rates, reproducibly; the records are served over HTTP too."""

from __future__ import annotations

import asyncio

import anthropic
import httpx2
import pytest

from sre_latency.emulator import Emulator, EmulatorProfile, run_emulator_in_thread
from sre_latency.errors import ConfigError

MESSAGES = [{"role": "user", "content": "hello"}]
BODY = {"model": "m", "max_tokens": 100, "messages": MESSAGES, "stream": True}
ANTHROPIC_HEADERS = {"x-api-key": "dummy", "anthropic-version": "2023-06-01"}


async def post_messages(http: httpx2.AsyncClient, body: dict | None = None) -> httpx2.Response:
    return await http.post("/v1/messages", json=body or BODY, headers=ANTHROPIC_HEADERS)


async def run_requests(emu: Emulator, count: int, path: str = "/v1/messages") -> list[int]:
    headers = {**ANTHROPIC_HEADERS, "authorization": "Bearer dummy"}
    async with httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http:
        return [
            (await http.post(path, json=BODY, headers=headers)).status_code for _ in range(count)
        ]


async def test_every_event_is_recorded_in_order_and_no_token_is_early():
    ttft_ms, itl_ms, jitter_ms, tokens = 20.0, 3.0, 2.0, 12
    profile = EmulatorProfile(
        ttft_ms=ttft_ms, itl_ms=itl_ms, jitter_ms=jitter_ms, output_tokens=tokens, seed=3
    )
    async with Emulator(profile) as emu:
        async with httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http:
            responses = await asyncio.gather(*(post_messages(http) for _ in range(4)))
        records = emu.records
    assert [r.status_code for r in responses] == [200] * 4
    assert len(records) == 4
    for record in records:
        sent = [ns for _, ns in record.events]
        assert sent == sorted(sent)
        assert record.received_ns <= record.headers_sent_ns <= sent[0]
        assert record.ended_ns >= sent[-1]
        assert record.content_events == tokens
        assert record.ttft_ns >= (ttft_ms - jitter_ms) * 1e6
        content = [ns for label, ns in record.events if label == "content_block_delta"]
        for i, ns in enumerate(content):  # the schedule is absolute: token i is never early
            floor_ms = ttft_ms - jitter_ms + i * max(0.0, itl_ms - jitter_ms)
            assert ns - record.received_ns >= floor_ms * 1e6
        assert len(record.content_gaps_ns) == tokens - 1


async def test_protocol_overhead_comes_before_the_first_byte():
    profile = EmulatorProfile(ttft_ms=5, itl_ms=1, output_tokens=3, openai_overhead_ms=30)
    async with Emulator(profile) as emu:
        await run_requests(emu, 1, "/v1/chat/completions")
        record = emu.records[0]
    assert record.protocol == "openai"
    assert record.headers_sent_ns - record.received_ns >= 30e6
    assert record.ttft_ns >= 35e6


async def test_records_endpoint_serves_the_same_truth_and_supports_since_and_reset():
    async with Emulator(EmulatorProfile(ttft_ms=1, itl_ms=0, output_tokens=2)) as emu:
        await run_requests(emu, 3)
        in_process = emu.records
        async with httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http:
            everything = (await http.get("/_emulator/records")).json()
            later = (await http.get("/_emulator/records", params={"since": 2})).json()
            await http.post("/_emulator/reset")
            after_reset = (await http.get("/_emulator/records")).json()
    assert everything["last_seq"] == 3
    assert [r["seq"] for r in everything["records"]] == [1, 2, 3]
    assert [r["seq"] for r in later["records"]] == [3]
    first = everything["records"][0]
    assert first["request_id"] == in_process[0].request_id
    assert first["events"] == [[label, ns] for label, ns in in_process[0].events]
    assert first["ttft_ms"] == in_process[0].ttft_ns / 1e6
    assert after_reset["records"] == []


async def test_records_memory_is_bounded_to_the_most_recent_requests():
    async with Emulator(
        EmulatorProfile(ttft_ms=0, itl_ms=0, output_tokens=1, max_records=3)
    ) as emu:
        await run_requests(emu, 5)
        assert [r.seq for r in emu.records] == [3, 4, 5]


async def test_fault_with_rate_one_always_fires_and_rate_zero_never():
    always = EmulatorProfile.build(ttft_ms=0, itl_ms=0, output_tokens=1, faults=["server:1"])
    never = EmulatorProfile.build(ttft_ms=0, itl_ms=0, output_tokens=1, faults=["server:0"])
    async with Emulator(always) as emu:
        assert await run_requests(emu, 20) == [500] * 20
        assert {r.fault for r in emu.records} == {"server"}
    async with Emulator(never) as emu:
        assert await run_requests(emu, 20) == [200] * 20
        assert {r.fault for r in emu.records} == {None}


async def fault_sequence(seed: int) -> list[str | None]:
    faults = ["rate_limit:0.3", "overloaded:0.2"]
    profile = EmulatorProfile.build(ttft_ms=0, itl_ms=0, output_tokens=1, faults=faults, seed=seed)
    async with Emulator(profile) as emu:
        await run_requests(emu, 40)
        return [r.fault for r in emu.records]


async def test_seeded_fault_picks_are_reproducible():
    first, again, other = await fault_sequence(7), await fault_sequence(7), await fault_sequence(8)
    assert first == again
    assert first != other
    assert {"rate_limit", "overloaded", None} == set(first)


async def test_a_fault_scoped_to_one_protocol_spares_the_others():
    profile = EmulatorProfile.build(ttft_ms=0, itl_ms=0, output_tokens=1, faults=["openai:auth:1"])
    async with Emulator(profile) as emu:
        assert await run_requests(emu, 3, "/v1/messages") == [200] * 3
        assert await run_requests(emu, 3, "/v1/chat/completions") == [401] * 3


async def test_stop_ends_a_stalled_stream_promptly():
    profile = EmulatorProfile.build(
        ttft_ms=0, output_tokens=1, faults=["stall:1"], stall_ms=600_000
    )
    emu = Emulator(profile)
    await emu.start()
    sdk = anthropic.AsyncAnthropic(base_url=emu.base_url, api_key="dummy", max_retries=0)
    async with sdk:
        request = asyncio.create_task(
            sdk.messages.create(model="m", max_tokens=5, messages=MESSAGES, stream=False)
        )
        async with asyncio.timeout(10):
            while not emu.records:
                await asyncio.sleep(0.01)
            await emu.stop()
            with pytest.raises(anthropic.APIConnectionError):
                await request
    assert emu.records[0].outcome == "aborted"


def test_thread_runner_serves_sync_callers_and_stops():
    with run_emulator_in_thread(ttft_ms=1, itl_ms=0, output_tokens=4) as emu:
        response = httpx2.post(
            f"{emu.base_url}/v1/messages", json=BODY, headers=ANTHROPIC_HEADERS, timeout=10
        )
        assert response.status_code == 200
        assert emu.records[0].content_events == 4
        base_url = emu.base_url
    with pytest.raises(httpx2.ConnectError):
        httpx2.post(f"{base_url}/v1/messages", json=BODY, headers=ANTHROPIC_HEADERS, timeout=5)


def test_thread_runner_reports_a_port_in_use_as_one_sentence():
    with run_emulator_in_thread(output_tokens=1) as first:
        port = int(first.base_url.rsplit(":", 1)[1])
        with pytest.raises(ConfigError, match="cannot listen"):
            run_emulator_in_thread(port=port)


async def test_unknown_route_is_a_404_and_is_recorded():
    async with Emulator(EmulatorProfile()) as emu:
        async with httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http:
            response = await http.get("/v2/nothing")
        assert response.status_code == 404
        assert emu.records[0].status == 404


async def test_late_ns_max_bounds_how_late_every_token_went_out():
    profile = EmulatorProfile(ttft_ms=10, itl_ms=2, output_tokens=10)
    async with Emulator(profile) as emu:
        async with httpx2.AsyncClient(base_url=emu.base_url, timeout=10) as http:
            await asyncio.gather(*(post_messages(http) for _ in range(3)))
        records = emu.records
    for record in records:
        content = [ns for label, ns in record.events if label == "content_block_delta"]
        due = [record.received_ns + int((10 + 2 * i) * 1e6) for i in range(10)]
        lateness = [sent - due_ns for sent, due_ns in zip(content, due, strict=True)]
        assert min(lateness) >= 0
        assert max(lateness) <= record.late_ns_max
        assert record.to_dict()["late_ms_max"] == record.late_ns_max / 1e6
