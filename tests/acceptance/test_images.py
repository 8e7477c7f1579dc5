"""Images through the official SDK and raw httpx: generations, edits, variations, served URLs, validation."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
import yaml
from fastapi import FastAPI
from PIL import Image, ImageChops
from starlette.datastructures import UploadFile

from mockapi.app import create_app
from mockapi.image_store import ImageStore
from mockapi.pytest_plugin import Mockapi
from mockapi.settings import Settings
from tests.images_support import (
    MiB,
    checkerboard,
    decode,
    encode,
    halves,
    padded_png,
    palette_with_transparent_square,
    with_transparent_square,
)
from tests.legacy import run_legacy
from tests.support import API_KEY, ServerProcess, error_of

# The SDK itself marks create_variation (and dall-e-2 era calls) deprecated: that is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")

HOLE = (64, 64, 192, 192)


def _b64_pngs(response: Any) -> list[bytes]:
    return [base64.b64decode(item.b64_json) for item in response.data]


def _fetch(url: str) -> bytes:
    """A served URL, fetched like a pre-signed link: plain httpx, no key."""
    response = httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return response.content


def _pixels_equal(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


# Generations.


@pytest.mark.parametrize("size", ["256x256", "512x512", "1024x1024"])
def test_generate_url_serves_pngs_of_the_requested_size(
    client: openai.OpenAI, server: ServerProcess, size: str
) -> None:
    response = client.images.generate(prompt="A cute baby sea otter", n=2, size=size)  # type: ignore[arg-type]
    assert len(response.data) == 2
    width, height = (int(side) for side in size.split("x"))
    pngs = []
    for item in response.data:
        assert item.b64_json is None
        assert item.url is not None and item.url.startswith(f"{server.base_url}/images/files/img-")
        image = decode(_fetch(item.url))
        assert image.size == (width, height)
        pngs.append(image)
    assert not _pixels_equal(pngs[0], pngs[1])


def test_generate_url_bytes_equal_the_b64_of_the_same_request(client: openai.OpenAI) -> None:
    request: dict[str, Any] = {"prompt": "A lighthouse at dusk", "n": 3, "size": "256x256"}
    urls = client.images.generate(**request, response_format="url")
    b64 = client.images.generate(**request, response_format="b64_json")
    assert b64.created > 0 and urls.created > 0
    assert [_fetch(item.url or "") for item in urls.data] == _b64_pngs(b64)


def test_generate_is_deterministic_and_differs_per_index_and_prompt(client: openai.OpenAI) -> None:
    first = _b64_pngs(client.images.generate(prompt="otter", n=4, size="256x256", response_format="b64_json"))
    again = _b64_pngs(client.images.generate(prompt="otter", n=4, size="256x256", response_format="b64_json"))
    other = _b64_pngs(client.images.generate(prompt="beaver", n=1, size="256x256", response_format="b64_json"))
    assert first == again
    assert len(set(first)) == 4
    assert other[0] != first[0]
    # n does not change image i: a request for fewer images returns a prefix.
    fewer = _b64_pngs(client.images.generate(prompt="otter", n=2, size="256x256", response_format="b64_json"))
    assert fewer == first[:2]
    assert all(decode(png).size == (256, 256) for png in first)


def test_generate_defaults_to_one_1024_image_by_url(http: httpx.Client) -> None:
    response = http.post("/v1/images/generations", json={"prompt": "otter", "n": None, "size": None})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"created", "data"}
    (item,) = body["data"]
    assert set(item) == {"url"}
    assert decode(_fetch(item["url"])).size == (1024, 1024)


def test_url_is_built_from_the_request_host(http: httpx.Client) -> None:
    """Behind port mapping the client's Host is what it can reach, not the port the server bound."""
    body = {"prompt": "otter", "size": "256x256"}
    response = http.post("/v1/images/generations", json=body, headers={"Host": "images.example:9999"})
    url = response.json()["data"][0]["url"]
    assert url.startswith("http://images.example:9999/v1/images/files/img-") and url.endswith(".png")
    local = url.replace("http://images.example:9999", str(http.base_url).rstrip("/"))
    assert decode(httpx.get(local).content).size == (256, 256)


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"size": "1000x1000"}, "size"),
        ({"size": "1792x1024"}, "size"),
        ({"n": 0}, "n"),
        ({"n": 11}, "n"),
        ({"n": "two"}, "n"),
        ({"prompt": "x" * 1001}, "prompt"),
        ({"response_format": "png"}, "response_format"),
        ({"model": "gpt-3.5-turbo"}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": 5}, "prompt"),
        ({"style": "vivid"}, "style"),
    ],
)
def test_generate_rejects_invalid_input(client: openai.OpenAI, change: dict[str, Any], param: str) -> None:
    request: dict[str, Any] = {"prompt": "otter", "size": "256x256"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.post("/images/generations", body={**request, **change}, cast_to=httpx.Response)
    assert caught.value.status_code == 400
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == param and error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    ("n", "message"),
    [
        (True, "True is not of type 'integer' - 'n'"),
        ("2", "'2' is not of type 'integer' - 'n'"),
        (1.0, "1.0 is not of type 'integer' - 'n'"),
    ],
)
def test_generate_n_must_be_a_json_integer(http: httpx.Client, n: Any, message: str) -> None:
    """JSON has types, and the real API holds to them; only multipart forms, all text, read `n` from digits."""
    response = http.post("/v1/images/generations", json={"prompt": "otter", "size": "256x256", "n": n})
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "type": "invalid_request_error", "param": "n", "code": None}


