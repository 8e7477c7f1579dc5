"""The clock kept in the data directory: a restart resumes where it left off, and reset starts it afresh."""

from __future__ import annotations

import time
from pathlib import Path

from redis import Redis

from mockapi.kept_clock import KIND, KeptClock
from mockapi.records import RecordStores
from mockapi.settings import Settings
from mockapi.state import AppState

T0 = 1_700_000_000


def test_a_standing_clock_resumes_where_it_stood(tmp_path: Path) -> None:
    clock = KeptClock(RecordStores(tmp_path)(KIND), fixed_time=T0, speed=0)
    clock.advance(3600)
    again = KeptClock(RecordStores(tmp_path)(KIND), fixed_time=T0, speed=0)
    assert again.time() == T0 + 3600
    assert again.advance(5) == T0 + 3605


def test_a_running_clock_resumes_as_if_it_had_run_on(tmp_path: Path) -> None:
    KeptClock(RecordStores(tmp_path)(KIND)).advance(7200)
    again = KeptClock(RecordStores(tmp_path)(KIND))
    assert abs(again.time() - (time.time() + 7200)) < 5


def test_a_later_start_than_the_kept_reading_wins(tmp_path: Path) -> None:
    KeptClock(RecordStores(tmp_path)(KIND), fixed_time=T0, speed=0).advance(10)
    assert KeptClock(RecordStores(tmp_path)(KIND), fixed_time=T0 + 1000, speed=0).time() == T0 + 1000


def test_the_server_keeps_its_clock_with_a_data_directory_and_reset_forgets_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, fixed_time=T0)
    state = AppState.build(settings)
    state.seeding.clock.advance(600)
    assert AppState.build(settings).seeding.clock.time() == T0 + 600
    state.reset()
    assert state.seeding.clock.time() == T0
    assert AppState.build(settings).seeding.clock.time() == T0
    assert AppState.build(Settings(fixed_time=T0)).seeding.clock.time() == T0


def test_replicas_sharing_a_state_url_keep_their_clock_in_redis(redis_url: str, tmp_path: Path) -> None:
    url = redis_url.rsplit("/", 1)[0] + "/2"  # a database of the test's own: the records' keys are not prefixed
    Redis.from_url(url).flushdb()
    settings = Settings(state_url=url, data_dir=tmp_path / "one", fixed_time=T0)
    AppState.build(settings).seeding.clock.advance(600)
    # Another replica, its own directory: the clock comes from Redis.
    other = AppState.build(Settings(state_url=url, data_dir=tmp_path / "other", fixed_time=T0))
    assert other.seeding.clock.time() == T0 + 600
    other.reset()
    assert AppState.build(settings).seeding.clock.time() == T0
