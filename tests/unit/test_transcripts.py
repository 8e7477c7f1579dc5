"""What today's transcription models add: token logprobs and pieces, usage, text events, diarized segments."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockapi.generators import transcripts
from mockapi.tokens import tokenizer_for

O200K = tokenizer_for("o200k_base")
TEXT = "Hello there. I would like to book a table for two at eight tonight, please. Thank you!"


@settings(deadline=None)  # the first example loads the tokenizer
@given(st.text(max_size=60))
def test_pieces_are_whole_text_and_cover_every_token(text: str) -> None:
    pieces = transcripts.token_pieces(text, O200K)
    assert "".join(piece for piece, _ in pieces) == text
    assert sum(count for _, count in pieces) == len(O200K.encode(text))
    assert all(count >= 1 for _, count in pieces)


def test_a_split_character_joins_the_next_piece() -> None:
    pieces = transcripts.token_pieces("🦜🦜", O200K)
    assert "".join(piece for piece, _ in pieces) == "🦜🦜"
    assert all("\ufffd" not in piece for piece, _ in pieces)


def test_logprobs_are_the_tokens_bytes_with_seeded_confidence() -> None:
    logprobs = transcripts.token_logprobs(TEXT, O200K, random.Random(1))
    assert b"".join(bytes(item["bytes"]) for item in logprobs) == TEXT.encode()
    assert all(-1 < item["logprob"] < 0 for item in logprobs)
    assert sum(item["logprob"] > -0.01 for item in logprobs) > len(logprobs) / 2  # mostly sure
    assert logprobs == transcripts.token_logprobs(TEXT, O200K, random.Random(1))


def test_usage_in_tokens_and_in_seconds() -> None:
    usage = transcripts.token_usage(4, 6.04, 20, audio_tokens_per_second=10)
    assert usage == {
        "type": "tokens",
        "input_tokens": 65,
        "input_token_details": {"text_tokens": 4, "audio_tokens": 61},
        "output_tokens": 20,
        "total_tokens": 85,
    }
    assert transcripts.duration_usage(27.1) == {"type": "duration", "seconds": 28}


@pytest.mark.parametrize("with_logprobs", [True, False])
def test_text_events_are_deltas_then_done(with_logprobs: bool) -> None:
    logprobs = transcripts.token_logprobs(TEXT, O200K, random.Random(2)) if with_logprobs else None
    usage = transcripts.token_usage(0, 3, 10, 10)
    events = list(transcripts.text_events(transcripts.token_pieces(TEXT, O200K), TEXT, logprobs, usage))
    deltas, done = events[:-1], events[-1]
    assert "".join(event["delta"] for event in deltas) == TEXT
    assert done == {"type": "transcript.text.done", "text": TEXT, **({"logprobs": logprobs} if logprobs else {}),
                    "usage": usage}  # fmt: skip
    if logprobs is None:
        assert all("logprobs" not in event for event in deltas)
    else:
        assert [item for event in deltas for item in event["logprobs"]] == logprobs


def test_one_voice_is_one_speaker_and_other_audio_takes_turns() -> None:
    text = " ".join(f"Sentence number {n} is here." for n in range(12))
    alone = transcripts.speaker_segments(text, 30.0, random.Random(3), one_voice=True)
    assert {segment["speaker"] for segment in alone} == {"A"}
    talk = transcripts.speaker_segments(text, 30.0, random.Random(3))
    assert {segment["speaker"] for segment in talk} == {"A", "B"}
    assert " ".join(segment["text"] for segment in talk) == text
    assert talk[0]["start"] == 0.0 and talk[-1]["end"] == 30.0
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(talk))
    assert [segment["id"] for segment in talk[:2]] == ["seg_001", "seg_002"]
    named = transcripts.speaker_segments(text, 30.0, random.Random(3), names=["agent", "customer"])
    assert {segment["speaker"] for segment in named} == {"agent", "customer"}


def test_diarized_text_and_events() -> None:
    segments = transcripts.speaker_segments("Hi there. How are you?", 3.0, random.Random(0), names=["agent"])
    assert transcripts.diarized_text(segments).splitlines()[0].startswith(f"{segments[0]['speaker']}: Hi there.")
    events = list(transcripts.diarized_events(segments, "Hi there. How are you?", {"type": "tokens"}))
    assert events[-1]["type"] == "transcript.text.done"
    assert [event for event in events if event["type"] == "transcript.text.segment"] == segments
    first = [event for event in events if event["type"] == "transcript.text.delta" and event["segment_id"] == "seg_001"]
    assert "".join(event["delta"] for event in first) == segments[0]["text"]
