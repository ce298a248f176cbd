"""The contract of what a running attempt reports of itself, ``ProgressStore``: progress
and timeout extensions, fenced by the attempt's token, cleared by the next claim."""

from __future__ import annotations

from queuectl_core.job import Progress
from queuectl_core.storage import Storage
from queuectl_core.testing.contract.base import T0, TO, C, ContractFixtures, P, take
from queuectl_core.testing.factory import JobFactory

HALF = Progress(40.0, "half way", T0 + 1)


class ProgressContract(ContractFixtures):
    """Checks :class:`~queuectl_core.storage.ProgressStore`: only the token that holds
    a processing job writes; ``get`` and ``list_jobs`` read what it wrote; a new
    attempt starts with none; an extension adds up to its maximum."""

    def test_a_new_job_has_no_progress(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        assert storage.get("a").progress is None

    def test_progress_is_stored_for_the_current_token(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert storage.set_progress("a", claim.token, HALF)
        assert storage.get("a").progress == HALF
        assert [j.progress for j in storage.list_jobs()] == [HALF]
        later = Progress(100, None, T0 + 2)
        assert storage.set_progress("a", claim.token, later)
        assert storage.get("a").progress == later

    def test_a_stale_token_writes_nothing(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert not storage.set_progress("a", claim.token + "x", HALF)
        assert not storage.set_progress("unknown", claim.token, HALF)
        assert storage.extend_timeout("a", claim.token + "x", 5, 60) is None
        assert storage.extend_timeout("unknown", claim.token, 5, 60) is None
        assert storage.finish("a", claim.token, TO[C])
        assert not storage.set_progress("a", claim.token, HALF)  # the attempt ended
        assert storage.extend_timeout("a", claim.token, 5, 60) is None
        assert storage.get("a").progress is None

    def test_progress_is_kept_after_the_attempt_and_cleared_by_the_next(
        self, storage: Storage, job: JobFactory
    ) -> None:
        storage.enqueue([job("a")])
        first = take(storage, "a")
        assert storage.set_progress("a", first.token, HALF)
        assert storage.extend_timeout("a", first.token, 30, 60) == 30
        assert storage.finish("a", first.token, TO[P])  # put back: pending again
        assert storage.get("a").progress == HALF
        second = take(storage, "a", now=T0 + 2)
        assert second.job.progress is None
        assert storage.get("a").progress is None
        assert storage.extend_timeout("a", second.token, 0, 60) == 0  # a fresh extension
        assert not storage.set_progress("a", first.token, HALF)  # the old attempt's token

    def test_extensions_add_up_to_the_maximum(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        assert storage.extend_timeout("a", claim.token, 0, 60) == 0
        assert storage.extend_timeout("a", claim.token, 20, 60) == 20
        assert storage.extend_timeout("a", claim.token, 2.5, 60) == 22.5
        assert storage.extend_timeout("a", claim.token, 100, 60) == 60  # capped
        assert storage.extend_timeout("a", claim.token, 1, 60) == 60
        assert storage.extend_timeout("a", claim.token, 5, 10) == 60  # never lowered
        assert storage.extend_timeout("a", claim.token, 0, 0) == 60

    def test_an_extension_changes_nothing_else(self, storage: Storage, job: JobFactory) -> None:
        storage.enqueue([job("a")])
        claim = take(storage, "a")
        before = storage.get("a")
        assert storage.extend_timeout("a", claim.token, 20, 60) == 20
        assert storage.set_progress("a", claim.token, HALF)
        assert storage.get("a") == before.evolve(progress=HALF)
        assert storage.renew("a", claim.token, T0 + 100)
