"""Runs on S3, against moto's standalone server on 127.0.0.1 (a real HTTP endpoint).

Every test reaches S3 through the botocore credential chain and ``AWS_ENDPOINT_URL_S3``, as a
user's machine would; nothing passes an endpoint in code.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
from datetime import UTC, datetime

import pytest

from realservers import child_env, cli, moto_s3, stop, wait_until
from sre_latency.core.contract import ProviderResult, Run, RunConfig, Sample
from sre_latency.core.stats import summarize
from sre_latency.errors import ConfigError, CredentialsError, StoreError
from sre_latency.store import environment, open_store
from sre_latency.store.s3 import S3Locator, S3Store


@pytest.fixture(scope="module")
def s3_endpoint():
    with moto_s3() as url:
        yield url


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    """A fresh bucket; the AWS variables point every botocore client in this test at moto."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    name = f"runs-{secrets.token_hex(4)}"
    S3Store(f"s3://{name}").client.create_bucket(Bucket=name)
    return name


def _run(run_id: str, location: str | None = None) -> Run:
    samples = [
        Sample(seq=i, round=i, started_at=datetime(2026, 11, 23, tzinfo=UTC), ttft_ms=20.0 + i,
               total_ms=50.0 + i)
        for i in range(3)
    ]  # fmt: skip
    result = ProviderResult(provider="anthropic", model="claude-haiku-4-5",
                            endpoint="http://127.0.0.1:1", samples=samples,
                            summary=summarize(samples))  # fmt: skip
    return Run(run_id=run_id, kind="benchmark", created_at=datetime(2026, 11, 23, tzinfo=UTC),
               complete=True, config=RunConfig(providers=["anthropic"], n=3),
               environment=environment(location), providers={"anthropic": result})  # fmt: skip


def test_runs_saved_to_s3_load_back_identical_and_list_newest_first(bucket):
    store = open_store(f"s3://{bucket}/team/latency")
    older, newer = _run("20261123T000000Z-benchmark-aaaa"), _run("20261124T000000Z-benchmark-bbbb")
    for run in (older, newer):
        store.save(run)
    assert [p.stem for p in store.list_paths()] == [newer.run_id, older.run_id]
    assert store.load() == newer
    located = store.resolve(older.run_id)
    assert isinstance(located, S3Locator)
    assert str(located) == f"s3://{bucket}/team/latency/{older.run_id}.json"
    assert (located.name, located.suffix) == (f"{older.run_id}.json", ".json")
    assert store.load_path(located) == older


def test_a_killed_writer_leaves_a_journal_that_loads_with_every_flushed_sample(bucket):
    store = open_store(f"s3://{bucket}/p")
    run = _run("20261125T000000Z-benchmark-cccc")
    samples = run.providers["anthropic"].samples
    run.providers["anthropic"].samples = []
    writer = store.writer(run)
    for s in samples:
        writer.append("anthropic", s)
    wait_until(lambda: writer.kept == len(samples), 20, "the journal parts")
    # the process dies here: no finish(); the parts are all there is
    loaded = store.load(run.run_id)
    assert loaded.complete is False
    assert [s.seq for s in loaded.providers["anthropic"].samples] == [0, 1, 2]
    assert store.list_paths()[0].suffix == ".jsonl"


def test_finishing_a_run_writes_one_object_and_removes_its_journal(bucket):
    store = open_store(f"s3://{bucket}")
    run = _run("20261126T000000Z-benchmark-dddd")
    writer = store.writer(run)
    for s in run.providers["anthropic"].samples:
        writer.append("anthropic", s)
    writer.finish(run)
    keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == [f"{run.run_id}.json"]
    assert store.load(run.run_id) == run


def test_benchmark_and_grade_share_an_s3_store_from_the_command_line(bucket, capsys):
    from sre_latency.cli import main

    url = f"s3://{bucket}/shared"
    assert main(["benchmark", "--emulate", "-n", "3", "--warmup", "0", "--store", url]) == 0
    capsys.readouterr()
    assert main(["grade", "--store", url, "--json"]) == 0
    graded = json.loads(capsys.readouterr().out)
    stored = open_store(url).list_paths()
    assert len(stored) == 1 and stored[0].suffix == ".json"
    assert graded["run_id"] == stored[0].stem


def test_sre_latency_store_names_the_s3_store_for_every_command(bucket, monkeypatch):
    monkeypatch.setenv("SRE_LATENCY_STORE", f"s3://{bucket}/env")
    from sre_latency.cli import main

    assert main(["latency-check", "anthropic", "--emulate"]) == 0
    assert open_store().list_paths()[0].name.endswith(".json")
    assert str(open_store().list_paths()[0]).startswith(f"s3://{bucket}/env/")


