"""The contract of live output, ``Leases.append_output``: what a running attempt printed,
stored in its record while it runs, bounded, fenced by the claim's token, and replaced
by the attempt's own output when it ends.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from queuectl_core.job import Attempt, Outcome
from queuectl_core.storage import OutputChunk, Storage, Transition
from queuectl_core.testing.contract.base import T0, TO, C, ContractFixtures, F, P, ended, take
from queuectl_core.testing.factory import JobFactory

LIMIT = 10


def out(data: bytes, skipped: int = 0) -> OutputChunk:
    return OutputChunk("stdout", data, skipped)


def err(data: bytes, skipped: int = 0) -> OutputChunk:
    return OutputChunk("stderr", data, skipped)


def running(storage: Storage, job_id: str) -> Attempt:
    attempt = storage.attempts(job_id)[-1]
    assert attempt.outcome is Outcome.RUNNING
    return attempt


def streams(attempt: Attempt) -> tuple[bytes, int, bytes, int]:
    return attempt.stdout, attempt.stdout_dropped, attempt.stderr, attempt.stderr_dropped


class LiveOutputContract(ContractFixtures):
    """Checks :meth:`~queuectl_core.storage.Leases.append_output`."""

    def test_appended_output_shows_in_the_running_attempt_from_any_instance(
        self, open_storage: Callable[[], Storage], job: JobFactory
    ) -> None:
        storage, other = open_storage(), open_storage()
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert streams(running(other, "a")) == (b"", 0, b"", 0)
        assert storage.append_output("a", claim.token, claim.attempt, [out(b"one\n")], LIMIT)
        assert storage.append_output(
            "a", claim.token, claim.attempt, [out(b"two\n"), err(b"\x00\xff!")], LIMIT
        )
        assert streams(running(other, "a")) == (b"one\ntwo\n", 0, b"\x00\xff!", 0)
        assert storage.get("a").state.value == "processing"

    def test_each_stream_keeps_its_tail_and_counts_what_is_cut_or_skipped(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        append = storage.append_output
        assert append("a", claim.token, claim.attempt, [out(b"0123456"), err(b"ab", 3)], LIMIT)
        assert streams(running(storage, "a")) == (b"0123456", 0, b"ab", 3)
        assert append("a", claim.token, claim.attempt, [out(b"789abc")], LIMIT)
        assert streams(running(storage, "a")) == (b"3456789abc", 3, b"ab", 3)
        assert append("a", claim.token, claim.attempt, [out(b"0123456789XY", 5)], LIMIT)
        assert streams(running(storage, "a")) == (b"23456789XY", 3 + 5 + 12, b"ab", 3)

    @pytest.mark.parametrize("spoiler", ["wrong token", "wrong attempt", "finished", "cancelled"])
    def test_append_is_fenced_by_the_token(
        self, storage: Storage, job: JobFactory, spoiler: str
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        token, attempt = claim.token, claim.attempt
        if spoiler == "wrong token":
            token += "x"
        elif spoiler == "wrong attempt":
            attempt += 1
        elif spoiler == "finished":
            assert storage.finish("a", token, TO[F])
        else:
            storage.cancel("a", T0 + 1)
        before, history = storage.get("a"), storage.attempts("a")
        assert not storage.append_output("a", token, attempt, [out(b"late")], LIMIT)
        assert (storage.get("a"), storage.attempts("a")) == (before, history)

    def test_a_stale_attempt_cannot_write_into_the_next(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        lost = Transition(P, ended(Outcome.LOST), next_run_at=T0)
        assert storage.finish("a", first.token, lost)
        second = take(storage, "a", worker="w2")
        assert not storage.append_output("a", first.token, first.attempt, [out(b"x")], LIMIT)
        assert not storage.append_output("a", first.token, second.attempt, [out(b"x")], LIMIT)
        assert streams(running(storage, "a")) == (b"", 0, b"", 0)

    def test_an_unknown_job_takes_no_output(self, storage: Storage) -> None:
        assert not storage.append_output("unknown", "token", 1, [out(b"x")], LIMIT)

    def test_finish_stores_the_results_output_in_place_of_the_live_one(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert storage.append_output("a", claim.token, claim.attempt, [out(b"1\n"), err(b"e")], 5)
        result = ended(stdout=b"1\n2\n", stderr=b"E", stdout_dropped=0)
        assert storage.finish("a", claim.token, Transition(C, result))
        (attempt,) = storage.attempts("a")
        assert (attempt.outcome, *streams(attempt)) == (Outcome.SUCCEEDED, b"1\n2\n", 0, b"E", 0)

    def test_a_result_without_output_keeps_what_was_appended(
        self, storage: Storage, job: JobFactory
    ) -> None:
        """An attempt recovered from a lost worker (its result has no output), or a
        stream the result has nothing of, keeps the output stored while it ran."""
        storage.enqueue([job("a"), job("b")])
        claim = take(storage, "a")
        chunks = [out(b"printed\n", 2), err(b"warn\n")]
        assert storage.append_output("a", claim.token, claim.attempt, chunks, LIMIT)
        lost = Transition(P, ended(Outcome.LOST, error="worker lost"), next_run_at=T0 + 5)
        assert storage.finish("a", claim.token, lost, expired_by=T0 + 999)
        (attempt,) = storage.attempts("a")
        assert (attempt.outcome, *streams(attempt)) == (Outcome.LOST, b"printed\n", 2, b"warn\n", 0)
        claim = take(storage, "b")
        assert storage.append_output("b", claim.token, claim.attempt, chunks, LIMIT)
        assert storage.finish("b", claim.token, Transition(C, ended(stdout=b"all\n")))
        (attempt,) = storage.attempts("b")
        assert streams(attempt) == (b"all\n", 0, b"warn\n", 0)

    def test_a_cancelled_attempt_keeps_what_was_appended(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert storage.append_output("a", claim.token, claim.attempt, [out(b"so far\n")], LIMIT)
        storage.cancel("a", T0 + 1)
        (attempt,) = storage.attempts("a")
        assert (attempt.outcome.value, attempt.stdout) == ("cancelled", b"so far\n")