def test_generate_invalid_values_through_the_sdk_methods(client: openai.OpenAI) -> None:
    for kwargs, param in [
        ({"size": "640x480"}, "size"),
        ({"n": 0}, "n"),
        ({"n": 11}, "n"),
        ({"prompt": "p" * 1001}, "prompt"),
    ]:
        with pytest.raises(openai.BadRequestError) as caught:
            client.images.generate(**{"prompt": "otter", **kwargs})
        assert caught.value.body["param"] == param  # type: ignore[index]
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.generate(prompt="otter", size="640x480")  # type: ignore[arg-type]
    assert caught.value.body["message"] == (  # type: ignore[index]
        "'640x480' is not one of ['256x256', '512x512', '1024x1024'] - 'size'"
    )


def test_generate_prompt_of_1000_characters_is_accepted(client: openai.OpenAI) -> None:
    response = client.images.generate(prompt="y" * 1000, size="256x256", response_format="b64_json")
    assert decode(_b64_pngs(response)[0]).size == (256, 256)


def test_unknown_model_is_404_and_dall_e_2_is_accepted(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.images.generate(prompt="otter", model="dall-e-9")
    assert caught.value.body["code"] == "model_not_found"  # type: ignore[index]
    response = client.images.generate(prompt="otter", model="dall-e-2", size="256x256", response_format="b64_json")
    assert len(response.data) == 1


# Edits.


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_edit_repaints_only_the_transparent_area(client: openai.OpenAI, response_format: str) -> None:
    source = with_transparent_square(checkerboard(256), HOLE)
    response = client.images.edit(
        image=("otter.png", encode(source), "image/png"),
        prompt="A beret",
        n=2,
        size="256x256",
        response_format=response_format,  # type: ignore[arg-type]
    )
    pngs = _b64_pngs(response) if response_format == "b64_json" else [_fetch(i.url or "") for i in response.data]
    opaque = checkerboard(256)
    for png in pngs:
        image = decode(png).convert("RGB")
        assert image.size == (256, 256)
        outside = image.copy()
        outside.paste((0, 0, 0), HOLE)
        kept = opaque.copy()
        kept.paste((0, 0, 0), HOLE)
        assert _pixels_equal(outside, kept)
        assert not _pixels_equal(image.crop(HOLE), opaque.crop(HOLE))
    assert pngs[0] != pngs[1]


def test_edit_url_bytes_equal_the_b64_of_the_same_request(client: openai.OpenAI) -> None:
    image = encode(with_transparent_square(checkerboard(256), HOLE))
    request: dict[str, Any] = {"image": image, "prompt": "A beret", "size": "512x512"}
    urls = client.images.edit(**request)
    b64 = client.images.edit(**request, response_format="b64_json")
    pngs = _b64_pngs(b64)
    assert [_fetch(item.url or "") for item in urls.data] == pngs
    assert decode(pngs[0]).size == (512, 512)


def test_edit_with_mask_keeps_the_image_where_the_mask_is_opaque(client: openai.OpenAI) -> None:
    source = checkerboard(256)  # RGB: allowed because a mask is given
    mask = with_transparent_square(Image.new("RGB", (256, 256), "white"), HOLE)
    response = client.images.edit(
        image=encode(source), mask=encode(mask), prompt="A boat", size="256x256", response_format="b64_json"
    )
    image = decode(_b64_pngs(response)[0]).convert("RGB")
    assert _pixels_equal(image.crop((0, 0, 256, 64)), source.crop((0, 0, 256, 64)))
    assert not _pixels_equal(image.crop(HOLE), source.crop(HOLE))


def test_openai_028_style_parts_without_extension_are_recognised_by_bytes(http: httpx.Client) -> None:
    """openai 0.28 names the parts `image`/`mask` with no extension, as application/octet-stream."""
    source = encode(with_transparent_square(checkerboard(256), HOLE))
    files = {
        "image": ("image", source, "application/octet-stream"),
        "mask": ("mask", source, "application/octet-stream"),
    }
    data = {"prompt": "A beret", "n": "2", "size": "256x256", "response_format": "b64_json"}
    response = http.post("/v1/images/edits", files=files, data=data)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]) == 2
    variation = http.post(
        "/v1/images/variations",
        files={"image": ("image", source, "application/octet-stream")},
        data={"n": "1", "size": "256x256"},
    )
    assert variation.status_code == 200, variation.text
    assert decode(_fetch(variation.json()["data"][0]["url"])).size == (256, 256)


