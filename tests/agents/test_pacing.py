"""The pacer's token buckets, cooldowns and quota stops on a fake clock (no sleeping)."""

from __future__ import annotations

import threading

import pytest

from org.agents.llm import CallResult
from org.agents.pacing import Limits, MemoryBudgetStore, Pacer, Stopped, parse_limits


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class FakeStop(threading.Event):
    """stop.wait(seconds) advances the fake clock instead of sleeping."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.slept: list[float] = []

    def wait(self, timeout=None):
        if timeout:
            self.slept.append(timeout)
            self.clock.t += timeout
        return self.is_set()


def pacer(limits, **kw):
    clock = Clock()
    stop = FakeStop(clock)
    p = Pacer(MemoryBudgetStore(), limits, clock=clock, stop=stop, **kw)
    return p, clock, stop


def ok(tokens=100):
    return CallResult("m", "m", "p", "ok", prompt_tokens=tokens, completion_tokens=0, status=200)


def test_requests_are_spaced_at_the_rate():
    p, clock, _ = pacer({"p": Limits(rpm=600)})
    starts = []
    for _ in range(21):
        p.call("p", 0, lambda: (starts.append(clock.t), ok())[1])
    # burst of one, then exactly 10 per second
    assert starts[-1] - starts[0] == pytest.approx(2.0)


def test_tokens_reserved_then_settled_with_actual_usage():
    p, clock, _ = pacer({"p": Limits(tpm=60_000)})  # 1000 tokens/s, bucket of 1000
    p.call("p", 1000, lambda: ok(100))  # reserved 1000, used 100: 900 back
    t0 = clock.t
    p.call("p", 900, lambda: ok(900))
    assert clock.t == t0  # the refund made room at once
    p.call("p", 1000, lambda: ok(1000))
    assert clock.t - t0 == pytest.approx(1.0)


def test_reservation_beyond_max_wait_is_refused_and_takes_nothing():
    store = MemoryBudgetStore()
    waits = [store.reserve("k", 1, 1.0, 1.0, 0.0, 2.5) for _ in range(4)]
    assert waits == [0.0, 1.0, 2.0, None]  # FIFO slots; the fourth would wait 3 s
    assert store.reserve("k", 1, 1.0, 1.0, 1.0, 2.5) == 2.0  # nothing was taken by the refusal


def test_temporary_429_cools_down_everyone_with_backoff_then_succeeds():
    p, clock, stop = pacer({"p": Limits(rpm=6000)}, backoff_base_s=0.5)
    answers = iter([CallResult("m", "m", "p", "rate_limited", status=429, retry_after_s=2.0), ok()])
    res = p.call("p", 0, lambda: next(answers))
    assert res.ok and p.stats.rate_limited == 1 and p.stats.retries == 1
    assert sum(stop.slept) >= 2.0  # waited at least what the provider asked
    assert p.scale("p") < 1.0  # and slowed its pace


def test_429s_give_up_after_max_attempts():
    p, _, _ = pacer({"p": Limits(rpm=6000)}, max_attempts=3)
    n = []
    res = p.call("p", 0, lambda: (n.append(1), CallResult("m", "m", "p", "rate_limited", status=429))[1])
    assert res.outcome == "rate_limited" and len(n) == 3


def test_quota_exhaustion_blocks_the_provider_until_reset():
    p, clock, _ = pacer({"p": Limits(rpm=6000)})
    n = []
    q = CallResult("m", "m", "p", "quota_exhausted", status=429, retry_after_s=600)
    assert p.call("p", 0, lambda: (n.append(1), q)[1]).outcome == "quota_exhausted"
    for _ in range(5):  # fail fast, nothing sent
        assert p.call("p", 0, lambda: (n.append(1), ok())[1]).outcome == "quota_exhausted"
    assert len(n) == 1 and p.stats.refused_fast == 5
    clock.t += 601
    assert p.call("p", 0, lambda: (n.append(1), ok())[1]).ok


def test_other_providers_are_unaffected_by_one_quota():
    p, _, _ = pacer({"p": Limits(rpm=6000), "q": Limits(rpm=6000)})
    p.call("p", 0, lambda: CallResult("m", "m", "p", "quota_exhausted", status=429, retry_after_s=600))
    assert p.call("q", 0, ok).ok


def test_unavailable_retries_a_little_then_reports():
    p, _, _ = pacer({"p": Limits(rpm=6000)})
    n = []
    res = p.call("p", 0, lambda: (n.append(1), CallResult("m", "m", "p", "unavailable", status=503))[1])
    assert res.outcome == "unavailable" and len(n) == 3


def test_stop_while_waiting_gives_the_reservation_back():
    p, clock, stop = pacer({"p": Limits(rpm=60)})
    p.reserve("p", 0)
    stop.set()
    with pytest.raises(Stopped):
        p.reserve("p", 0)
    stop.clear()
    clock.t += 1.0
    assert p.reserve("p", 0) == 0.0  # the cancelled slot was returned


def test_parse_limits():
    assert parse_limits("openai=500/200000, anthropic=50") == {
        "openai": Limits(rpm=500, tpm=200000),
        "anthropic": Limits(rpm=50, tpm=None),
    }
    with pytest.raises(ValueError):
        parse_limits("openai")
    with pytest.raises(ValueError):
        parse_limits("openai=fast")
