"""The per-event accounting of ``tool_timings``, vectorised over a session's event columns.

A long session holds a million events, so nothing here walks them one by one in Python: each
rule of the accounting (which Pre event a Post event closes, where model time starts and ends,
which subagent stops which) is a comparison between neighbours in a filtered, sorted column.
Only permission prompts, which are rare, are followed event by event, from one to its end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sre_latency.claude_code.hook_log import EVENT_KINDS, SessionEvents

_K = {name: i for i, name in enumerate(EVENT_KINDS)}
_TURN_END = (_K["Stop"], _K["UserPromptSubmit"], _K["SessionEnd"])


@dataclass
class Calls:
    """Finished tool calls, in the order of their Post events (codes as in SessionEvents)."""

    duration_ms: np.ndarray
    start_ns: np.ndarray  # float, as ts_ns - duration_ms * 1e6
    name: np.ndarray
    tool_use_id: np.ndarray
    mcp_server: np.ndarray
    agent: np.ndarray
    failed: np.ndarray

    def __len__(self) -> int:
        return len(self.duration_ms)

    def subset(self, mask: np.ndarray) -> Calls:
        return Calls(*(getattr(self, f)[mask] for f in self.__dataclass_fields__))


@dataclass
class Scan:
    """What the accounting of one session's events found."""

    calls: Calls
    unfinished: int
    around_tools_ms: float
    model_gaps: np.ndarray
    idle_gaps: np.ndarray
    perm_waits: list[float]
    permission_requests: int
    subagent_spans: tuple[np.ndarray, np.ndarray]  # (start, stop) in ms
    session_start: int | None
    first_prompt: int | None


def scan(ev: SessionEvents) -> Scan:
    ts, kind = ev.ts_ns, ev.kind
    main = ev.codes["agent_id"] < 0
    is_post = (kind == _K["PostToolUse"]) | (kind == _K["PostToolUseFailure"])
    calls, unfinished, around = _calls(ev, is_post, main)

    has_batches = bool((kind == _K["PostToolBatch"]).any())
    opener = (kind == _K["UserPromptSubmit"]) | (kind == _K["PostToolBatch"])
    if not has_batches:
        opener |= is_post
    closer = (kind == _K["PreToolUse"]) | (kind == _K["Stop"])
    model_gaps = _gaps(ts, main & (opener | closer), opener, closer)
    is_stop, is_prompt = kind == _K["Stop"], kind == _K["UserPromptSubmit"]
    idle_gaps = _gaps(ts, main & (is_stop | is_prompt), is_stop, is_prompt)
    prompts = np.flatnonzero(main & is_prompt)
    starts = np.flatnonzero(kind == _K["SessionStart"])
    perm_waits, requests = _permission_waits(ev, main, is_post)
    return Scan(
        calls=calls, unfinished=unfinished, around_tools_ms=around,
        model_gaps=model_gaps, idle_gaps=idle_gaps, perm_waits=perm_waits,
        permission_requests=requests, subagent_spans=_subagent_spans(ev),
        session_start=int(ts[starts[0]]) if len(starts) else None,
        first_prompt=int(ts[prompts[0]]) if len(prompts) else None,
    )  # fmt: skip


