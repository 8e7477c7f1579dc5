"""Prompt tokens of today's models: images by the published tile and patch rules, messages and tools by the
cookbook's accounting, the same core for Chat Completions messages and Responses input items."""

from __future__ import annotations

import base64
import io
import struct
import wave
from pathlib import Path

import pytest
from PIL import Image

from mockapi import accounting
from mockapi.accounting import (
    AudioInputError,
    ImagePart,
    PromptMessage,
    PromptRules,
    PromptTokens,
    ToolCall,
    chat_functions,
    chat_messages,
    function_tokens,
    model_prompt_tokens,
    prompt_tokens,
    response_functions,
    response_items,
)
from mockapi.catalogue import Catalogue
from mockapi.image_input import (
    ImageInputError,
    PatchRule,
    TileRule,
    data_url_image,
    image_patches,
    image_size,
    patch_tokens,
    tile_tokens,
    url_image,
)
from mockapi.seeding import Seeding
from mockapi.tokens import tokenizer_for

GPT_4O = TileRule(method="tiles", base=85, per_tile=170)
GPT_4O_MINI = TileRule(method="tiles", base=2833, per_tile=5667)
O_SERIES = TileRule(method="tiles", base=75, per_tile=150)
GPT_41_MINI = PatchRule(method="patches", multiplier=1.62)
GPT_41_NANO = PatchRule(method="patches", multiplier=2.46)
O4_MINI = PatchRule(method="patches", multiplier=1.72)
RULES = PromptRules()
O200K = tokenizer_for("o200k_base")

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather.",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "The city."},
                "unit": {"type": "string", "enum": ["c", "f"]},
            },
        },
    },
}


def _image_bytes(width: int, height: int, image_format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, image_format)
    return buffer.getvalue()


def _data_url(width: int, height: int, image_format: str = "PNG") -> str:
    encoded = base64.b64encode(_image_bytes(width, height, image_format)).decode()
    return f"data:image/{image_format.lower()};base64,{encoded}"


def _wav_base64(seconds: float, rate: int = 16000) -> str:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack("<h", 0) * int(seconds * rate))
    return base64.b64encode(buffer.getvalue()).decode()


# Tiles: the published examples.


def test_tiles_1024_square_high_is_765() -> None:
    # No fit needed; shortest side 1024 -> 768x768: 2x2 tiles of 512. 85 + 4 * 170 = 765.
    assert tile_tokens(1024, 1024, "high", GPT_4O) == 765


def test_tiles_2048_by_4096_high_is_1105() -> None:
    # Fit in 2048: 1024x2048; shortest side to 768: 768x1536; 2x3 tiles. 85 + 6 * 170 = 1105.
    assert tile_tokens(2048, 4096, "high", GPT_4O) == 1105


def test_tiles_low_detail_is_the_base_whatever_the_size() -> None:
    assert tile_tokens(4096, 8192, "low", GPT_4O) == 85
    assert tile_tokens(4096, 8192, "low", GPT_4O_MINI) == 2833


def test_tiles_auto_counts_as_high_and_small_images_are_not_scaled_up() -> None:
    # 512x512 stays 512x512: one tile. 85 + 170 = 255; 300x1000 stays: 1x2 tiles, 85 + 340 = 425.
    assert tile_tokens(512, 512, "auto", GPT_4O) == 255
    assert tile_tokens(300, 1000, "auto", GPT_4O) == 425


def test_tiles_with_each_family_numbers() -> None:
    # 1024x1024 high is 4 tiles for every tile model.
    assert tile_tokens(1024, 1024, "high", GPT_4O_MINI) == 2833 + 4 * 5667 == 25501
    assert tile_tokens(1024, 1024, "high", O_SERIES) == 75 + 4 * 150 == 675


# Patches: the published examples and rule.


def test_patches_1024_square_is_1024() -> None:
    # 32 x 32 patches of 32px = 1024 <= 1536: no scaling.
    assert image_patches(1024, 1024, 1536) == 1024


def test_patches_1800_by_2400_is_1452() -> None:
    # 57 x 75 = 4275 patches > 1536. shrink = sqrt(32^2 * 1536 / (1800 * 2400)) = 0.6034;
    # 1800 * 0.6034 / 32 = 33.94 -> 33, ratio 0.9723; 2400 * 0.6034 / 32 = 45.26 -> 45, ratio 0.9944;
    # shrink * 0.9723 = 0.5867: 1056 x 1408 px = 33 x 44 patches = 1452.
    assert image_patches(1800, 2400, 1536) == 1452


