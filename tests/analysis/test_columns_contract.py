"""The fast column loader and the data contract agree on every run file (issue 12, item 2): the
loader accepts exactly the files ``parse_run`` (pydantic) accepts, with the same figures."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing.hostile import ATOMS, JSON_VALUES, ODD_NUMBERS, ODD_STRINGS, mutated_json
from recorded import RUNS
from sre_latency.analysis.columns import ANALYSED_KINDS, columns_from_run, load_columns
from sre_latency.errors import StoreError
from sre_latency.store import parse_run
from sre_latency.store.samples import FIELDS

BASE = json.loads((RUNS / "faulty.json").read_text())
LONG = copy.deepcopy(BASE)  # more samples than any slice: a hostile one may sit in the middle
_samples = LONG["providers"]["openai"]["samples"]
LONG["providers"]["openai"]["samples"] = [
    {**s, "seq": i} for i, s in enumerate((_samples * 6)[:120])
]
ERRORS = st.fixed_dictionaries(
    {"class": st.sampled_from(["auth", "protocol", "nope"]) | ATOMS},
    optional={"status": ODD_NUMBERS | ATOMS, "message": ODD_STRINGS | ATOMS, "x": ATOMS},
)
ITLS = st.fixed_dictionaries(
    {}, optional={"n": ODD_NUMBERS | ATOMS, "mean": ODD_NUMBERS | ATOMS, "p99": ATOMS, "q": ATOMS}
)
VALUES = st.one_of(ATOMS, ODD_NUMBERS, ODD_STRINGS, JSON_VALUES, ERRORS, ITLS)


class RunFile(bytes):
    """A generated run file; its repr is what was done to it (the bytes are 100 kB)."""

    done: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"RunFile({', '.join(self.done) or 'unchanged'})"


@st.composite
def run_files(draw) -> RunFile:
    data = copy.deepcopy(LONG)
    targets = data["providers"]
    done = []
    for _ in range(draw(st.integers(0, 3))):
        label = draw(st.sampled_from(sorted(targets)))
        samples = targets[label]["samples"]
        i = draw(st.integers(0, len(samples) - 1))
        how = draw(st.sampled_from(["set", "set", "set", "drop", "extra", "whole"]))
        field = draw(st.sampled_from(FIELDS))
        if how == "whole" or not isinstance(samples[i], dict):
            samples[i] = value = draw(VALUES)
        elif how == "set":
            samples[i][field] = value = draw(VALUES)
        elif how == "drop":
            value = samples[i].pop(field, None)
        else:
            field = draw(st.text(max_size=6))
            samples[i][field] = value = draw(ATOMS)
        done.append(f"{how} {label}[{i}].{field} {value!r:.80}")
    if draw(st.integers(0, 7)) == 0:  # anywhere else: the header, a target's metadata, ...
        data = draw(mutated_json(data, max_mutations=2))
        done.append("mutated elsewhere")
    out = RunFile(json.dumps(data).encode())
    out.done = tuple(done)
    return out


def _judge(path):
    """What the data contract says: the Run, or None when it refuses the file."""
    try:
        run = parse_run(path.read_bytes(), path)
    except StoreError:
        return None
    return run if run.kind in ANALYSED_KINDS else None


def _same_columns(a, b) -> None:
    assert a.targets.keys() == b.targets.keys()
    for label, x in a.targets.items():
        y = b.targets[label]
        for name, column in x.metrics.items():
            np.testing.assert_array_equal(column, y.metrics[name], err_msg=f"{label} {name}")
        for name in ("ok", "error_code", "round", "cold"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
        np.testing.assert_allclose(x.started_s, y.started_s, rtol=0, atol=1e-5)
        assert x.error_messages == y.error_messages
        assert (x.provider, x.model, x.endpoint) == (y.provider, y.model, y.endpoint)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])  # fmt: skip
@given(run_files())
def test_the_fast_loader_accepts_exactly_what_the_contract_accepts(tmp_path, data):
    path = tmp_path / "run.json"
    path.write_bytes(data)
    judged = _judge(path)
    try:
        loaded = load_columns(path)
    except StoreError as exc:
        assert judged is None, f"the contract accepts what the loader refuses: {exc}"
        return
    assert judged is not None, "the loader accepts what the contract refuses"
    _same_columns(loaded, columns_from_run(judged))


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("seq", "not a number", False),  # once accepted in an unvalidated middle sample
        ("started_at", 1795435200, True),  # once refused although the contract accepts it
        ("seq", "71", True),
        ("round", 10**30, False),  # beyond int64: no reader of the file could hold it
        ("cold", "yes", True),
        ("itl_ms", None, False),
        ("ttft_ms", True, True),
    ],
)
def test_a_middle_sample_is_judged_like_the_contract_judges_it(tmp_path, field, value, accepted):
    data = copy.deepcopy(LONG)
    data["providers"]["openai"]["samples"][70][field] = value
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    assert (_judge(path) is not None) is accepted
    if accepted:
        _same_columns(load_columns(path), columns_from_run(_judge(path)))
    else:
        with pytest.raises(StoreError, match=rf"providers\.openai\.samples\.70\.{field}"):
            load_columns(path)


def test_a_sample_with_one_field_swapped_for_an_unknown_one_is_refused(tmp_path):
    data = copy.deepcopy(LONG)
    sample = data["providers"]["openai"]["samples"][70]
    del sample["request_id"]
    sample["request_ids"] = "req_1"  # same length as every other sample, one unknown key
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    assert _judge(path) is None
    with pytest.raises(StoreError, match=r"samples\.70\.request_ids: Extra inputs"):
        load_columns(path)


def test_a_run_file_without_providers_is_a_run_of_no_targets_as_the_contract_says(tmp_path):
    """Found by benchmarks/fuzz.py: the loader refused what the contract's default accepts."""
    data = copy.deepcopy(BASE)
    del data["providers"]
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    assert _judge(path) is not None
    assert load_columns(path).targets == {}


def test_a_hostile_target_label_is_cut_short_in_the_sentence(tmp_path):
    """Found by benchmarks/fuzz.py: a 5,000-character label made a 5,000-character message."""
    data = copy.deepcopy(BASE)
    data["providers"]["x" * 5000] = data["providers"].pop("openai")
    data["providers"]["x" * 5000]["samples"][3]["seq"] = "not a number"
    path = tmp_path / "run.json"
    path.write_text(json.dumps(data))
    with pytest.raises(StoreError) as caught:
        load_columns(path)
    assert len(str(caught.value)) < 400 and "samples.3.seq" in str(caught.value)
