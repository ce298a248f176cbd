"""The scripts are told by name what Python decided, and the decisions are core's:
the state sets they test come from core, and whether a job given back or retried is
ready at once is core's rule, not one of their own."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from queuectl_redis.codec import CLAIM_FIELDS
from queuectl_redis.storage import RedisStorage

from queuectl_core.job import CANCELLABLE, READY_STATES, State
from queuectl_core.storage import ClaimRequest
from queuectl_core.testing import JobFactory
from queuectl_core.testing.contract.base import LEASE, T0, P
from queuectl_redis import scripts


@pytest.fixture
def real(redis_options: dict[str, str]) -> Iterator[RedisStorage]:
    storage = RedisStorage.from_options(redis_options)
    yield storage
    storage.close()


def test_the_scripts_state_sets_and_claim_fields_are_the_python_ones(real: RedisStorage) -> None:
    names = "local function names(set) local out = {} for name in pairs(set) do "
    names += "out[#out + 1] = name end table.sort(out) return out end\n"
    lua = scripts.constants() + names
    lua += "return {BATCH, names(WAITING), names(KNOWN), names(CANCELLABLE), CLAIM_FIELDS}"

    batch, waiting, known, cancellable, fields = real.client.eval(lua, 0)

    def values(states: Iterable[State]) -> list[bytes]:
        return sorted(state.value.encode() for state in states)

    assert batch == scripts.BATCH
    assert (waiting, known) == (values(READY_STATES), values(State))
    assert cancellable == values(CANCELLABLE)
    assert [field.decode() for field in fields] == list(CLAIM_FIELDS)


def test_a_job_given_back_is_ready_at_once_even_by_a_clock_behind_its_due_time(
    real: RedisStorage,
) -> None:
    """Core's rule for a job put back after its claim: its due time had come, so it is
    ready at once, in its old place; a releasing host whose clock is behind (here 5 s
    behind the enqueuing one) does not make it wait for that time again."""
    job = JobFactory(now=T0)
    real.enqueue([job("a"), job("b", created_at=T0 + 1, next_run_at=T0 + 1)])
    behind = T0 - 5
    claims = real.claim_many(ClaimRequest("w1", None, behind, behind + LEASE, 2))
    assert [claim.job.id for claim in claims] == ["a", "b"]

    assert real.release([(claim.job.id, claim.token) for claim in claims], behind) == [True] * 2

    assert [real.get(name).state for name in "ab"] == [P, P]
    again = real.claim_many(ClaimRequest("w2", None, behind, behind + LEASE, 2))
    assert [claim.job.id for claim in again] == ["a", "b"]  # at once, in their old order
