"""Pure image generators: real PNGs, cheap to make, deterministic for their inputs and generator.

- `paint`: a seeded gradient with a few shapes and the caption (the prompt) written on it.
- `edit`: the input image with only its masked (fully transparent) pixels repainted.
- `vary`: the input image recoloured, shifted and tinted, so it is visibly derived from it.
Each takes a `random.Random` private to one image (one index of one request).
"""

from __future__ import annotations

import io
import math
import random
import textwrap
from functools import lru_cache
from itertools import permutations
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow and numpy load on the first image made, keeping them out of start-up time
    from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]

# Fast zlib level: the images are generated patterns, not worth squeezing.
_PNG_COMPRESS_LEVEL = 1
_MAX_CAPTION_LINES = 6
# Alpha 0 -> 255 (repaint), anything else -> 0 (keep).
_FULLY_TRANSPARENT = [255] + [0] * 255
_CHANNEL_ORDERS = list(permutations(range(3)))


def parse_size(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def paint(caption: str, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A gradient between two seeded colours, seeded shapes, and the caption in a banner."""
    width, height = size
    image = _gradient(size, _colour(rng), _colour(rng), rng.uniform(0, 2 * math.pi))
    from PIL import ImageDraw

    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 6)):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randint(width // 8, width // 2), y0 + rng.randint(height // 8, height // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=_colour(rng), outline=(255, 255, 255), width=max(1, width // 128))
    _write_caption(draw, caption, size)
    return image


def edit(
    source: Image.Image,
    mask: Image.Image | None,
    caption: str,
    size: tuple[int, int],
    rng: random.Random,
) -> Image.Image:
    """`source` at `size`, repainted only where the mask (or, without one, the source) is fully transparent."""
    from PIL import Image

    base = _resized(source.convert("RGBA"), size)
    alpha = _resized((mask or source).convert("RGBA"), size, Image.Resampling.NEAREST).getchannel("A")
    region = alpha.point(_FULLY_TRANSPARENT)
    return Image.composite(paint(caption, size, rng), base.convert("RGB"), region)


def vary(source: Image.Image, size: tuple[int, int], rng: random.Random) -> Image.Image:
    """`source` at `size` with its channels reordered, rolled, perhaps mirrored, and tinted."""
    import numpy as np
    from PIL import Image

    width, height = size
    pixels = np.asarray(_resized(source.convert("RGB"), size), dtype=np.float32)
    pixels = pixels[..., list(rng.choice(_CHANNEL_ORDERS))]
    pixels = np.roll(pixels, (rng.randrange(height), rng.randrange(width)), axis=(0, 1))
    if rng.random() < 0.5:
        pixels = pixels[:, ::-1]
    tint = np.array(_colour(rng), dtype=np.float32)
    blended = pixels * 0.7 + tint * 0.3
    return Image.fromarray(blended.astype(np.uint8), "RGB")


def _colour(rng: random.Random) -> Colour:
    return rng.randrange(256), rng.randrange(256), rng.randrange(256)


def _gradient(size: tuple[int, int], start: Colour, end: Colour, angle: float) -> Image.Image:
    import numpy as np
    from PIL import Image

    width, height = size
    xs = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :] * np.cos(angle)
    ys = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None] * np.sin(angle)
    t = xs + ys
    t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
    pixels = np.array(start, np.float32) + t[..., None] * (np.array(end, np.float32) - np.array(start, np.float32))
    return Image.fromarray(pixels.astype(np.uint8), "RGB")


def _resized(image: Image.Image, size: tuple[int, int], resample: int | None = None) -> Image.Image:
    from PIL import Image

    return image if image.size == size else image.resize(size, resample or Image.Resampling.BICUBIC)


def _write_caption(draw: ImageDraw.ImageDraw, caption: str, size: tuple[int, int]) -> None:
    """The caption wrapped to the width, in white on a dark banner across the bottom."""
    width, height = size
    font, char_width = _font(max(10, width // 24))
    margin = width // 32
    columns = max(8, int((width - 2 * margin) / char_width))
    lines = textwrap.wrap(" ".join(caption.split()), columns) or [""]
    if len(lines) > _MAX_CAPTION_LINES:
        lines = [*lines[: _MAX_CAPTION_LINES - 1], lines[_MAX_CAPTION_LINES - 1][: columns - 1] + "…"]
    line_height = int(font.size * 1.25)
    top = height - margin - line_height * len(lines)
    draw.rectangle((0, top - margin // 2, width, height), fill=(20, 20, 20))
    for number, line in enumerate(lines):
        draw.text((margin, top + number * line_height), line, fill=(255, 255, 255), font=font)


@lru_cache(maxsize=8)
def _font(size: int) -> tuple[ImageFont.FreeTypeFont, float]:
    """Pillow's built-in font at `size` and its mean character width, made once per size."""
    from PIL import ImageFont

    font = ImageFont.load_default(size)
    assert isinstance(font, ImageFont.FreeTypeFont)
    sample = "the quick brown fox jumps over a lazy dog"
    return font, font.getlength(sample) / len(sample)
