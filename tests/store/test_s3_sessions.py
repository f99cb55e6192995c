"""A session run on S3 (moto's standalone server on 127.0.0.1): its journal keeps each finished
session's record beside its sample, so a killed run loses neither."""

from __future__ import annotations

import secrets

import pytest

from realservers import moto_s3, wait_until
from recorded import recorded_run
from sre_latency.store import load_run_file, open_store
from sre_latency.store.s3 import S3Store


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3() as url:
        yield url


def test_a_killed_session_run_on_s3_loads_with_every_session_record(
    s3_endpoint, monkeypatch, tmp_path_factory
):
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    bucket = f"runs-{secrets.token_hex(4)}"
    S3Store(f"s3://{bucket}").client.create_bucket(Bucket=bucket)
    recorded = load_run_file(recorded_run("session", tmp_path_factory))
    empty = recorded.model_copy(deep=True)
    for p in empty.providers.values():
        p.samples, p.sessions = [], []
    store = open_store(f"s3://{bucket}/sessions")
    writer = store.writer(empty)
    for label, p in recorded.providers.items():
        for sample, session in zip(p.samples, p.sessions, strict=True):
            writer.append(label, sample)
            writer.append_session(label, session)
    # no finish(): the journal is all there is
    wait_until(lambda: _sessions(store, recorded.run_id) == 6, 20, "the journal parts")
    wait_until(lambda: writer.kept == 6, 20, "the count")  # samples counted, not session lines
    loaded = store.load(recorded.run_id)
    assert loaded.complete is False
    for label, p in recorded.providers.items():
        assert loaded.providers[label].sessions == p.sessions


def _sessions(store, run_id: str) -> int:
    return sum(len(p.sessions) for p in store.load(run_id).providers.values())
