"""The one source of randomness, ids and time: equal inputs give equal values, and ids are unique yet repeat
from one fresh start to the next."""

from __future__ import annotations

import re
import time

import pytest

from mockapi.seeding import ALPHANUMERIC, Clock, Seeding, canonical

BODY = {"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]}


def _draws(seeding: Seeding, route: str = "chat.completions", body: object = BODY, index: int = 0) -> list[float]:
    rng = seeding.rng_for(route, body, index)
    return [rng.random() for _ in range(5)]


def test_the_same_inputs_give_the_same_values_in_another_instance() -> None:
    one, other = Seeding(7), Seeding(7)
    assert _draws(one) == _draws(other) == _draws(one)
    assert one.digest("chat.completions", BODY) == other.digest("chat.completions", BODY)
    assert len(one.digest("chat.completions", BODY)) == 16
    assert one.random_bytes("embeddings", BODY, 64) == other.random_bytes("embeddings", BODY, 64)
    assert len(one.random_bytes("embeddings", BODY, 1000)) == 1000
    reordered = {"messages": BODY["messages"], "model": "gpt-4"}  # key order is no difference
    assert _draws(one, body=reordered) == _draws(one)
    assert _draws(one, body=canonical(BODY)) == _draws(one)  # ready-made canonical bytes are the same seed


@pytest.mark.parametrize(
    "change",
    [
        {"index": 1},
        {"route": "completions"},
        {"body": {**BODY, "model": "gpt-3.5-turbo"}},
    ],
    ids=["index", "route", "body"],
)
def test_each_input_changes_the_generator(change: dict[str, object]) -> None:
    seeding = Seeding(7)
    assert _draws(seeding, **change) != _draws(seeding)  # type: ignore[arg-type]


def test_another_seed_changes_every_value() -> None:
    assert _draws(Seeding(1)) != _draws(Seeding(2))
    assert Seeding(1).random_bytes("r", BODY, 32) != Seeding(2).random_bytes("r", BODY, 32)
    assert Seeding(1).next_id("file-") != Seeding(2).next_id("file-")


def test_choices_of_one_answer_each_draw_their_own_values() -> None:
    seeding = Seeding(0)
    firsts = {seeding.rng_for("chat.completions", BODY, index).random() for index in range(50)}
    assert len(firsts) == 50


def test_next_id_is_unique_and_of_the_given_shape() -> None:
    seeding = Seeding(3)
    ids = [seeding.next_id("file-") for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"file-[A-Za-z0-9]{24}", value) for value in ids)
    assert re.fullmatch(r"img-[A-Za-z0-9]{8}", seeding.next_id("img-", 8))
    # Every alphanumeric turns up: the ids are not drawn from a narrower alphabet.
    assert set("".join(value.removeprefix("file-") for value in ids)) == set(ALPHANUMERIC)


def test_the_id_sequence_repeats_from_a_fresh_start_and_a_salt_sets_it_apart() -> None:
    first, again = Seeding(3), Seeding(3)
    assert [first.next_id("file-") for _ in range(5)] == [again.next_id("file-") for _ in range(5)]
    assert Seeding(3, id_salt="-worker-1").next_id("file-") != Seeding(3).next_id("file-")
    # The salt separates ids only: answers stay the same in every worker.
    assert _draws(Seeding(3, id_salt="-worker-1")) == _draws(Seeding(3))


def test_request_ids_are_req_and_32_hex_digits_each_new() -> None:
    seeding = Seeding(0)
    ids = [seeding.request_id() for _ in range(1_000)]
    assert all(re.fullmatch(r"req_[0-9a-f]{32}", value) for value in ids)
    assert len(set(ids)) == len(ids)
    assert Seeding(0).request_id() == ids[0]


def test_answer_ids_come_from_the_answer_generator() -> None:
    seeding = Seeding(0)
    made = Seeding.answer_id("chatcmpl-", seeding.rng_for("chat.completions", BODY))
    assert re.fullmatch(r"chatcmpl-[A-Za-z0-9]{29}", made)
    assert Seeding.answer_id("chatcmpl-", seeding.rng_for("chat.completions", BODY)) == made
    assert seeding.next_id("x-") == Seeding(0).next_id("x-")  # and use nothing of the id sequence


def test_canonical_drops_delivery_keys_and_sorts() -> None:
    delivered = {**BODY, "stream": True, "stream_options": {"include_usage": True}, "user": "u-1"}
    assert canonical(delivered) == canonical(BODY) == canonical(dict(reversed(list(BODY.items()))))
    assert canonical({"b": 1, "a": 2}) == b'{"a":2,"b":1}'
    assert canonical({**BODY, "n": 2}) != canonical(BODY)  # any other key is part of the answer
    # Only the top level: a nested `user` is content.
    assert canonical({"messages": [{"user": "x"}]}) == b'{"messages":[{"user":"x"}]}'
    assert canonical([1, "a"]) == b'[1,"a"]' and canonical({1: "a"}) == b'{"1":"a"}'


def test_fixed_time_is_every_now_and_the_clock_otherwise() -> None:
    assert Seeding(fixed_time=1_700_000_000).now() == 1_700_000_000
    before = int(time.time())
    now = Seeding().now()
    assert before <= now <= int(time.time()) and isinstance(now, int)


def test_fixed_time_leaves_the_real_clocks_alone() -> None:
    # Journal times and shared deadlines are real whatever --fixed-time says.
    seeding = Seeding(fixed_time=0)
    assert abs(seeding.wall_time() - time.time()) < 5 and seeding.monotonic() > 0
    assert _draws(seeding) == _draws(Seeding())  # nor does it change any answer


def test_the_faker_is_reseeded_from_each_generator() -> None:
    seeding = Seeding(0)
    first = seeding.faker(seeding.rng_for("r", BODY)).sentence()
    seeding.faker(seeding.rng_for("r", BODY, 1)).sentence()
    assert seeding.faker(seeding.rng_for("r", BODY)).sentence() == first
    assert Seeding(0).faker(Seeding(0).rng_for("r", BODY)).sentence() == first


def test_a_fixed_clock_stands_still_until_advanced() -> None:
    clock = Clock(fixed_time=1_700_000_000)
    time.sleep(0.01)
    assert clock.time() == 1_700_000_000
    assert clock.advance(90) == 1_700_000_090
    assert Seeding(clock=clock).now() == 1_700_000_090


def test_the_clock_runs_at_its_speed() -> None:
    clock = Clock(fixed_time=1_000, speed=100)
    time.sleep(0.05)
    assert 1_004 <= clock.time() < 1_100


def test_without_fixed_time_the_clock_follows_the_wall() -> None:
    assert abs(Clock().time() - time.time()) < 1


def test_the_clock_never_moves_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        Clock(fixed_time=0).advance(-1)