def test_palette_png_with_a_transparency_entry_is_edited_in_its_transparent_area(client: openai.OpenAI) -> None:
    source = palette_with_transparent_square(256, HOLE)
    response = client.images.edit(image=source, prompt="A beret", size="256x256", response_format="b64_json")
    image = decode(_b64_pngs(response)[0]).convert("RGB")
    original = decode(source).convert("RGB")
    outside, kept = image.copy(), original.copy()
    outside.paste((0, 0, 0), HOLE)
    kept.paste((0, 0, 0), HOLE)
    assert _pixels_equal(outside, kept)
    assert not _pixels_equal(image.crop(HOLE), original.crop(HOLE))


def test_greyscale_image_is_accepted_with_a_mask_that_has_alpha(client: openai.OpenAI) -> None:
    source = checkerboard(256).convert("L")
    mask = with_transparent_square(Image.new("RGB", (256, 256), "white"), HOLE)
    response = client.images.edit(
        image=encode(source), mask=encode(mask), prompt="A boat", size="256x256", response_format="b64_json"
    )
    image = decode(_b64_pngs(response)[0]).convert("RGB")
    assert _pixels_equal(image.crop((0, 0, 256, 64)), source.convert("RGB").crop((0, 0, 256, 64)))
    assert not _pixels_equal(image.crop(HOLE), source.convert("RGB").crop(HOLE))


def test_greyscale_image_with_transparent_pixels_needs_no_mask(client: openai.OpenAI) -> None:
    source = with_transparent_square(checkerboard(256), HOLE).convert("LA")
    response = client.images.edit(image=encode(source), prompt="A hat", size="256x256", response_format="b64_json")
    assert decode(_b64_pngs(response)[0]).size == (256, 256)


NO_ALPHA = (
    "Invalid input image - image must have transparency, which will be used as the mask; got L with no alpha channel."
)


