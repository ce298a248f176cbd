"""The retry rule (queuectl_core.retry.decide): backoff and jitter, exit-code rules,
NonRetryable, and a job's own rule over the setting."""

from __future__ import annotations

from typing import Any

import pytest

from queuectl_core import exit_codes, retry
from queuectl_core.job import AttemptResult, Job, Outcome, State
from queuectl_core.settings import Settings, validate

FINISHED = 1000.0


def settings(**overrides: str) -> Settings:
    for name, raw in overrides.items():
        validate(name, raw)  # what config set refuses never reaches a Settings
    return Settings(overrides)


def decide(job: Job, result: AttemptResult, given: Settings, draw: float = 0.5) -> Any:
    return retry.decide(job, result, given, random=lambda: draw)


def a_job(attempts: int = 1, **fields: Any) -> Job:
    return Job(id="j", command="false", attempts=attempts, **fields)


def exit_result(
    code: int | None, outcome: Outcome = Outcome.FAILED, **fields: Any
) -> AttemptResult:
    error = {None: "timed out after 1s", 127: "command not found"}.get(code, f"exit code {code}")
    return AttemptResult(outcome, FINISHED, exit_code=code, error=error, **fields)


# -- backoff and jitter ------------------------------------------------------------------------


def test_without_jitter_the_delay_is_base_to_the_attempt() -> None:
    transition = decide(a_job(attempts=3), exit_result(1), settings(backoff_base="2"))
    assert transition.state is State.FAILED
    assert transition.next_run_at == FINISHED + 8


@pytest.mark.parametrize("draw", [0.0, 0.25, 0.999999])
def test_full_jitter_draws_the_delay_between_zero_and_the_capped_backoff(draw: float) -> None:
    given = settings(backoff_base="3", backoff_max="20", backoff_jitter="true")
    for attempts, cap in ((1, 3), (2, 9), (3, 20), (4, 20)):  # 3**3 = 27 capped to 20
        transition = decide(a_job(attempts=attempts, max_retries=9), exit_result(1), given, draw)
        delay = transition.next_run_at - FINISHED
        assert delay == pytest.approx(cap * draw)
        assert 0 <= delay < cap


def test_jitter_uses_the_real_random_source_by_default() -> None:
    given = settings(backoff_base="2", backoff_jitter="on")
    job = a_job(attempts=4, max_retries=5)
    delays = {retry.decide(job, exit_result(1), given).next_run_at or 0.0 for _ in range(50)}
    delays = {delay - FINISHED for delay in delays}
    assert all(0 <= delay < 16 for delay in delays)
    assert len(delays) > 1  # random, not the same delay every time


def test_the_jobs_own_jitter_overrides_the_setting() -> None:
    on, off = settings(backoff_jitter="true"), settings()
    job_off, job_on = a_job(backoff_jitter=False), a_job(backoff_jitter=True)
    assert decide(job_off, exit_result(1), on, 0.1).next_run_at == FINISHED + 2
    assert decide(job_on, exit_result(1), off, 0.1).next_run_at == pytest.approx(FINISHED + 0.2)
    assert decide(a_job(), exit_result(1), on, 0.1).next_run_at == pytest.approx(FINISHED + 0.2)


# -- exit-code rules ---------------------------------------------------------------------------


def test_an_exit_code_in_no_retry_exit_is_dead_at_once_with_the_reason() -> None:
    transition = decide(a_job(), exit_result(2), settings(no_retry_exit="2,64"))
    assert transition.state is State.DEAD
    assert transition.result.error == "exit code 2: not retried (no_retry_exit)"
    assert transition.result.exit_code == 2


def test_a_code_the_shell_names_keeps_its_name_and_gains_its_number() -> None:
    transition = decide(a_job(), exit_result(127), settings(no_retry_exit="127"))
    assert (
        transition.result.error == "command not found (exit code 127): not retried (no_retry_exit)"
    )


