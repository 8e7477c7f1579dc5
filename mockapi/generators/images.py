"""Pure image generators: real PNGs (and JPEGs, WebPs), cheap to make, deterministic for their inputs and generator.

- `paint`: a seeded gradient with a few shapes and the caption (the prompt) written on it; a `style` palette
  (dall-e-3's vivid or natural), a level of `detail` (quality) and a transparent background change it visibly.
- `edit`: the input image with only its masked (fully transparent) pixels repainted.
- `compose`: several input images laid out together, repainted where the mask says or blended with the
  painting of the prompt (the GPT image models' edits).
- `vary`: the input image recoloured, shifted and tinted, so it is visibly derived from it.
- `partials`: coarser, greyer renderings of a final image, for partial-image stream events.
Each takes a `random.Random` private to one image (one index of one request).
"""

from __future__ import annotations

import colorsys
import io
import math
import random
import textwrap
from collections.abc import Callable, Sequence
from functools import lru_cache
from itertools import permutations
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # Pillow and numpy load on the first image made, keeping them out of start-up time
    from PIL import Image, ImageDraw, ImageFont

Colour = tuple[int, int, int]
Style = Literal["vivid", "natural"]
OutputFormat = Literal["png", "jpeg", "webp"]

# Fast zlib level: the images are generated patterns, not worth squeezing.
_PNG_COMPRESS_LEVEL = 1
_MAX_CAPTION_LINES = 6
# Alpha 0 -> 255 (repaint), anything else -> 0 (keep).
_FULLY_TRANSPARENT = [255] + [0] * 255
_CHANNEL_ORDERS = list(permutations(range(3)))
# Detail levels: 0 (low quality) paints fewer shapes and coarser pixels, 2 (hd, high) adds fine strokes.
LOW_DETAIL, STANDARD_DETAIL, HIGH_DETAIL = 0, 1, 2
_LOW_DETAIL_PIXEL = 6
_HIGH_DETAIL_STROKES = 48
# Extra input images of an edit are laid along the top as insets of this share of the width and height.
_INSET_SHARE = 0.25
# Without a mask, an edit of the GPT image models blends the inputs with the painting in these shares.
_EDIT_BLEND = 0.5


def parse_size(size: str) -> tuple[int, int]:
    width, _, height = size.partition("x")
    return int(width), int(height)


def encode_png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=_PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def encode(image: Image.Image, output_format: OutputFormat, compression: int = 100) -> bytes:
    """PNG (lossless: `compression` does not apply, as in the API), or JPEG or WebP at quality
    `compression` (0-100; 100, the API's default, is the least compressed). JPEG has no alpha."""
    if output_format == "png":
        return encode_png(image)
    buffer = io.BytesIO()
    if output_format == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=compression)
    else:
        image.save(buffer, "WEBP", quality=compression, method=_WEBP_METHOD)
    return buffer.getvalue()


# WebP's fastest method: the quality still follows `compression`.
_WEBP_METHOD = 0