@pytest.mark.parametrize(
    ("files", "param", "message"),
    [
        ({"image": encode(checkerboard(256).convert("L"))}, "image", NO_ALPHA),
        (
            {"image": encode(checkerboard(256, "RGBA"))},
            "image",
            "Invalid input image - image must have transparency, which will be used as the mask; "
            "got RGBA with no fully transparent pixel.",
        ),
        (
            {"image": encode(Image.new("P", (256, 256)))},
            "image",
            "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got P.",
        ),
        (
            {"image": encode(checkerboard(256)), "mask": encode(Image.new("L", (256, 256), 0))},
            "mask",
            "Invalid mask image - mask must have transparency, which marks the area to edit; "
            "got L with no alpha channel.",
        ),
        (
            {"image": encode(checkerboard(256)), "mask": encode(Image.new("RGBA", (256, 256), "white"))},
            "mask",
            "Invalid mask image - mask must have transparency, which marks the area to edit; "
            "got RGBA with no fully transparent pixel.",
        ),
        (
            {"image": encode(checkerboard(256)), "mask": encode(checkerboard(256))},
            "mask",
            "Invalid mask image - format must be in ['RGBA', 'LA', 'L'], got RGB.",
        ),
    ],
    ids=["L-without-mask", "opaque-RGBA-without-mask", "palette-without-tRNS", "L-mask", "opaque-mask", "RGB-mask"],
)
def test_an_edit_needs_something_transparent(
    client: openai.OpenAI, files: dict[str, bytes], param: str, message: str
) -> None:
    """Only fully transparent pixels are repainted: an edit with none would answer the input unchanged."""
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(prompt="A beret", size="256x256", **files)  # type: ignore[arg-type]
    assert caught.value.body == {"message": message, "type": "invalid_request_error", "param": param, "code": None}


# Variations.


@pytest.mark.parametrize("response_format", ["url", "b64_json"])
def test_variation_is_derived_from_the_input_and_differs_per_index(client: openai.OpenAI, response_format: str) -> None:
    source = encode(checkerboard(256))
    response = client.images.create_variation(
        image=("otter.png", source),
        n=3,
        size="512x512",
        response_format=response_format,  # type: ignore[arg-type]
    )
    pngs = _b64_pngs(response) if response_format == "b64_json" else [_fetch(i.url or "") for i in response.data]
    assert len(set(pngs)) == 3
    assert all(decode(png).size == (512, 512) for png in pngs)
    other = client.images.create_variation(
        image=encode(checkerboard(256, cell=32)), n=1, size="512x512", response_format="b64_json"
    )
    assert _b64_pngs(other)[0] != pngs[0]


@pytest.mark.parametrize("split", ["vertical", "horizontal"])
def test_variation_keeps_the_layout_of_its_input(client: openai.OpenAI, split: str) -> None:
    """Half red, half blue in: each variation is two flat halves split the same way (shifted around, perhaps
    mirrored), whose colours differ as red and blue do, up to the order of the channels."""
    response = client.images.create_variation(
        image=encode(halves(256, split)), n=4, size="256x256", response_format="b64_json"
    )
    for png in _b64_pngs(response):
        pixels = np.asarray(decode(png).convert("RGB"), dtype=np.int16)
        # The split line stays: along it the image is constant (every row alike for a vertical split).
        lines = pixels if split == "vertical" else pixels.transpose(1, 0, 2)
        assert (lines == lines[:1]).all()
        colours, counts = np.unique(lines[0], axis=0, return_counts=True)
        assert counts.tolist() == [128, 128]
        # 0.7 x (red - blue), its channels reordered: the tint added to both cancels out.
        difference = sorted(abs(int(d)) for d in colours[0] - colours[1])
        assert difference[0] <= 1 and all(abs(d - 0.7 * 255) <= 2 for d in difference[1:])


def test_variation_url_bytes_equal_the_b64_of_the_same_request(client: openai.OpenAI) -> None:
    source = encode(checkerboard(128))
    urls = client.images.create_variation(image=source, n=2, size="256x256")
    b64 = client.images.create_variation(image=source, n=2, size="256x256", response_format="b64_json")
    assert [_fetch(item.url or "") for item in urls.data] == _b64_pngs(b64)


# Upload validation.


def _uploads() -> dict[str, bytes]:
    transparent = encode(with_transparent_square(checkerboard(256), HOLE))
    return {
        "transparent": transparent,
        "jpeg": encode(checkerboard(256), "JPEG"),
        "non_square": encode(with_transparent_square(checkerboard(256), HOLE).crop((0, 0, 256, 200))),
        "over_4mb": padded_png(transparent, 4 * MiB + 1),
        "mask_other_size": encode(with_transparent_square(checkerboard(128), (0, 0, 64, 64))),
        "rgb": encode(checkerboard(256)),
        "corrupt": transparent[:100],
    }


UPLOADS = _uploads()


