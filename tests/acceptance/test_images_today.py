"""Today's image models through the official SDK: dall-e-3 (sizes, quality, style, n=1, revised_prompt) and
gpt-image-1 and its mini (formats, compression, transparent backgrounds, usage, multi-image edits with a
mask, partial-image streams). dall-e-2's 2023 behaviour is tested in test_images.py."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from PIL import Image

from tests.images_support import checkerboard, encode, halves, with_transparent_square
from tests.support import error_of

# The SDK marks create_variation (and dall-e era calls) deprecated: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")


def _image(b64: str | None) -> Image.Image:
    assert b64 is not None
    image = Image.open(io.BytesIO(base64.b64decode(b64)))
    image.load()
    return image


# dall-e-3.


def test_dall_e_3_paints_1792x1024_with_a_revised_prompt(client: openai.OpenAI, http: httpx.Client) -> None:
    response = client.images.generate(
        model="dall-e-3", prompt="A lighthouse at dawn", size="1792x1024", response_format="b64_json"
    )
    [item] = response.data
    image = _image(item.b64_json)
    assert (image.format, image.size) == ("PNG", (1792, 1024))
    assert item.revised_prompt is not None and "a lighthouse at dawn" in item.revised_prompt.lower()
    assert len(item.revised_prompt.split()) > 20
    linked = client.images.generate(model="dall-e-3", prompt="A lighthouse at dawn", size="1024x1792").data[0]
    assert linked.url is not None and linked.revised_prompt
    served = Image.open(io.BytesIO(httpx.get(linked.url, timeout=30).content))
    assert served.size == (1024, 1792)


def test_dall_e_3_quality_and_style_change_the_picture(client: openai.OpenAI) -> None:
    def paint(**kwargs: Any) -> Image.Image:
        data = client.images.generate(model="dall-e-3", prompt="A fox", response_format="b64_json", **kwargs).data
        return _image(data[0].b64_json).convert("RGB")

    vivid, natural = paint(style="vivid"), paint(style="natural")
    saturation = [float(np.asarray(image.convert("HSV"))[..., 1].mean()) for image in (vivid, natural)]
    assert saturation[0] > saturation[1] + 30
    assert np.asarray(paint(quality="hd")).tobytes() != np.asarray(paint(quality="standard")).tobytes()


@pytest.mark.parametrize(
    ("change", "param", "message", "code"),
    [
        ({"n": 2}, "n", "You must provide n=1 for this model.", None),
        ({"size": "512x512"}, "size", "The size is not supported by this model.", "invalid_size"),
        ({"quality": "high"}, "quality", "'high' is not one of ['standard', 'hd'] - 'quality'", None),
        ({"style": "cartoon"}, "style", "'cartoon' is not one of ['vivid', 'natural'] - 'style'", None),
        ({"background": "transparent"}, "background", "Unknown parameter: 'background'.", "unknown_parameter"),
        ({"prompt": "p" * 4001}, "prompt", "is too long - 'prompt'", None),
    ],
)
def test_dall_e_3_refuses_what_it_does_not_take(
    http: httpx.Client, change: dict[str, Any], param: str, message: str, code: str | None
) -> None:
    response = http.post("/v1/images/generations", json={"model": "dall-e-3", "prompt": "A fox", **change})
    assert response.status_code == 400
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"]) and error["code"] == code


def test_dall_e_3_neither_edits_nor_varies(client: openai.OpenAI) -> None:
    png = encode(with_transparent_square(checkerboard(64), (0, 0, 32, 32)))
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(model="dall-e-3", image=("a.png", png), prompt="A hat")
    assert caught.value.body["param"] == "model"  # type: ignore[index]
    with pytest.raises(openai.BadRequestError):
        client.images.create_variation(model="dall-e-3", image=("a.png", png))  # type: ignore[arg-type]


# The GPT image models.


@pytest.mark.parametrize(("output_format", "pil_format"), [("jpeg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")])
def test_gpt_image_answers_the_format_asked(client: openai.OpenAI, output_format: Any, pil_format: str) -> None:
    response = client.images.generate(
        model="gpt-image-1", prompt="A red bicycle", output_format=output_format, quality="low", size="1536x1024"
    )
    image = _image(response.data[0].b64_json)  # type: ignore[index]
    assert (image.format, image.size) == (pil_format, (1536, 1024))
    assert response.output_format == output_format and response.size == "1536x1024" and response.quality == "low"
    assert response.background == "opaque"
    assert response.data[0].url is None  # type: ignore[index]
    assert response.usage is not None and response.usage.output_tokens == 400
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens


def test_output_compression_shrinks_jpeg_and_webp(client: openai.OpenAI) -> None:
    def size(output_format: Any, compression: int) -> int:
        data = client.images.generate(
            model="gpt-image-1-mini", prompt="A harbour", output_format=output_format, output_compression=compression
        ).data
        return len(base64.b64decode(data[0].b64_json or ""))  # type: ignore[index]

    for output_format in ("jpeg", "webp"):
        assert size(output_format, 10) < size(output_format, 90)


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_a_transparent_background_is_transparent(client: openai.OpenAI, output_format: Any) -> None:
    response = client.images.generate(
        model="gpt-image-1", prompt="A sticker of a cat", background="transparent", output_format=output_format
    )
    image = _image(response.data[0].b64_json)  # type: ignore[index]
    assert image.mode == "RGBA" and response.background == "transparent"
    alpha = np.asarray(image.getchannel("A"))
    assert (alpha == 0).mean() > 0.2 and (alpha == 255).mean() > 0.05


def test_auto_size_and_background_follow_the_prompt(client: openai.OpenAI) -> None:
    response = client.images.generate(model="gpt-image-1", prompt="A wide mountain panorama, as a sticker")
    assert response.size == "1536x1024" and response.background == "transparent" and response.quality == "high"
    assert _image(response.data[0].b64_json).size == (1536, 1024)  # type: ignore[index]


def test_partial_images_stream_before_the_completed_image(client: openai.OpenAI) -> None:
    stream = client.images.generate(
        model="gpt-image-1", prompt="A paper boat", stream=True, partial_images=2, quality="medium"
    )
    events = list(stream)
    assert [event.type for event in events] == [
        "image_generation.partial_image",
        "image_generation.partial_image",
        "image_generation.completed",
    ]
    assert [event.partial_image_index for event in events[:2]] == [0, 1]  # type: ignore[union-attr]
    final = _image(events[-1].b64_json)
    assert final.size == (1024, 1024)
    for partial in events[:2]:
        assert _image(partial.b64_json).size == (1024, 1024)
    assert events[-1].usage.output_tokens == 1056 + 2 * 100  # type: ignore[union-attr]


def test_the_stream_names_each_event(http: httpx.Client) -> None:
    body = {"model": "gpt-image-1-mini", "prompt": "A kite", "stream": True, "partial_images": 1, "quality": "low"}
    response = http.post("/v1/images/generations", json=body)
    blocks = [block for block in response.text.split("\n\n") if block]
    assert [block.splitlines()[0] for block in blocks] == [
        "event: image_generation.partial_image",
        "event: image_generation.completed",
    ]
    assert "[DONE]" not in response.text


def test_an_edit_composes_several_images_and_repaints_the_masked_area(client: openai.OpenAI) -> None:
    first = halves(512)
    mask = with_transparent_square(Image.new("RGB", (512, 512), "white"), (0, 256, 512, 512))
    response = client.images.edit(
        model="gpt-image-1",
        image=[
            ("first.png", encode(first)),
            ("second.jpg", encode(checkerboard(300).convert("RGB"), "JPEG")),
            ("third.webp", encode(checkerboard(200), "WEBP")),
        ],
        mask=("mask.png", encode(mask)),
        prompt="A picnic basket",
        quality="low",
        size="1024x1024",
    )
    result = np.asarray(_image(response.data[0].b64_json).convert("RGB")).astype(int)  # type: ignore[index]
    # Below the insets, the top half keeps the first image (red left, blue right); the bottom is repainted.
    assert result[400, 100].tolist() == [255, 0, 0] and result[400, 900].tolist() == [0, 0, 255]
    assert np.abs(result[700:, :, :] - np.asarray(first.resize((1024, 1024)))[700:]).mean() > 30
    assert response.usage is not None and response.usage.input_tokens_details.image_tokens > 3 * 85


def test_a_streamed_edit_sends_image_edit_events(client: openai.OpenAI) -> None:
    stream = client.images.edit(
        model="gpt-image-1", image=("a.png", encode(checkerboard(256))), prompt="Snow", stream=True, partial_images=1
    )
    assert [event.type for event in stream] == ["image_edit.partial_image", "image_edit.completed"]


@pytest.mark.parametrize(
    ("change", "param", "message"),
    [
        ({"response_format": "url"}, "response_format", "Unknown parameter: 'response_format'."),
        ({"response_format": "b64_json"}, "response_format", "Unknown parameter: 'response_format'."),
        ({"size": "256x256"}, "size", "Invalid value: '256x256'. Supported values are: 'auto', '1024x1024'"),
        (
            {"quality": "hd"},
            "quality",
            "Invalid value: 'hd'. Supported values are: 'auto', 'low', 'medium', and 'high'.",
        ),
        ({"style": "vivid"}, "style", "Unknown parameter: 'style'."),
        ({"background": "transparent", "output_format": "jpeg"}, "background", "not supported for the 'jpeg'"),
        ({"output_compression": 50}, "output_compression", "not supported for PNG output format"),
        ({"output_compression": 101, "output_format": "jpeg"}, "output_compression", "Expected a value <= 100"),
        ({"partial_images": 4, "stream": True}, "partial_images", "Expected a value <= 3, but got 4 instead."),
        ({"moderation": "strict"}, "moderation", "Invalid value: 'strict'. Supported values are: 'auto', and 'low'."),
        ({"n": 11}, "n", "11 is greater than the maximum of 10 - 'n'"),
        ({"prompt": "p" * 32_001}, "prompt", "Expected a string with maximum length 32000"),
    ],
)
def test_gpt_image_refuses_what_it_does_not_take(
    http: httpx.Client, change: dict[str, Any], param: str, message: str
) -> None:
    response = http.post("/v1/images/generations", json={"model": "gpt-image-1", "prompt": "A fox", **change})
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param and message in str(error["message"])


def test_gpt_image_edits_refuse_bad_inputs(http: httpx.Client) -> None:
    def edit(files: list[tuple[str, tuple[str, bytes]]], **data: str) -> dict[str, object]:
        response = http.post("/v1/images/edits", files=files, data={"model": "gpt-image-1", "prompt": "x", **data})
        assert response.status_code == 400, response.text
        return error_of(response)

    png = encode(checkerboard(64))
    assert "unsupported image format" in str(edit([("image", ("a.gif", b"GIF89a" + bytes(40)))])["message"])
    error = edit([("image", ("a.png", png)), ("mask", ("m.png", encode(checkerboard(32))))])
    assert error["param"] == "mask" and "same dimensions" in str(error["message"])
    opaque_mask = encode(checkerboard(64).convert("RGB"))
    assert edit([("image", ("a.png", png)), ("mask", ("m.png", opaque_mask))])["param"] == "mask"
    assert edit([("image[]", ("a.png", png))] * 17)["message"] == "Provide between 1 and 16 images."
    assert edit([("image[]", ("a.png", png))] * 20)["message"] == "Too many files. Maximum number of files is 19."
    assert edit([("image", ("a.png", png))], input_fidelity="medium")["param"] == "input_fidelity"
    mini = http.post(
        "/v1/images/edits",
        files=[("image", ("a.png", png))],
        data={"model": "gpt-image-1-mini", "prompt": "x", "input_fidelity": "high"},
    )
    assert error_of(mini)["message"] == "Unknown parameter: 'input_fidelity'."


def test_gpt_image_does_not_vary(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(model="gpt-image-1", image=("a.png", encode(checkerboard(64))))  # type: ignore[arg-type]
    assert caught.value.body["param"] == "model"  # type: ignore[index]