def test_retry_on_exit_retries_only_its_codes() -> None:
    given = settings(retry_on_exit="75,111")
    assert decide(a_job(), exit_result(75), given).state is State.FAILED
    dead = decide(a_job(), exit_result(3), given)
    assert dead.state is State.DEAD
    assert dead.result.error == "exit code 3: not retried (not in retry_on_exit)"


def test_no_retry_exit_wins_over_retry_on_exit() -> None:
    job = a_job(retry_on_exit=(2,), no_retry_exit=(2,))
    assert decide(job, exit_result(2), settings()).state is State.DEAD


def test_the_jobs_own_rule_overrides_the_setting_and_an_empty_one_clears_it() -> None:
    given = settings(no_retry_exit="2", retry_on_exit="75")
    assert decide(a_job(no_retry_exit=(3,)), exit_result(2), given).state is State.DEAD  # 75 only
    job = a_job(no_retry_exit=(3,), retry_on_exit=())
    assert decide(job, exit_result(2), given).state is State.FAILED
    assert decide(job, exit_result(3), given).state is State.DEAD


@pytest.mark.parametrize("outcome", [Outcome.TIMED_OUT, Outcome.LOST])
def test_timeouts_and_lost_workers_keep_the_normal_rule(outcome: Outcome) -> None:
    given = settings(retry_on_exit="75", no_retry_exit="0,1,2")
    transition = decide(a_job(), exit_result(None, outcome), given)
    assert transition.state is State.FAILED
    assert transition.result.error == "timed out after 1s"


def test_a_rule_does_not_matter_once_retries_are_out_and_the_reason_stays_plain() -> None:
    transition = decide(a_job(attempts=4), exit_result(75), settings(retry_on_exit="75"))
    assert transition.state is State.DEAD
    assert transition.result.error == "exit code 75"


def test_a_rule_gives_its_reason_even_with_no_retries_left() -> None:
    transition = decide(a_job(attempts=4), exit_result(2), settings(no_retry_exit="2"))
    assert transition.result.error == "exit code 2: not retried (no_retry_exit)"


# -- executors that say "do not retry" ---------------------------------------------------------


def test_an_attempt_that_is_not_retryable_is_dead_at_once_with_its_error() -> None:
    result = AttemptResult(
        Outcome.FAILED, FINISHED, error="gone: not retried (NonRetryable)", retryable=False
    )
    transition = decide(a_job(max_retries=5), result, settings())
    assert transition.state is State.DEAD
    assert transition.result.error == "gone: not retried (NonRetryable)"


def test_success_and_interruption_ignore_every_rule() -> None:
    given = settings(retry_on_exit="75")
    ok = AttemptResult(Outcome.SUCCEEDED, FINISHED, exit_code=0)
    assert decide(a_job(), ok, given).state is State.COMPLETED
    stopped = AttemptResult(Outcome.INTERRUPTED, FINISHED, retryable=False)
    assert decide(a_job(), stopped, given).state is State.PENDING


# -- the values --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("75,111", (75, 111)),
        (" 111, 75 ,75", (75, 111)),
        ("none", ()),
        ("", ()),
        ("0,255", (0, 255)),
    ],
)
def test_exit_code_lists_parse(text: str, codes: tuple[int, ...]) -> None:
    assert exit_codes.parse(text) == codes


@pytest.mark.parametrize(
    "text", ["256", "-1", "a", "1,,2", "1.5", "1;2", ",".join(map(str, range(65)))]
)
def test_bad_exit_code_lists_are_refused_in_one_line(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        exit_codes.parse(text)
    assert "\n" not in str(refused.value)


def test_settings_hold_and_print_exit_code_lists() -> None:
    from queuectl_core.settings import format_value

    given = settings(retry_on_exit="111,75")
    assert given["retry_on_exit"] == (75, 111)
    assert format_value(given["retry_on_exit"]) == "75,111"
    assert format_value(settings()["no_retry_exit"]) == "none"