@pytest.mark.parametrize(
    ("files", "param", "message"),
    [
        ({"image": UPLOADS["jpeg"]}, "image", "Uploaded image must be a PNG and less than 4 MB."),
        ({"image": UPLOADS["non_square"]}, "image", "Invalid input image - image must be square, got 256x200."),
        ({"image": UPLOADS["over_4mb"]}, "image", "Uploaded image must be a PNG and less than 4 MB."),
        ({"image": UPLOADS["corrupt"]}, "image", "Invalid input image - the PNG could not be decoded."),
        (
            {"image": UPLOADS["transparent"], "mask": UPLOADS["mask_other_size"]},
            "mask",
            "Invalid mask image - mask and image must have the same dimensions, got 128x128 for the mask "
            "and 256x256 for the image.",
        ),
        ({"image": UPLOADS["transparent"], "mask": UPLOADS["jpeg"]}, "mask", None),
        (
            {"image": UPLOADS["rgb"]},
            "image",
            "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB.",
        ),
    ],
    ids=["jpeg", "non-square", "4MiB+1", "corrupt", "mask-size", "jpeg-mask", "rgb-without-mask"],
)
def test_edit_rejects_invalid_uploads(
    client: openai.OpenAI, files: dict[str, bytes], param: str, message: str | None
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.edit(prompt="A beret", size="256x256", **files)  # type: ignore[arg-type]
    error = caught.value.body
    assert isinstance(error, dict)
    assert error["param"] == param
    if message is not None:
        assert error["message"] == message


@pytest.mark.parametrize(
    ("name", "param"),
    [("jpeg", "image"), ("non_square", "image"), ("over_4mb", "image"), ("corrupt", "image")],
)
def test_variation_rejects_invalid_uploads(client: openai.OpenAI, name: str, param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(image=UPLOADS[name], size="256x256")
    assert caught.value.body["param"] == param  # type: ignore[index]


def test_variation_accepts_an_opaque_rgb_png(client: openai.OpenAI) -> None:
    response = client.images.create_variation(image=UPLOADS["rgb"], size="256x256", response_format="b64_json")
    assert decode(_b64_pngs(response)[0]).size == (256, 256)


@pytest.mark.parametrize(
    ("data", "files", "param"),
    [
        ({"prompt": "x"}, {}, "image"),
        ({"prompt": "x", "image": "not a file"}, {}, "image"),
        ({}, {"image": UPLOADS["transparent"]}, "prompt"),
        ({"prompt": "x" * 1001}, {"image": UPLOADS["transparent"]}, "prompt"),
        ({"prompt": "x", "n": "0"}, {"image": UPLOADS["transparent"]}, "n"),
        ({"prompt": "x", "n": "11"}, {"image": UPLOADS["transparent"]}, "n"),
        ({"prompt": "x", "size": "300x300"}, {"image": UPLOADS["transparent"]}, "size"),
        ({"prompt": "x", "response_format": "jpeg"}, {"image": UPLOADS["transparent"]}, "response_format"),
        ({"prompt": "x", "model": "whisper-1"}, {"image": UPLOADS["transparent"]}, "model"),
    ],
)
def test_edit_form_fields_are_validated(
    http: httpx.Client, data: dict[str, str], files: dict[str, bytes], param: str
) -> None:
    response = http.post("/v1/images/edits", data=data, files={k: ("f", v) for k, v in files.items()} or None)
    assert response.status_code == 400
    assert error_of(response)["param"] == param


@pytest.mark.parametrize(
    ("path", "files", "data", "param", "message"),
    [
        (
            "/v1/images/edits",
            {"image": UPLOADS["transparent"], "mask": UPLOADS["transparent"], "extra": b"x", "more": b"x"},
            {"prompt": "x"},
            None,
            "Too many files. Maximum number of files is 3.",
        ),
        (
            "/v1/images/variations",
            {"image": UPLOADS["transparent"], "mask": UPLOADS["transparent"], "extra": b"x"},
            {},
            None,
            "Too many files. Maximum number of files is 2.",
        ),
        (
            "/v1/images/variations",
            {"image": UPLOADS["transparent"], "mask": UPLOADS["transparent"]},
            {},
            "mask",
            "Unrecognized request argument supplied: mask",
        ),
        (
            "/v1/images/edits",
            {"image": UPLOADS["transparent"]},
            {"prompt": "x", **{f"field{i}": "x" for i in range(8)}},
            None,
            "Too many fields. Maximum number of fields is 8.",
        ),
        (
            "/v1/images/edits",
            {"image": UPLOADS["transparent"], "prompt": b"A beret"},
            {},
            "prompt",
            "'prompt' must be a plain form field, not a file.",
        ),
        (
            "/v1/images/variations",
            {"image": UPLOADS["transparent"], "size": b"256x256"},
            {},
            "size",
            "'size' must be a plain form field, not a file.",
        ),
    ],
    ids=[
        "4-files-on-edits",
        "3-files-on-variations",
        "mask-on-variations",
        "9-fields",
        "prompt-as-file",
        "size-as-file",
    ],
)
def test_multipart_parts_beyond_the_routes_fields_are_refused(
    http: httpx.Client, path: str, files: dict[str, bytes], data: dict[str, str], param: str | None, message: str
) -> None:
    response = http.post(path, files={k: (f"{k}.png", v) for k, v in files.items()}, data=data)
    assert response.status_code == 400
    assert error_of(response) == {"message": message, "type": "invalid_request_error", "param": param, "code": None}


@pytest.mark.parametrize("part", ["image", "mask"])
def test_an_oversized_upload_is_refused_from_its_size_without_being_read(
    mockapi: Mockapi, monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    """The multipart parser spools parts to disk and knows their size: a part over the limit is never
    read into memory, and nothing of the request is kept."""
    reads: list[int | None] = []
    real_read = UploadFile.read

    async def read(self: UploadFile, size: int = -1) -> bytes:
        reads.append(self.size)
        return await real_read(self, size)

    monkeypatch.setattr(UploadFile, "read", read)
    files = {"image": UPLOADS["transparent"], part: UPLOADS["over_4mb"]}
    response = httpx.post(
        mockapi.base_url + "/images/edits",
        headers={"Authorization": f"Bearer {mockapi.api_key}"},
        files={k: (f"{k}.png", v) for k, v in files.items()},
        data={"prompt": "A beret", "size": "256x256"},
        timeout=30,
    )
    assert response.status_code == 400
    assert error_of(response) == {
        "message": "Uploaded image must be a PNG and less than 4 MB.",
        "type": "invalid_request_error",
        "param": part,
        "code": None,
    }
    assert 4 * MiB + 1 not in reads
    assert len(mockapi.state.images) == 0


def test_served_image_answers_head_like_get(client: openai.OpenAI) -> None:
    url = client.images.generate(prompt="otter", size="256x256").data[0].url or ""
    head = httpx.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == "image/png"
    assert int(head.headers["content-length"]) == len(_fetch(url))


def test_unknown_or_misnamed_image_file_is_404_without_auth(server: ServerProcess) -> None:
    for path in ("/v1/images/files/img-doesnotexist.png", "/v1/images/files/img-doesnotexist"):
        response = httpx.get(server.url + path)
        assert response.status_code == 404
        error = error_of(response)
        assert error["type"] == "invalid_request_error"
        assert "does not exist" in str(error["message"])


# The served-image cache: bounded and expiring.


@asynccontextmanager
async def in_process(**settings: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The app in this process (its state readable), over httpx's ASGI transport."""
    app = create_app(Settings(**settings))
    headers = {"Authorization": f"Bearer {API_KEY}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock.test", headers=headers) as http:
        yield app, http


def _store(app: FastAPI) -> ImageStore:
    store: ImageStore = app.state.mockapi.images
    return store


async def _generate_urls(http: httpx.AsyncClient, prompt: str, n: int = 1) -> list[str]:
    response = await http.post("/v1/images/generations", json={"prompt": prompt, "n": n, "size": "256x256"})
    assert response.status_code == 200, response.text
    return [item["url"] for item in response.json()["data"]]


async def test_url_cache_is_bounded_by_count_and_evicts_the_oldest() -> None:
    async with in_process(image_cache_size=5) as (app, http):
        urls: list[str] = []
        for number in range(12):
            urls += await _generate_urls(http, f"picture {number}", n=2)
            assert len(_store(app)) <= 5
        assert len(_store(app)) == 5
        statuses = [(await http.get(url)).status_code for url in urls]
        assert statuses == [404] * 19 + [200] * 5
        gone = await http.get(urls[0])
        assert error_of(gone)["message"].startswith("The image 'img-")  # type: ignore[union-attr]


async def test_url_cache_is_bounded_by_bytes() -> None:
    budget = 200_000
    async with in_process(image_cache_bytes=budget) as (app, http):
        urls = [url for number in range(20) for url in await _generate_urls(http, f"picture {number}")]
        store = _store(app)
        assert 0 < store.total_bytes <= budget
        assert len(store) < 20
        assert (await http.get(urls[-1])).status_code == 200
        assert (await http.get(urls[0])).status_code == 404


async def test_url_expires_after_its_ttl() -> None:
    async with in_process(image_url_ttl_seconds=0.3) as (app, http):
        (url,) = await _generate_urls(http, "short-lived")
        assert (await http.get(url)).status_code == 200
        await asyncio.sleep(0.5)
        response = await http.get(url)
        assert response.status_code == 404
        assert len(_store(app)) == 0


async def test_rejected_requests_keep_nothing_and_reset_clears_the_cache() -> None:
    async with in_process() as (app, http):
        for files in ({"image": UPLOADS["rgb"]}, {"image": UPLOADS["transparent"], "mask": UPLOADS["jpeg"]}):
            response = await http.post(
                "/v1/images/edits",
                data={"prompt": "x", "size": "256x256"},
                files={k: ("f", v) for k, v in files.items()},
            )
            assert response.status_code == 400
        assert len(_store(app)) == 0
        await _generate_urls(http, "kept", n=3)
        assert len(_store(app)) == 3
        app.state.mockapi.reset()
        assert len(_store(app)) == 0


def test_ttl_flag_reaches_the_server(start_server: Callable[..., ServerProcess]) -> None:
    process = start_server("--image-url-ttl-seconds", "0.5", "--image-cache-size", "2")
    with httpx.Client(base_url=process.url, headers={"Authorization": f"Bearer {API_KEY}"}) as http:
        urls = [
            http.post("/v1/images/generations", json={"prompt": str(i), "size": "256x256"}).json()["data"][0]["url"]
            for i in range(3)
        ]
        assert [httpx.get(url).status_code for url in urls] == [404, 200, 200]
        time.sleep(0.7)
        assert [httpx.get(url).status_code for url in urls] == [404, 404, 404]


@pytest.mark.parametrize("with_data_dir", [False, True], ids=["shared-temp-dir", "data-dir"])
def test_workers_serve_every_url_any_of_them_made(
    start_server: Callable[..., ServerProcess], tmp_path: Path, with_data_dir: bool
) -> None:
    data_dir = ["--data-dir", str(tmp_path / "data")] if with_data_dir else []
    process = start_server("--workers", "2", "--image-cache-size", "12", *data_dir)
    headers = {"Authorization": f"Bearer {API_KEY}", "Connection": "close"}  # spread over the workers
    with httpx.Client(base_url=process.url, headers=headers, timeout=30) as http:

        def generate(number: int) -> tuple[str, bytes]:
            request = {"prompt": f"picture {number}", "size": "256x256"}
            url = http.post("/v1/images/generations", json=request).json()["data"][0]["url"]
            b64 = http.post("/v1/images/generations", json={**request, "response_format": "b64_json"}).json()
            return url, base64.b64decode(b64["data"][0]["b64_json"])

        made = dict(generate(number) for number in range(10))
        for url, png in made.items():
            for _ in range(3):
                assert _fetch(url) == png
        # The cache's bounds hold for the workers together: the oldest go first, whoever made them.
        more = dict(generate(number) for number in range(10, 14))
    urls = list(made)
    assert [httpx.get(url).status_code for url in urls] == [404, 404] + [200] * 8
    assert all(_fetch(url) == png for url, png in more.items())
    if with_data_dir:
        assert len(list((tmp_path / "data" / "images").glob("img-*.png"))) == 12


async def test_fixture_rules_see_the_prompt_and_filename(tmp_path: Path) -> None:
    rules = [
        {"match": {"endpoint": "images.generations", "contains": "otter"}, "respond": {"content": "By a rule"}},
        {"match": {"endpoint": "images.variations", "text": "broken.png"}, "respond": {"error": "server_error"}},
        {"match": {"endpoint": "images.edits", "body": {"size": "512x512"}}, "respond": {"body": {"data": []}}},
    ]
    (tmp_path / "images.yaml").write_text(yaml.safe_dump(rules))

    async def b64(http: httpx.AsyncClient, prompt: str) -> str:
        body = {"prompt": prompt, "size": "256x256", "response_format": "b64_json"}
        response = await http.post("/v1/images/generations", json=body)
        return str(response.json()["data"][0]["b64_json"])

    async with in_process(fixtures=(tmp_path,)) as (_, ruled), in_process() as (_, plain):
        assert await b64(ruled, "an otter") != await b64(plain, "an otter")
        assert await b64(ruled, "a beaver") == await b64(plain, "a beaver")
        image = {"image": ("broken.png", UPLOADS["rgb"])}
        assert (await ruled.post("/v1/images/variations", files=image)).status_code == 500
        renamed = {"image": ("fine.png", UPLOADS["rgb"])}
        fine = await ruled.post("/v1/images/variations", files=renamed, data={"size": "256x256"})
        assert fine.status_code == 200
        edit = await ruled.post(
            "/v1/images/edits",
            files={"image": ("a.png", UPLOADS["transparent"])},
            data={"prompt": "x", "size": "512x512"},
        )
        assert edit.json() == {"data": []}


def test_an_edit_rule_matches_the_uploaded_filename_and_the_prompt_in_the_body(mockapi: Mockapi) -> None:
    mockapi.add_rule(match={"endpoint": "images.edits", "text": "pic.png"}, respond={"body": {"data": ["by name"]}})
    mockapi.add_rule(
        match={"endpoint": "images.edits", "body": {"prompt": "A red beret"}}, respond={"body": {"data": ["by body"]}}
    )
    client = mockapi.openai_client()

    def edit(filename: str, prompt: str) -> Any:
        response = client.images.with_raw_response.edit(
            image=(filename, UPLOADS["transparent"], "image/png"), prompt=prompt, size="256x256"
        )
        return response.http_response.json()

    assert edit("pic.png", "anything") == {"data": ["by name"]}
    assert edit("other.png", "A red beret") == {"data": ["by body"]}
    # A prompt spelling the filename is not the filename.
    generated = edit("other.png", "pic.png")
    assert len(generated["data"]) == 1 and set(generated["data"][0]) == {"url"}
    assert mockapi.requests.last_request.body["prompt"] == "pic.png"


def test_legacy_sdk_generates_edits_and_varies(server: ServerProcess) -> None:
    """openai 0.28 uploads `image`/`mask` without extension as application/octet-stream."""
    source = base64.b64encode(UPLOADS["transparent"]).decode()
    rgb = base64.b64encode(UPLOADS["rgb"]).decode()
    result = run_legacy(
        server.base_url,
        API_KEY,
        f"""
        import base64
        png = base64.b64decode("{source}")
        rgb = base64.b64decode("{rgb}")
        out = {{}}
        generated = openai.Image.create(prompt="otter", n=2, size="256x256")
        out["urls"] = [item["url"] for item in generated["data"]]
        edited = openai.Image.create_edit(
            image=png, mask=png, prompt="hat", size="256x256", response_format="b64_json"
        )
        out["edit"] = edited["data"][0]["b64_json"]
        varied = openai.Image.create_variation(image=png, n=3, size="256x256", response_format="b64_json")
        out["variations"] = [item["b64_json"] for item in varied["data"]]
        try:
            openai.Image.create_edit(image=rgb, prompt="hat")
        except openai.error.InvalidRequestError as exc:
            out["error"] = [exc.http_status, exc.param, str(exc)]
        emit(out)
        """,
    )
    assert len(result["urls"]) == 2
    assert all(decode(_fetch(url)).size == (256, 256) for url in result["urls"])
    assert decode(base64.b64decode(result["edit"])).size == (256, 256)
    assert len(set(result["variations"])) == 3
    assert result["error"] == [400, "image", "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."]