def _previous_of_same_key(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For items in time order: the index of the previous item with the same key (-1 if none),
    and whether each is the last of its key."""
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    previous = np.full(len(keys), -1)
    previous[order[1:][same]] = order[:-1][same]
    last = np.ones(len(keys), bool)
    last[order[:-1][same]] = False
    return previous, last


def _calls(ev: SessionEvents, is_post: np.ndarray, main: np.ndarray) -> tuple[Calls, int, float]:
    """Each Post event closes the latest unclosed Pre event of its tool_use_id, if any."""
    ts, is_pre = ev.ts_ns, ev.kind == _K["PreToolUse"]
    items = np.flatnonzero(is_pre | is_post)
    previous, last = _previous_of_same_key(ev.codes["tool_use_id"][items])
    item_is_pre = is_pre[items]
    matched = ~item_is_pre & (previous >= 0) & item_is_pre[np.maximum(previous, 0)]
    unfinished = int((item_is_pre & last).sum())
    posts = ~item_is_pre
    at = items[posts]
    has_pre = matched[posts]
    pre_ts = np.where(has_pre, ts[items[np.maximum(previous, 0)]][posts], 0)
    logged = ev.duration_ms[at]
    has_duration = ~np.isnan(logged)
    since_pre = (ts[at] - pre_ts) / 1e6
    duration = np.where(has_duration, logged, np.where(has_pre, since_pre, 0.0))
    around = has_duration & has_pre & main[at]
    around_ms = float(np.maximum(0.0, since_pre[around] - logged[around]).sum())
    calls = Calls(
        duration_ms=duration,
        start_ns=ts[at].astype(np.float64) - duration * 1e6,
        name=ev.codes["tool_name"][at],
        tool_use_id=ev.codes["tool_use_id"][at],
        mcp_server=ev.codes["mcp_server"][at],
        agent=ev.codes["agent_id"][at],
        failed=ev.kind[at] == _K["PostToolUseFailure"],
    )
    return calls, unfinished, around_ms


def _gaps(ts: np.ndarray, among: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
    """ms from an opening event to the next closing one, when nothing else of ``among`` (the
    events that open or close) came between: a later opener restarts the gap."""
    at = np.flatnonzero(among)
    pair = closes[at[1:]] & opens[at[:-1]]
    return (ts[at[1:]][pair] - ts[at[:-1]][pair]) / 1e6


def _subagent_spans(ev: SessionEvents) -> tuple[np.ndarray, np.ndarray]:
    agent, kind = ev.codes["agent_id"], ev.kind
    is_start = kind == _K["SubagentStart"]
    at = np.flatnonzero((agent >= 0) & (is_start | (kind == _K["SubagentStop"])))
    previous, _ = _previous_of_same_key(agent[at])
    starts = is_start[at]
    stops = ~starts & (previous >= 0) & starts[np.maximum(previous, 0)]
    return ev.ts_ns[at[previous[stops]]] / 1e6, ev.ts_ns[at[stops]] / 1e6


def _permission_waits(ev: SessionEvents, main: np.ndarray, is_post: np.ndarray):
    """A prompt's wait ends when a tool of its name starts (its Post event's time minus the
    logged duration), or at the end of the turn when denied or abandoned."""
    kind = ev.kind
    is_request = kind == _K["PermissionRequest"]
    turn_end = np.isin(kind, _TURN_END)
    at = np.flatnonzero(main & (is_request | is_post | turn_end))
    requests = np.flatnonzero(is_request[at])
    waits: list[float] = []
    if not len(requests):
        return waits, 0
    ts, kinds, names, durations = (
        ev.ts_ns[at],
        kind[at],
        ev.codes["tool_name"][at],
        ev.duration_ms[at],
    )
    posts = (_K["PostToolUse"], _K["PostToolUseFailure"])
    pending: list[tuple[int, int]] = []
    following = iter(requests.tolist())
    i = next(following)
    while i < len(at):
        k = int(kinds[i])
        if k == _K["PermissionRequest"]:
            pending.append((int(ts[i]), int(names[i])))
        elif k in posts:
            tool = int(names[i])
            for p, (asked, name) in enumerate(pending):
                if name == tool:  # the tool ran: the wait ended at its start
                    logged = float(durations[i])
                    start = int(ts[i]) - (0.0 if logged != logged else logged) * 1e6
                    waits.append(max(0.0, (start - asked) / 1e6))
                    del pending[p]
                    break
        else:  # denied or abandoned: the wait ended here
            waits.extend(max(0.0, (int(ts[i]) - asked) / 1e6) for asked, _ in pending)
            pending.clear()
        i += 1
        if not pending:  # skip to the next prompt
            i = next((r for r in following if r >= i), len(at))
    return waits, len(requests)


def union_ms(lo: np.ndarray, hi: np.ndarray) -> float:
    """Length of the union of [lo, hi] intervals given in ns, in ms."""
    if not len(lo):
        return 0.0
    order = np.lexsort((hi, lo))
    lo, hi = lo[order], hi[order]
    end = np.empty_like(hi)
    end[0] = -np.inf
    np.maximum.accumulate(hi[:-1], out=end[1:])
    adds = np.where(hi > end, hi - np.maximum(lo, end), 0.0)
    return round(float(adds.sum()) / 1e6, 6)  # ns resolution; drops float noise