def paint(
    caption: str,
    size: tuple[int, int],
    rng: random.Random,
    *,
    style: Style | None = None,
    detail: int = STANDARD_DETAIL,
    transparent: bool = False,
) -> Image.Image:
    """A gradient between two seeded colours, seeded shapes, and the caption in a banner. With
    `transparent`, the gradient is left out: an RGBA image whose background pixels have alpha 0."""
    from PIL import Image, ImageDraw

    width, height = size
    colour = _PALETTES[style] if style else _colour
    # Drawn even when transparent, so a transparent painting has the shapes of the opaque one.
    image = _gradient(size, colour(rng), colour(rng), rng.uniform(0, 2 * math.pi))
    if transparent:
        image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    shapes = rng.randint(2, 3) if detail <= LOW_DETAIL else rng.randint(3, 6) * (1 + (detail >= HIGH_DETAIL))
    for _ in range(shapes):
        x0, y0 = rng.randrange(width), rng.randrange(height)
        x1, y1 = x0 + rng.randint(width // 8, width // 2), y0 + rng.randint(height // 8, height // 2)
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=colour(rng), outline=(255, 255, 255), width=max(1, width // 128))
    if detail >= HIGH_DETAIL:
        for _ in range(_HIGH_DETAIL_STROKES):
            x0, y0 = rng.randrange(width), rng.randrange(height)
            end = (x0 + rng.randint(-width // 6, width // 6), y0 + rng.randint(-height // 6, height // 6))
            draw.line((x0, y0, *end), fill=colour(rng), width=max(1, width // 512))
    if detail <= LOW_DETAIL:
        coarse = (max(1, width // _LOW_DETAIL_PIXEL), max(1, height // _LOW_DETAIL_PIXEL))
        image = image.resize(coarse, Image.Resampling.BOX).resize(size, Image.Resampling.NEAREST)
        draw = ImageDraw.Draw(image)
    _write_caption(draw, caption, size)
    return image


def _vivid(rng: random.Random) -> Colour:
    """Saturated, bright: dall-e-3's vivid style, hyper-real and dramatic."""
    return _hsv(rng.random(), rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.0))


def _natural(rng: random.Random) -> Colour:
    """Muted earth and sky tones: dall-e-3's natural style."""
    return _hsv(rng.uniform(0.05, 0.6), rng.uniform(0.12, 0.4), rng.uniform(0.4, 0.8))


def _hsv(hue: float, saturation: float, value: float) -> Colour:
    red, green, blue = colorsys.hsv_to_rgb(hue, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


_PALETTES: dict[str, Callable[[random.Random], Colour]] = {"vivid": _vivid, "natural": _natural}


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


def compose(
    sources: Sequence[Image.Image],
    mask: Image.Image | None,
    caption: str,
    size: tuple[int, int],
    rng: random.Random,
    *,
    detail: int = STANDARD_DETAIL,
    transparent: bool = False,
) -> Image.Image:
    """The first source filling `size`, the others as insets along its top; then repainted with the
    prompt's painting where the mask (which applies to the first image) is fully transparent, or, without
    a mask, blended with that painting all over. RGBA with a transparent background if asked, else RGB."""
    from PIL import Image

    canvas = _cover(sources[0].convert("RGBA"), size)
    inset = (max(1, int(size[0] * _INSET_SHARE)), max(1, int(size[1] * _INSET_SHARE)))
    margin = max(1, size[0] // 64)
    for number, source in enumerate(sources[1:]):
        left = margin + number * (inset[0] + margin)
        if left + inset[0] > size[0]:
            break
        framed = Image.new("RGBA", (inset[0] + 2 * margin, inset[1] + 2 * margin), (255, 255, 255, 255))
        framed.paste(_cover(source.convert("RGBA"), inset), (margin, margin))
        canvas.alpha_composite(framed, (left - margin, 0))
    painting = paint(caption, size, rng, detail=detail, transparent=transparent).convert("RGBA")
    if mask is None:
        blended = Image.blend(canvas, painting, _EDIT_BLEND)
        if transparent:
            blended.putalpha(painting.getchannel("A"))
        result = blended
    else:
        alpha = _resized(mask.convert("RGBA"), size, Image.Resampling.NEAREST).getchannel("A")
        result = Image.composite(painting, canvas, alpha.point(_FULLY_TRANSPARENT))
    return result if transparent else result.convert("RGB")


def _cover(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` scaled to cover `size` and centre-cropped to it."""
    from PIL import Image

    width, height = image.size
    scale = max(size[0] / width, size[1] / height)
    scaled = image.resize((max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.BICUBIC)
    left, top = (scaled.width - size[0]) // 2, (scaled.height - size[1]) // 2
    return scaled.crop((left, top, left + size[0], top + size[1]))


def partials(final: Image.Image, count: int) -> list[Image.Image]:
    """`count` (0-3) renderings on the way to `final`, each more complete than the one before: coarser
    pixels and greyer colours early on, converging on the final image (which is never among them)."""
    from PIL import Image, ImageOps

    base = final.convert("RGBA")
    renderings = []
    for index in range(count):
        done = (index + 1) / (count + 1)
        pixel = max(2, round(32 ** (1 - done)))
        small = (max(1, base.width // pixel), max(1, base.height // pixel))
        coarse = base.resize(small, Image.Resampling.BOX).resize(base.size, Image.Resampling.NEAREST)
        grey = ImageOps.grayscale(coarse).convert("RGBA")
        grey.putalpha(coarse.getchannel("A"))
        renderings.append(Image.blend(grey, coarse, done).convert(final.mode))
    return renderings


def progression(final: Image.Image, partial_images: int) -> list[Image.Image]:
    """What a stream shows: the partial renderings, then the final image itself."""
    return [*partials(final, partial_images), final]


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
