"""The pure image generators: sizes, determinism, per-index difference, edits and variations."""

from __future__ import annotations

import random

import pytest
from PIL import Image, ImageChops

from mockapi.generators import images as generate
from tests.images_support import checkerboard, decode, with_transparent_square

SIZE = (256, 256)
HOLE = (32, 32, 160, 96)


def _same(a: Image.Image, b: Image.Image) -> bool:
    return ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None


@pytest.mark.parametrize("size", ["256x256", "512x512", "1024x1024"])
def test_paint_encodes_a_png_of_the_size(size: str) -> None:
    dimensions = generate.parse_size(size)
    png = generate.encode_png(generate.paint("A cute baby sea otter", dimensions, random.Random(1)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert decode(png).size == dimensions


def test_paint_is_deterministic_for_its_generator() -> None:
    first = generate.encode_png(generate.paint("otter", SIZE, random.Random(7)))
    again = generate.encode_png(generate.paint("otter", SIZE, random.Random(7)))
    assert first == again


def test_paint_differs_per_generator_and_per_caption() -> None:
    images = [generate.paint("otter", SIZE, random.Random(seed)) for seed in range(10)]
    assert len({image.tobytes() for image in images}) == 10
    assert not _same(generate.paint("otter", SIZE, random.Random(3)), generate.paint("beaver", SIZE, random.Random(3)))


def test_paint_handles_long_and_empty_captions() -> None:
    long = generate.paint("word " * 400, SIZE, random.Random(0))
    empty = generate.paint("", SIZE, random.Random(0))
    assert long.size == empty.size == SIZE
    assert not _same(long, empty)


def test_edit_changes_only_fully_transparent_pixels() -> None:
    opaque = checkerboard(256)
    source = with_transparent_square(opaque, HOLE)
    result = generate.edit(source, None, "a hat", SIZE, random.Random(0))
    assert result.size == SIZE
    outside, kept = result.copy(), opaque.copy()
    outside.paste((0, 0, 0), HOLE)
    kept.paste((0, 0, 0), HOLE)
    assert _same(outside, kept)
    assert not _same(result.crop(HOLE), opaque.crop(HOLE))


def test_edit_follows_the_mask_not_the_image_when_given() -> None:
    source = checkerboard(256)
    mask = with_transparent_square(Image.new("RGB", SIZE, "white"), HOLE)
    result = generate.edit(source, mask, "a boat", SIZE, random.Random(0))
    assert _same(result.crop((0, 128, 256, 256)), source.crop((0, 128, 256, 256)))
    assert not _same(result.crop(HOLE), source.crop(HOLE))
    unmasked = generate.edit(source, Image.new("RGBA", SIZE, "white"), "a boat", SIZE, random.Random(0))
    assert _same(unmasked, source)


def test_edit_resizes_to_the_requested_size() -> None:
    source = with_transparent_square(checkerboard(128), (0, 0, 64, 64))
    assert generate.edit(source, None, "x", (512, 512), random.Random(0)).size == (512, 512)


def test_variation_depends_on_input_and_generator() -> None:
    source = checkerboard(256)
    first = generate.vary(source, SIZE, random.Random(1))
    assert _same(first, generate.vary(source, SIZE, random.Random(1)))
    assert not _same(first, source)
    variations = [generate.vary(source, SIZE, random.Random(seed)).tobytes() for seed in range(10)]
    assert len(set(variations)) == 10
    # Same generator, other input: the output follows the input.
    assert not _same(first, generate.vary(checkerboard(256, cell=32), SIZE, random.Random(1)))


def test_variation_keeps_the_input_structure() -> None:
    """A two-colour input stays two-coloured: derived from it, not a new painting."""
    variation = generate.vary(checkerboard(256), SIZE, random.Random(5))
    colours = variation.getcolors(maxcolors=64)
    assert colours is not None and len(colours) == 2
    assert generate.vary(checkerboard(256), (512, 512), random.Random(5)).size == (512, 512)
