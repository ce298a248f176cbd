"""The role of claiming and finishing several jobs per call: :class:`Batches`."""

from __future__ import annotations

from collections.abc import Sequence

from queuectl_core.job import AttemptResult, Outcome, State
from queuectl_core.storage.leases import Leases
from queuectl_core.storage.records import RELEASED, Claim, ClaimRequest, Finish, Transition


class Batches(Leases):
    """How a worker that runs fast jobs claims and stores several per call, and gives
    back the claims it did not start.

    A batch must behave exactly as the single calls of :class:`Leases` would in a
    row, each finish fenced on its own. A backend should make each call one atomic
    step (one transaction, one round trip). It extends :class:`Leases` because every
    default here goes through the single-job methods: a backend that implements only
    those works, one round trip per job.
    Checked by :class:`~queuectl_core.testing.contract.batches.BatchesContract`.
    """

    def claim_many(self, request: ClaimRequest) -> list[Claim]:
        """Up to ``request.limit`` claims at once, in the order single claims would
        take them.

        Backends should take them in one atomic step; the default claims one by one.
        """
        claims: list[Claim] = []
        while len(claims) < request.limit:
            claim = self.claim(request)
            if claim is None:
                break
            claims.append(claim)
        return claims

    def finish_and_claim_many(
        self,
        finished: Sequence[Finish],
        request: ClaimRequest,
    ) -> tuple[list[bool], list[Claim]]:
        """``finish`` each of ``finished`` in order, then ``claim_many`` up to
        ``request.limit`` (0: only finish); returns whether each finish applied, and
        the claims.

        Backends should do it all in one atomic step (one transaction, one round trip).
        The default finishes one by one, through ``finish_and_claim`` for one job.
        """
        if len(finished) == 1 and request.limit == 1:
            applied, claim = self.finish_and_claim(*finished[0], request)
            return [applied], [] if claim is None else [claim]
        done = [self.finish(job_id, token, transition) for job_id, token, transition in finished]
        return done, self.claim_many(request)

    def release(self, held: Sequence[tuple[str, str]], now: float) -> list[bool]:
        """Give back claimed jobs that never started, given as (job id, token) pairs;
        returns whether each applied.

        Fenced like ``finish``. The job becomes pending (also one claimed from
        failed) with its lease cleared, ``attempts`` back to what it was before the
        claim, ``updated_at = now`` and its ``next_run_at`` kept, so it is ready at
        once, in its old place. Its unstarted attempt record is deleted, so the next
        claim reuses its number. Wakes idle workers.

        The default, for backends that have no way to delete an attempt, finishes
        the job as an interrupted attempt put back (its record stays).
        """
        back = AttemptResult(Outcome.INTERRUPTED, finished_at=now, error=RELEASED)
        transition = Transition(State.PENDING, back, refund_attempt=True)
        return [self.finish(job_id, token, transition) for job_id, token in held]
