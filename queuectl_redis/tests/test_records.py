"""The scripts keep no copy of what Python defines: the state sets they test come
from core, the fields a claim answers with from the codec."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from queuectl_redis.codec import CLAIM_FIELDS
from queuectl_redis.storage import RedisStorage

from queuectl_core.job import CANCELLABLE, READY_STATES, State
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