def test_patches_2048_square_scales_to_whole_patches() -> None:
    # 64 x 64 = 4096 > 1536. shrink = sqrt(1024 * 1536 / 2048^2) = 0.6124; 2048 * 0.6124 / 32 = 39.19 -> 39:
    # 1248 x 1248 px = 39 x 39 patches = 1521.
    assert image_patches(2048, 2048, 1536) == 1521


def test_patch_tokens_apply_the_model_multiplier_rounded_up() -> None:
    assert patch_tokens(1024, 1024, GPT_41_MINI) == 1659  # 1024 * 1.62 = 1658.88
    assert patch_tokens(1800, 2400, GPT_41_NANO) == 3572  # 1452 * 2.46 = 3571.92
    assert patch_tokens(1800, 2400, O4_MINI) == 2498  # 1452 * 1.72 = 2497.44
    assert patch_tokens(320, 320, GPT_41_MINI) == 162  # 10 * 10 = 100 patches * 1.62 = 162 exactly
    assert patch_tokens(10, 10, GPT_41_MINI) == 2  # one patch * 1.62


# Image sizes from data URLs.


@pytest.mark.parametrize("image_format", ["PNG", "JPEG", "GIF", "WEBP"])
def test_image_size_reads_the_four_accepted_formats(image_format: str) -> None:
    assert image_size(_image_bytes(37, 21, image_format)) == (37, 21, image_format.lower())
    assert data_url_image(_data_url(37, 21, image_format)).format == image_format.lower()


@pytest.mark.parametrize("data", [_image_bytes(8, 8, "BMP"), _image_bytes(8, 8, "TIFF"), b"not an image", b""])
def test_other_images_are_refused_as_unsupported(data: bytes) -> None:
    with pytest.raises(ImageInputError) as caught:
        image_size(data)
    assert caught.value.code == "invalid_image_format"
    assert "['png', 'jpeg', 'gif', 'webp']" in caught.value.message


@pytest.mark.parametrize(
    "url",
    [
        "data:image/png;base64,!!not-base64!!",
        "data:text/plain;base64,aGVsbG8=",
        "data:image/png,rawbytes",
        "ftp://example.com/a.png",
        "https://",
        "",
    ],
)
def test_bad_image_urls_are_refused(url: str) -> None:
    with pytest.raises(ImageInputError) as caught:
        url_image(url)
    assert caught.value.code == "invalid_image_url"


def test_http_images_have_the_assumed_size() -> None:
    facts = url_image("https://example.com/cat.jpg")
    assert (facts.width, facts.height, facts.format) == (1024, 1024, "url")


# Messages and tools.


def test_plain_messages_follow_the_cookbook() -> None:
    messages = chat_messages(
        [{"role": "system", "content": "You are helpful."}, {"role": "user", "content": "Hello!", "name": "Alice"}]
    )
    # system: 3 + "system" 1 + "You are helpful." 4 (You| are| helpful|.) = 8
    # user: 3 + "user" 1 + "Hello!" 2 (Hello|!) + name "Alice" 1 + 1 = 8; reply priming 3. Total 19.
    assert prompt_tokens(messages, O200K, RULES, None) == PromptTokens(19, 19, 0, 0)


def test_the_count_uses_the_given_tokenizer() -> None:
    messages = [PromptMessage("user", ("Sunny, 21 C",))]
    # 3 + 1 + text + 3, the text 5 tokens in o200k and 6 in cl100k.
    assert prompt_tokens(messages, O200K, RULES, None).total == 12
    assert prompt_tokens(messages, tokenizer_for("cl100k_base"), RULES, None).total == 13


def test_tools_follow_the_cookbook_formula() -> None:
    functions = chat_functions([WEATHER_TOOL], None)
    # function_start 7 + "get_weather:Get the weather" 5 (trailing full stop dropped) + properties_start 3
    # + city: property_key 3 + "city:string:The city" 4
    # + unit: property_key 3 + enum_start -3 + (3 + "c" 1) + (3 + "f" 1) + "unit:string:" 3
    # + functions_end 12 = 7 + 5 + 3 + 7 + 11 + 12 = 45
    assert function_tokens(functions, O200K, RULES) == 45
    # gpt-3.5-turbo and gpt-4 start each function with 10.
    assert function_tokens(functions, O200K, PromptRules(function_start=10)) == 48
    assert function_tokens([], O200K, RULES) == 0


