"""Upload checks of the images schemas: PNG by bytes, the 4 MiB limit, squareness, masks."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from mockapi.errors import OpenAIError
from mockapi.routing import parse
from mockapi.schemas.images import (
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    Upload,
    read_png,
)
from tests.images_support import (
    MiB,
    checkerboard,
    encode,
    padded_png,
    palette_with_transparent_square,
    with_transparent_square,
)

TRANSPARENT = encode(with_transparent_square(checkerboard(64), (0, 0, 32, 32)))


def test_png_is_recognised_by_bytes_whatever_its_name() -> None:
    png = read_png(Upload("image", TRANSPARENT))
    assert (png.filename, png.size, png.image.size, png.image.mode) == ("image", len(TRANSPARENT), (64, 64), "RGBA")
    assert png.describe() == {"filename": "image", "size": len(TRANSPARENT), "sha256": png.sha256}
    with pytest.raises(ValueError, match="must be a PNG"):
        read_png(Upload("picture.png", encode(checkerboard(64), "JPEG")))


def test_limit_is_just_under_4_mib() -> None:
    assert read_png(Upload(None, padded_png(TRANSPARENT, 4 * MiB - 1))).image.size == (64, 64)
    for total in (4 * MiB, 4 * MiB + 1):
        with pytest.raises(ValueError, match="less than 4 MB"):
            read_png(Upload(None, padded_png(TRANSPARENT, total)))


def test_oversized_dimensions_are_refused_before_decoding() -> None:
    """A header claiming 100000x100000 pixels (a decompression bomb) is refused from the header alone."""
    small = encode(Image.new("L", (8, 8)))
    header = b"IHDR" + struct.pack(">II", 100_000, 100_000) + small[24:29]
    bomb = small[:12] + header + struct.pack(">I", zlib.crc32(header)) + small[33:]
    with pytest.raises(ValueError, match="at most 4096x4096 pixels, got 100000x100000"):
        read_png(Upload(None, bomb))
    assert read_png(Upload(None, encode(Image.new("L", (4096, 4096))))).image.size == (4096, 4096)


def test_nulls_take_the_defaults() -> None:
    body = parse(CreateImageRequest, {"prompt": "otter", "n": None, "size": None, "response_format": None})
    assert body.options() == {"model": "dall-e-2", "n": 1, "size": "1024x1024", "response_format": "url"}


def test_edit_and_variation_describe_their_files() -> None:
    edit = parse(CreateImageEditRequest, {"prompt": "x", "image": Upload("a.png", TRANSPARENT), "n": "2"})
    assert edit.n == 2
    assert edit.exchange_body()["image"]["sha256"] == edit.image.sha256
    assert "mask" not in edit.exchange_body()
    variation = parse(CreateImageVariationRequest, {"image": Upload("a.png", encode(checkerboard(64)))})
    assert variation.exchange_body()["image"]["filename"] == "a.png"


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"image": Upload(None, encode(checkerboard(64)))}, "image"),
        ({"image": Upload(None, TRANSPARENT), "mask": Upload(None, encode(checkerboard(64)))}, "mask"),
        ({"image": Upload(None, TRANSPARENT), "mask": Upload(None, b"GIF89a")}, "mask"),
    ],
)
def test_edit_transparency_and_mask_rules(fields: dict[str, Upload], param: str) -> None:
    with pytest.raises(OpenAIError) as caught:
        parse(CreateImageEditRequest, {"prompt": "x", **fields})
    assert (caught.value.status, caught.value.param) == (400, param)


def test_a_transparency_entry_becomes_an_alpha_band() -> None:
    """Palette, greyscale and RGB PNGs may carry transparency in a tRNS chunk rather than an alpha channel."""
    palette = read_png(Upload(None, palette_with_transparent_square(64, (0, 0, 32, 32))))
    assert palette.image.mode == "RGBA" and palette.image.getchannel("A").getextrema() == (0, 255)
    greyscale = io.BytesIO()
    Image.new("L", (8, 8), 0).save(greyscale, "PNG", transparency=0)
    assert read_png(Upload(None, greyscale.getvalue())).image.mode == "RGBA"
    assert read_png(Upload(None, encode(Image.new("L", (8, 8))))).image.mode == "L"


@pytest.mark.parametrize(
    ("image", "mask", "param"),
    [
        (Image.new("L", (8, 8)), None, "image"),
        (Image.new("RGBA", (8, 8), "white"), None, "image"),
        (Image.new("RGB", (8, 8)), Image.new("L", (8, 8)), "mask"),
        (Image.new("RGB", (8, 8)), Image.new("LA", (8, 8), (0, 255)), "mask"),
    ],
    ids=["L", "opaque-RGBA", "L-mask", "opaque-LA-mask"],
)
def test_nothing_transparent_nothing_to_edit(image: Image.Image, mask: Image.Image | None, param: str) -> None:
    fields = {"image": Upload(None, encode(image))}
    if mask is not None:
        fields["mask"] = Upload(None, encode(mask))
    with pytest.raises(OpenAIError) as caught:
        parse(CreateImageEditRequest, {"prompt": "x", **fields})
    assert (caught.value.status, caught.value.param) == (400, param)
    assert "must have transparency" in caught.value.message


def test_n_is_strict_in_json_and_read_from_digits_in_forms() -> None:
    for n in (True, "2", 1.0):
        with pytest.raises(OpenAIError) as caught:
            parse(CreateImageRequest, {"prompt": "otter", "n": n})
        assert caught.value.param == "n" and "is not of type 'integer'" in caught.value.message
    assert parse(CreateImageVariationRequest, {"image": Upload(None, TRANSPARENT), "n": "3"}).n == 3
    with pytest.raises(OpenAIError) as caught:
        parse(CreateImageVariationRequest, {"image": Upload(None, TRANSPARENT), "n": "2.5"})
    assert caught.value.message == "'2.5' is not of type 'integer' - 'n'"


# Today's models: what the catalogue entry of the model asked for accepts (the routes give the catalogue).


@pytest.fixture(scope="module")
def context() -> dict[str, object]:
    from mockapi.catalogue import Catalogue
    from mockapi.seeding import Seeding
    from mockapi.settings import builtin_fixtures_dir

    return {"catalogue": Catalogue.load([builtin_fixtures_dir()], Seeding(0))}


def test_without_a_catalogue_every_model_is_checked_as_dall_e_2() -> None:
    with pytest.raises(OpenAIError) as caught:
        parse(CreateImageRequest, {"prompt": "otter", "model": "dall-e-3", "size": "1792x1024"})
    assert caught.value.message == "'1792x1024' is not one of ['256x256', '512x512', '1024x1024'] - 'size'"


def test_each_kind_of_model_words_its_refusals(context: dict[str, object]) -> None:
    def refusal(fields: dict[str, object]) -> tuple[str | None, str, str | None]:
        with pytest.raises(OpenAIError) as caught:
            parse(CreateImageRequest, {"prompt": "otter", **fields}, context)
        return caught.value.param, caught.value.message, caught.value.code

    assert refusal({"quality": "hd"}) == ("quality", "Unrecognized request argument supplied: quality", None)
    assert refusal({"model": "dall-e-3", "size": "256x256"}) == (
        "size",
        "The size is not supported by this model.",
        "invalid_size",
    )
    assert refusal({"model": "dall-e-3", "style": "loud"})[1] == "'loud' is not one of ['vivid', 'natural'] - 'style'"
    assert refusal({"model": "gpt-image-1", "quality": "hd"})[2] == "invalid_value"
    assert refusal({"model": "gpt-image-1", "response_format": "b64_json"})[2] == "unknown_parameter"
    assert refusal({"model": "gpt-image-1-mini", "stream": "yes"})[1] == "'yes' is not of type 'boolean' - 'stream'"


def test_nulls_of_todays_options_are_their_defaults_for_todays_models(context: dict[str, object]) -> None:
    body = parse(
        CreateImageRequest,
        {"prompt": "otter", "model": "gpt-image-1", "quality": None, "background": None, "output_format": None},
        context,
    )
    assert body.quality is None and body.today() == {}
    with pytest.raises(OpenAIError, match="Unrecognized request argument supplied: background"):
        parse(CreateImageRequest, {"prompt": "otter", "background": None}, context)


def test_a_gpt_image_edit_takes_several_images_of_three_formats(context: dict[str, object]) -> None:
    images = [
        Upload("a.png", encode(checkerboard(64))),
        Upload("b.jpg", encode(checkerboard(48).convert("RGB"), "JPEG")),
        Upload("c.webp", encode(checkerboard(32), "WEBP")),
    ]
    body = parse(CreateImageEditRequest, {"prompt": "x", "model": "gpt-image-1", "image": images}, context)
    assert [image.media_type for image in body.images] == ["image/png", "image/jpeg", "image/webp"]
    assert [image.image.size for image in body.images] == [(64, 64), (48, 48), (32, 32)]
    assert [item["filename"] for item in body.exchange_body()["image"]] == ["a.png", "b.jpg", "c.webp"]
