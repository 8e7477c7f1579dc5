"""Today's image models: dall-e-3's sizes, styles and revised prompts; the GPT image models' formats,
transparent backgrounds, usage, multi-image edits and partial images. Every output decoded with Pillow."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageFilter

from mockapi.generators import image_models as models
from mockapi.generators import images as generate
from tests.images_support import checkerboard, with_transparent_square

PROMPT = "A cute baby sea otter floating on its back"
PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


def _open(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _same(a: Image.Image, b: Image.Image) -> bool:
    return a.mode == b.mode and ImageChops.difference(a, b).getbbox() is None


def _saturation(image: Image.Image) -> float:
    return float(np.asarray(image.convert("HSV"))[..., 1].mean())


def _edges(image: Image.Image) -> float:
    return float(np.asarray(image.convert("L").filter(ImageFilter.FIND_EDGES)).astype(np.float64).mean())


def _repeats(image: Image.Image) -> tuple[float, float]:
    """The shares of rows and of columns equal to the one before, above the caption."""
    pixels = np.asarray(image)[: image.height * 3 // 5]
    rows = (pixels[1:] == pixels[:-1]).all(axis=(1, 2)).mean()
    columns = (pixels[:, 1:] == pixels[:, :-1]).all(axis=(0, 2)).mean()
    return float(rows), float(columns)


# dall-e-3.


@pytest.mark.parametrize("size", models.DALL_E_3_SIZES)
def test_dall_e_3_paints_a_png_of_each_of_its_sizes(size: str) -> None:
    dimensions = generate.parse_size(size)
    image = _open(generate.encode(generate.paint(PROMPT, dimensions, random.Random(1), style="vivid"), "png"))
    assert (image.format, image.size, image.mode) == ("PNG", dimensions, "RGB")


def test_vivid_is_more_saturated_than_natural_and_both_are_deterministic() -> None:
    for seed in range(5):
        vivid = generate.paint(PROMPT, (512, 512), random.Random(seed), style="vivid")
        natural = generate.paint(PROMPT, (512, 512), random.Random(seed), style="natural")
        assert _saturation(vivid) > _saturation(natural) + 60
        assert _same(vivid, generate.paint(PROMPT, (512, 512), random.Random(seed), style="vivid"))


def test_quality_changes_the_detail_painted() -> None:
    for seed in range(5):
        low, standard, high = (
            generate.paint(PROMPT, (512, 512), random.Random(seed), detail=level)
            for level in (generate.LOW_DETAIL, generate.STANDARD_DETAIL, generate.HIGH_DETAIL)
        )
        assert _edges(high) > _edges(standard)
        assert min(_repeats(low)) > 0.75  # coarse pixels: most rows and columns repeat the one before
        assert min(_repeats(standard)) < 0.5
    assert models.detail("hd") == models.detail("high") == generate.HIGH_DETAIL
    assert models.detail("standard") == models.detail("medium") == generate.STANDARD_DETAIL
    assert models.detail("low") == generate.LOW_DETAIL


def test_the_revised_prompt_restates_the_prompt_at_length() -> None:
    revised = models.revised_prompt("A cute baby sea otter.", "vivid", random.Random(3))
    assert "of a cute baby sea otter, " in revised
    assert len(revised.split()) > 4 * len(PROMPT.split())
    assert revised == models.revised_prompt("A cute baby sea otter.", "vivid", random.Random(3))
    assert revised != models.revised_prompt("A cute baby sea otter.", "vivid", random.Random(4))
    natural = models.revised_prompt("A cute baby sea otter.", "natural", random.Random(3))
    assert "natural" in natural.lower() or "realistic" in natural.lower() or "true-to-life" in natural.lower()
    assert "bold" in revised or "vivid" in revised or "vibrant" in revised or "dramatic" in revised
    assert "of an untitled scene" in models.revised_prompt("  ", None, random.Random(0))


def test_auto_quality_is_the_models_own() -> None:
    assert models.resolve_quality("dall-e-3", "auto") == models.resolve_quality("dall-e-3", None) == "standard"
    assert models.resolve_quality("gpt-image-1", "auto") == "high"
    assert models.resolve_quality("gpt-image-1-mini", "low") == "low"


# The GPT image models.


@pytest.mark.parametrize("size", ["1024x1024", "1536x1024", "1024x1536"])
@pytest.mark.parametrize("output_format", ["png", "jpeg", "webp"])
def test_each_output_format_decodes_as_itself_at_the_size(size: str, output_format: generate.OutputFormat) -> None:
    dimensions = generate.parse_size(size)
    data = generate.encode(generate.paint(PROMPT, dimensions, random.Random(2)), output_format, 80)
    image = _open(data)
    assert image.format == PIL_FORMATS[output_format]
    assert image.size == dimensions


def test_output_compression_is_honoured_for_jpeg_and_webp_only() -> None:
    painting = generate.paint(PROMPT, (1024, 1024), random.Random(5), detail=generate.HIGH_DETAIL)
    for output_format in ("jpeg", "webp"):
        sizes = [len(generate.encode(painting, output_format, level)) for level in (10, 50, 100)]
        assert sizes[0] < sizes[1] < sizes[2]
    assert generate.encode(painting, "png", 10) == generate.encode(painting, "png", 100)


@pytest.mark.parametrize("output_format", ["png", "webp"])
def test_a_transparent_background_has_transparent_pixels(output_format: generate.OutputFormat) -> None:
    painting = generate.paint(PROMPT, (1024, 1024), random.Random(6), transparent=True)
    image = _open(generate.encode(painting, output_format))
    assert image.mode == "RGBA"
    alpha = np.asarray(image.getchannel("A"))
    assert (alpha == 0).mean() > 0.2  # the background
    assert (alpha == 255).mean() > 0.1  # the shapes and the caption


def test_an_opaque_background_has_no_alpha_and_jpeg_refuses_transparency() -> None:
    for output_format in ("png", "jpeg", "webp"):
        image = _open(generate.encode(generate.paint(PROMPT, (1024, 1024), random.Random(6)), output_format))
        assert image.mode == "RGB"
    assert models.transparent_jpeg_error("transparent", "jpeg") == models.TRANSPARENT_JPEG_MESSAGE
    assert models.transparent_jpeg_error("transparent", "png") is None
    assert models.transparent_jpeg_error("auto", "jpeg") is None


def test_auto_background_follows_the_prompt_and_the_format() -> None:
    assert models.resolve_background("auto", "A sticker of a fox", "png") == "transparent"
    assert models.resolve_background(None, "A fox on a transparent background", "webp") == "transparent"
    assert models.resolve_background("auto", "A sticker of a fox", "jpeg") == "opaque"
    assert models.resolve_background("auto", "A fox in a forest", "png") == "opaque"
    assert models.resolve_background("opaque", "A sticker of a fox", "png") == "opaque"
    assert models.resolve_background("transparent", "A fox", "png") == "transparent"


def test_auto_size_follows_the_input_image_or_the_prompt() -> None:
    assert models.resolve_size("auto", "A wide panorama of the Alps") == "1536x1024"
    assert models.resolve_size("auto", "A portrait of a cat") == "1024x1536"
    assert models.resolve_size("auto", "A cat") == "1024x1024"
    assert models.resolve_size("auto", "A wide panorama", (600, 1000)) == "1024x1536"
    assert models.resolve_size("auto", "A cat", (1600, 900)) == "1536x1024"
    assert models.resolve_size("1024x1536", "A wide panorama") == "1024x1536"


def test_usage_follows_the_published_table() -> None:
    usage = models.usage("A cute baby sea otter", "1024x1024", "medium")
    assert usage == {
        "total_tokens": 1062,
        "input_tokens": 6,
        "output_tokens": 1056,
        "input_tokens_details": {"text_tokens": 6, "image_tokens": 0},
    }
    expected = {("low", "1024x1536"): 408, ("high", "1536x1024"): 6208, ("high", "1024x1024"): 4160}
    for (quality, size), tokens in expected.items():
        assert models.usage("x", size, quality)["output_tokens"] == tokens
    assert models.usage("x", "1024x1024", "low", n=3)["output_tokens"] == 3 * 272
    assert models.usage("x", "1024x1024", "low", partial_images=2)["output_tokens"] == 272 + 200


def test_input_images_count_as_vision_tiles() -> None:
    assert models.image_input_tokens(512, 512) == 85 + 170
    assert models.image_input_tokens(1024, 1024) == 85 + 4 * 170
    assert models.image_input_tokens(4096, 2048) == 85 + 6 * 170
    usage = models.usage("x", "1024x1024", "low", input_images=[(1024, 1024), (512, 512)])
    assert usage["input_tokens_details"] == {"text_tokens": 1, "image_tokens": 765 + 255}
    assert usage["input_tokens"] == 1021
    assert usage["total_tokens"] == 1021 + 272


# Edits with several images and a mask.


def test_an_edit_composes_every_input_and_repaints_only_the_masked_area() -> None:
    first = checkerboard(512)
    green, blue = Image.new("RGB", (300, 200), (0, 200, 0)), Image.new("RGB", (200, 300), (0, 0, 220))
    hole = (128, 512, 896, 960)  # in output pixels; the mask is at the first image's 512 pixels
    mask = with_transparent_square(Image.new("RGB", (512, 512), "white"), (64, 256, 448, 480))
    result = generate.compose([first, green, blue], mask, "a boat", (1024, 1024), random.Random(2))
    assert result.size == (1024, 1024) and result.mode == "RGB"
    pixels = np.asarray(result)
    inset_green, inset_blue = pixels[128, 128], pixels[128, 128 + 256 + 16]
    assert tuple(inset_green) == (0, 200, 0)
    assert tuple(inset_blue) == (0, 0, 220)
    kept = first.resize((1024, 1024), Image.Resampling.BICUBIC)
    below_insets = (0, 300, 1024, 500)
    assert _same(result.crop(below_insets), kept.crop(below_insets))
    assert not _same(result.crop(hole), kept.crop(hole))
    assert _same(result, generate.compose([first, green, blue], mask, "a boat", (1024, 1024), random.Random(2)))


def test_an_edit_without_a_mask_blends_the_inputs_with_the_painting() -> None:
    first = checkerboard(512)
    result = generate.compose([first], None, "a boat", (1024, 1024), random.Random(2))
    painting = generate.paint("a boat", (1024, 1024), random.Random(2))
    kept = first.resize((1024, 1024), Image.Resampling.BICUBIC)
    assert not _same(result, painting) and not _same(result, kept)
    mixed = np.asarray(result, dtype=np.float64)
    halfway = (np.asarray(painting, dtype=np.float64) + np.asarray(kept, dtype=np.float64)) / 2
    assert np.abs(mixed - halfway).mean() < 2


def test_a_transparent_edit_keeps_an_alpha_channel() -> None:
    result = generate.compose([checkerboard(256)], None, "a boat", (1024, 1024), random.Random(2), transparent=True)
    assert result.mode == "RGBA"
    image = _open(generate.encode(result, "webp"))
    assert image.mode == "RGBA"
    assert (np.asarray(image.getchannel("A")) == 0).any()


# Partial images.


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_partial_images_grow_more_complete_and_the_last_frame_is_the_final(count: int) -> None:
    final = generate.paint(PROMPT, (1024, 1024), random.Random(8), detail=generate.HIGH_DETAIL)
    frames = generate.progression(final, count)
    assert len(frames) == count + 1
    assert frames[-1] is final
    partial = frames[:-1]
    assert all(frame.size == final.size and frame.mode == final.mode for frame in partial)
    assert len({frame.tobytes() for frame in frames}) == len(frames)
    distances = [np.abs(np.asarray(frame, np.float64) - np.asarray(final, np.float64)).mean() for frame in partial]
    assert distances == sorted(distances, reverse=True)
    assert all(distance > 0.5 for distance in distances)


def test_partial_images_of_a_transparent_image_keep_its_alpha() -> None:
    final = generate.paint(PROMPT, (512, 512), random.Random(8), transparent=True)
    for frame in generate.partials(final, 2):
        assert frame.mode == "RGBA"
        assert (np.asarray(frame.getchannel("A")) == 0).mean() > 0.1


def test_stream_events_carry_the_specs_fields() -> None:
    settings = {"created_at": 1_700_000_000, "size": "1024x1024", "quality": "high", "background": "opaque"}
    partial = models.partial_image_event("image_generation", "QUJD", 1, output_format="png", **settings)
    assert partial == {"type": "image_generation.partial_image", "b64_json": "QUJD", "partial_image_index": 1,
                       "output_format": "png", **settings}  # fmt: skip
    usage = models.usage("x", "1024x1024", "high", partial_images=1)
    done = models.completed_event("image_edit", "QUJD", output_format="webp", usage=usage, **settings)
    assert done["type"] == "image_edit.completed"
    assert set(done) == {"type", "b64_json", "created_at", "size", "quality", "background", "output_format", "usage"}
    assert done["usage"]["output_tokens"] == 4160 + 100
