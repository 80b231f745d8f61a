"""The lock-out rule both sign-ins share (passwords, PINs); each sign-in's own tests drive it whole."""

from kiosk.lockout import LOCK_SECONDS, MAX_FAILURES, after_failure, minutes_locked

NOW = 1_800_000_000.0


def test_the_fifth_wrong_try_in_a_row_locks_for_15_minutes_and_not_before():
    failures, locked_until = 0, 0.0
    for expected in range(1, MAX_FAILURES):
        failures, locked_until = after_failure(failures, locked_until, NOW)
        assert (failures, locked_until) == (expected, 0)
    assert after_failure(failures, locked_until, NOW) == (5, NOW + 15 * 60)


def test_a_wrong_try_after_the_lock_ran_out_starts_the_count_afresh():
    assert after_failure(MAX_FAILURES, NOW, NOW + 1) == (1, 0)


def test_minutes_left_are_whole_at_least_one_and_none_once_over():
    assert minutes_locked(NOW + LOCK_SECONDS, NOW) == 15
    assert minutes_locked(NOW + 5, NOW) == 1
    assert minutes_locked(NOW, NOW) is None
    assert minutes_locked(0, NOW) is None
