"""Audio out of chat completions (`modalities: ["text", "audio"]`): the answer spoken, its transcript the text,
streamed as transcript pieces and then the data; the recognizer reads the transcript back from the audio."""

from __future__ import annotations

import base64
from typing import Any

import openai
import pytest

from mockapi.generators.chat_audio import AUDIO_TOKENS_PER_SECOND
from mockapi.generators.speech import duration
from mockapi.generators.speech_recognition import recognize_file

ASK: Any = [{"role": "user", "content": "Say hello to the class."}]


def test_the_answer_is_spoken_and_its_audio_reads_back_as_the_transcript(client: openai.OpenAI) -> None:
    result = client.chat.completions.create(
        model="gpt-4o-audio-preview",
        messages=ASK,
        modalities=["text", "audio"],
        audio={"voice": "coral", "format": "wav"},
    )
    message = result.choices[0].message
    assert message.content is None and message.audio is not None and message.audio.id.startswith("audio_")
    assert message.audio.expires_at == result.created + 3600
    wav = base64.b64decode(message.audio.data)
    assert wav[:4] == b"RIFF"
    assert recognize_file(wav) == message.audio.transcript
    spoken = -(-duration(message.audio.transcript) * AUDIO_TOKENS_PER_SECOND // 1)
    details = result.usage.completion_tokens_details  # type: ignore[union-attr]
    assert details is not None and details.audio_tokens == spoken > 0


def test_the_streamed_audio_carries_the_same_transcript(client: openai.OpenAI) -> None:
    options: Any = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "mp3"}}
    whole = client.chat.completions.create(model="gpt-4o-audio-preview", messages=ASK, **options)
    chunks = list(client.chat.completions.create(model="gpt-4o-audio-preview", messages=ASK, stream=True, **options))
    audio = [getattr(chunk.choices[0].delta, "audio", None) for chunk in chunks]
    pieces = [part for part in audio if part]
    assert whole.choices[0].message.audio is not None
    assert (
        "".join(getattr(part, "transcript", None) or "" for part in pieces) == whole.choices[0].message.audio.transcript
    )
    assert getattr(pieces[-1], "data", None) == whole.choices[0].message.audio.data
    assert getattr(pieces[0], "id", "").startswith("audio_")


@pytest.mark.parametrize(
    ("model", "options", "message"),
    [
        ("gpt-4o", {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}},
         "Unsupported value: 'modalities' does not support 'audio' with this model. Supported values are: 'text'."),
        ("gpt-4o-audio-preview", {"modalities": ["text", "audio"]}, "Missing required parameter: 'audio'."),
    ],
)  # fmt: skip
def test_audio_output_needs_an_audio_model_and_its_options(
    client: openai.OpenAI, model: str, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=model, messages=ASK, **options)
    assert caught.value.message.endswith(message)