def test_legacy_functions_and_responses_tools_count_as_the_chat_tools() -> None:
    definition = WEATHER_TOOL["function"]
    flat = {"type": "function", **definition}  # type: ignore[dict-item]
    assert function_tokens(chat_functions(None, [definition]), O200K, RULES) == 45
    assert function_tokens(response_functions([flat, {"type": "web_search"}]), O200K, RULES) == 45


def test_a_function_without_description_or_parameters() -> None:
    # 7 + "ping:" 2 (ping|:) + 12 = 21
    assert O200K.count("ping:") == 2
    assert function_tokens([{"name": "ping"}], O200K, RULES) == 21


def test_tools_are_added_to_the_messages() -> None:
    messages = chat_messages([{"role": "user", "content": "Hello!"}])
    # 3 + 1 + 2 + 3 = 9 for the message, 45 for the tool.
    assert prompt_tokens(messages, O200K, RULES, None, chat_functions([WEATHER_TOOL], None)).total == 54


def test_image_parts_count_by_the_model_rule() -> None:
    high = {"type": "image_url", "image_url": {"url": _data_url(1024, 1024), "detail": "high"}}
    low = {"type": "image_url", "image_url": {"url": _data_url(1024, 1024), "detail": "low"}}
    remote = {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
    text = {"type": "text", "text": "Describe this image."}
    messages = chat_messages([{"role": "user", "content": [text, high, low, remote]}])
    assert messages[0].images == (ImagePart(1024, 1024, "high"), ImagePart(1024, 1024, "low"), ImagePart(1024, 1024))
    # text: 3 + "user" 1 + "Describe this image." 4 + 3 = 11; images 765 + 85 + 765 (assumed 1024 square).
    assert prompt_tokens(messages, O200K, RULES, GPT_4O) == PromptTokens(11 + 1615, 11, 1615, 0)
    # gpt-4.1-mini: 1659 each, detail or not.
    assert prompt_tokens(messages, O200K, RULES, GPT_41_MINI).images == 3 * 1659


def test_a_bad_image_part_is_an_input_error() -> None:
    part = {"type": "image_url", "image_url": {"url": "data:image/bmp;base64," + base64.b64encode(b"BM").decode()}}
    with pytest.raises(ImageInputError):
        chat_messages([{"role": "user", "content": [part]}])


def test_tool_calls_and_results() -> None:
    messages = chat_messages(
        [
            {"role": "user", "content": "What is the weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
        ]
    )
    assert messages[1].tool_calls == (ToolCall("get_weather", '{"city":"Paris"}'),)
    # user: 3 + 1 + 7 = 11; assistant: 3 + 1 + call (3 + "get_weather" 2 + arguments 5) = 14;
    # tool: 3 + "tool" 1 + "Sunny, 21 C" 5 (the call id is not counted) = 9; priming 3. Total 37.
    assert prompt_tokens(messages, O200K, RULES, None).total == 37


def test_legacy_function_call_and_function_message() -> None:
    messages = chat_messages(
        [
            {"role": "assistant", "content": None, "function_call": {"name": "get_weather", "arguments": "{}"}},
            {"role": "function", "name": "get_weather", "content": "Sunny, 21 C"},
        ]
    )
    # assistant: 3 + 1 + (3 + 2 + "{}" 1) = 10; function: 3 + "function" 1 + 5 + name 2 + 1 = 12; priming 3.
    assert O200K.count("{}") == 1 and O200K.count("function") == 1
    assert prompt_tokens(messages, O200K, RULES, None).total == 25


def test_responses_items_count_as_the_same_chat() -> None:
    chat = chat_messages(
        [
            {"role": "developer", "content": "You are helpful."},
            {"role": "user", "content": [{"type": "text", "text": "Hello!"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c", "content": "Sunny, 21 C"},
        ]
    )
    items = response_items(
        [
            {"role": "developer", "content": "You are helpful."},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hello!"}]},
            {"type": "reasoning", "id": "rs_1", "summary": []},
            {"type": "function_call", "call_id": "c", "name": "get_weather", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c", "output": "Sunny, 21 C"},
        ]
    )
    assert chat == items
    assert response_items("Hello!") == chat_messages([{"role": "user", "content": "Hello!"}])


def test_response_image_and_file_parts() -> None:
    items = response_items(
        [
            {
                "role": "user",
                "content": [
                    {"type": "input_image", "image_url": _data_url(2048, 4096), "detail": "high"},
                    {"type": "input_image", "file_id": "file-abc", "detail": "low"},
                    {"type": "input_file", "filename": "notes.txt", "file_data": base64.b64encode(b"Hello!").decode()},
                ],
            }
        ]
    )
    assert items[0].images == (ImagePart(2048, 4096, "high"), ImagePart(1024, 1024, "low"))
    assert items[0].texts == ("notes.txt", "Hello!")
    # images 1105 + 85; text 3 + 1 + "notes.txt" 2 (notes|.txt) + 2 + 3 = 11
    assert O200K.count("notes.txt") == 2
    assert prompt_tokens(items, O200K, RULES, GPT_4O) == PromptTokens(11 + 1190, 11, 1190, 0)


def test_a_pdf_file_part_counts_its_filename_only() -> None:
    pdf = "data:application/pdf;base64," + base64.b64encode(b"%PDF-1.4\xff\xfe binary").decode()
    messages = chat_messages(
        [{"role": "user", "content": [{"type": "file", "file": {"filename": "a.pdf", "file_data": pdf}}]}]
    )
    assert messages[0].texts == ("a.pdf",)


def test_audio_parts_count_ten_tokens_a_second() -> None:
    part = {"type": "input_audio", "input_audio": {"data": _wav_base64(1.5), "format": "wav"}}
    messages = chat_messages([{"role": "user", "content": [part]}])
    assert messages[0].audio_seconds == (1.5,)
    # 1.5 s * 10 = 15 audio tokens; text 3 + 1 + 3 = 7.
    assert prompt_tokens(messages, O200K, RULES, None) == PromptTokens(22, 7, 0, 15)
    # mp3 has no header read here: 16 kB a second (128 kbit/s). 8000 bytes = 0.5 s = 5 tokens.
    mp3 = {"type": "input_audio", "input_audio": {"data": base64.b64encode(b"\0" * 8000).decode(), "format": "mp3"}}
    assert prompt_tokens(chat_messages([{"role": "user", "content": [mp3]}]), O200K, RULES, None).audio == 5


@pytest.mark.parametrize(("data", "audio_format"), [("!!", "wav"), (_wav_base64(0.1), "flac"), (None, "wav")])
def test_bad_audio_parts_are_input_errors(data: object, audio_format: str) -> None:
    with pytest.raises(AudioInputError):
        accounting.audio_seconds(data, audio_format)


def test_model_prompt_tokens_reads_the_catalogue_entry() -> None:
    catalogue = Catalogue.load([Path(__file__).parents[2] / "fixtures"], Seeding(0))
    image = {"type": "image_url", "image_url": {"url": _data_url(1024, 1024), "detail": "high"}}
    messages = chat_messages([{"role": "user", "content": [image]}])
    # text 3 + 1 + 3 = 7 for all; the image by each model's rule.
    assert model_prompt_tokens(catalogue.get("gpt-4o"), messages).images == 765
    assert model_prompt_tokens(catalogue.get("gpt-4o-mini-2024-07-18"), messages).images == 25501
    assert model_prompt_tokens(catalogue.get("gpt-4.1-nano"), messages).images == 2520  # 1024 * 2.46 = 2519.04
    assert model_prompt_tokens(catalogue.get("o3"), messages).images == 675
    assert model_prompt_tokens(catalogue.get("o4-mini"), messages).images == 1762  # 1024 * 1.72 = 1761.28
    assert model_prompt_tokens(catalogue.get("gpt-5"), messages).images == 70 + 4 * 140
    assert model_prompt_tokens(catalogue.get("gpt-5-mini"), messages).images == 1659
    assert model_prompt_tokens(catalogue.get("gpt-5.6-luna"), messages).text == 7
    tools = chat_functions([WEATHER_TOOL], None)
    assert model_prompt_tokens(catalogue.get("gpt-4o"), [], tools).total == 3 + 45
    assert model_prompt_tokens(catalogue.get("gpt-3.5-turbo"), [], tools).total == 3 + 48