def test_a_benchmark_killed_with_sigkill_keeps_its_flushed_samples_on_s3(
    bucket, s3_endpoint, tmp_path
):
    url = f"s3://{bucket}/killed"
    env = child_env(AWS_ENDPOINT_URL_S3=s3_endpoint, AWS_ACCESS_KEY_ID="testing",
                    AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1")  # fmt: skip
    store = open_store(url)
    with (tmp_path / "stderr").open("wb") as err:
        proc = subprocess.Popen(
            cli("benchmark", "--emulate", "-n", "2000", "--warmup", "0", "--providers",
                "anthropic", "--emulator-ttft-ms", "5", "--emulator-output-tokens", "4",
                "--store", url),
            env=env, stdout=subprocess.DEVNULL, stderr=err,
        )  # fmt: skip
        try:
            journal = wait_until(lambda: store.list_paths(), 60, "the run's journal")[0]

            def flushed() -> int:
                return sum(len(p.samples) for p in store.load_path(journal).providers.values())

            seen = wait_until(lambda: (n := flushed()) >= 20 and n, 60, "20 flushed samples")
        finally:
            stop(proc, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    run = store.load(journal.stem)
    assert run.complete is False
    kept = run.providers["anthropic"].samples
    assert len(kept) >= seen
    assert [s.seq for s in kept] == list(range(len(kept)))  # whole lines, in order, no gaps


def test_a_bad_s3_url_or_a_missing_bucket_is_one_sentence(bucket):
    with pytest.raises(ConfigError, match="does not name an S3 bucket"):
        open_store("s3://Not_A_Bucket/x")
    with pytest.raises(ConfigError, match=r"bucket of .* does not exist"):
        open_store(f"s3://{bucket}-missing/x").list_paths()
    with pytest.raises(StoreError, match="no runs under"):
        open_store(f"s3://{bucket}/empty").load()


def test_missing_aws_credentials_name_the_credential_chain(bucket, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(CredentialsError, match="credential chain"):
        open_store(f"s3://{bucket}").list_paths()


def test_an_mcp_call_cannot_reach_outside_the_store_prefix(bucket):
    store = open_store(f"s3://{bucket}/mine")
    store.save(_run("20261127T000000Z-benchmark-eeee"))
    with pytest.raises(ConfigError, match="outside the store"):
        store.resolve(f"s3://{bucket}/other/20261127T000000Z-benchmark-eeee.json", confined=True)
    with pytest.raises(ConfigError, match=r"\.\."):
        store.resolve("../other/x", confined=True)
    assert store.resolve("20261127T000000Z-benchmark-eeee", confined=True).stem == (
        "20261127T000000Z-benchmark-eeee"
    )


def test_monitors_in_two_places_share_an_s3_store_that_compare_and_status_read(
    bucket, capsys, monkeypatch
):
    from sre_latency.cli import main

    url = f"s3://{bucket}/fleet"
    assert main(["monitor", "--once", "--emulate", "--location", "eu-office", "--store", url]) == 0
    monkeypatch.setenv("SRE_LATENCY_LOCATION", "us-east")  # the other place names itself so
    assert main(["monitor", "--once", "--emulate", "--store", url]) == 0
    capsys.readouterr()
    assert main(["compare", "--latest", "2", "--by", "location", "--store", url, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in result["runs"]] == ["eu-office", "us-east"]
    assert all(r["path"].startswith(f"s3://{bucket}/fleet/") for r in result["runs"])
    assert main(["monitor-status", "bedrock", "--store", url, "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert [(t["location"], t["n"]) for t in status["targets"]] == [
        ("eu-office", 1),
        ("us-east", 1),
    ]
    assert all(r.startswith(f"s3://{bucket}/fleet/") for r in status["runs"])


def test_a_monitor_whose_store_is_unusable_says_so_before_probing(bucket, capsys):
    from sre_latency.cli import main

    assert main(["monitor", "--once", "--emulate", "--store", f"s3://{bucket}-gone/x"]) == 2
    err = capsys.readouterr().err
    assert "bucket of" in err and "does not exist" in err
    assert "error (" not in err and "could not save" not in err  # nothing probed, nothing lost


def test_the_latest_s3_run_is_the_newest_measured_and_kinds_filter_the_listing(bucket):
    store = open_store(f"s3://{bucket}/order")
    store.save(_run("20261123T000000Z-benchmark-aaaa"))
    store.save(
        _run("20261124T000000Z-latency-check-bbbb").model_copy(update={"kind": "latency_check"})
    )
    store.save(_run("20261122T000000Z-benchmark-cccc"))  # written last, measured first
    assert store.latest().stem == "20261124T000000Z-latency-check-bbbb"
    assert store.latest(("benchmark",)).stem == "20261123T000000Z-benchmark-aaaa"
    assert store.resolve(None, kinds=("benchmark",)).stem == "20261123T000000Z-benchmark-aaaa"
    assert [p.stem[:8] for p in store.list_paths()] == ["20261124", "20261123", "20261122"]
