"""Images in prompts: their size, read from the data URL's header, and their tokens by the published rules.

Two rules, with each model's numbers in the catalogue:
- tiles (gpt-4o, gpt-4.1, o1/o3, gpt-5): `detail: low` costs the base; otherwise the image is fitted in a
  2048x2048 square, its shortest side brought down to 768, and each 512px tile costs `per_tile` on top.
- patches (gpt-4.1-mini/nano, o4-mini, gpt-5-mini/nano): 32px patches covering the image, scaled down to
  fit at most `max_patches`, times the model's multiplier; `detail` does not change the count.
"""

from __future__ import annotations

import base64
import binascii
import io
import math
import re
import warnings
from dataclasses import dataclass
from fractions import Fraction
from typing import Annotated, Literal

from PIL import Image, UnidentifiedImageError
from pydantic import ConfigDict, Field

from mockapi.model_base import Schema

Detail = Literal["low", "high", "auto"]
IMAGE_FORMATS = ("png", "jpeg", "gif", "webp")
# Pillow names a camera's multi-picture JPEG "MPO": it is a JPEG file.
_FORMAT_ALIASES = {"mpo": "jpeg"}

# The server is offline: an http(s) image is never fetched. Its tokens are those of an image of this size
# (a common photo and screenshot size), the same for every URL so that counts stay deterministic.
ASSUMED_URL_IMAGE_SIZE = (1024, 1024)

_DATA_URL = re.compile(r"data:(?P<mime>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<data>.*)", re.DOTALL)


class ImageInputError(ValueError):
    """An image the real API refuses, with its message and error code (the router answers 400)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def unsupported_image() -> ImageInputError:
    return ImageInputError(
        "You uploaded an unsupported image. Please make sure your image has of one the following formats: "
        "['png', 'jpeg', 'gif', 'webp'].",
        "invalid_image_format",
    )


def invalid_image_url(url: str) -> ImageInputError:
    shown = url if len(url) <= 64 else url[:61] + "..."
    return ImageInputError(
        "Invalid image URL: expected an http(s) URL or a base64-encoded data URL with an image MIME type "
        f"(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got '{shown}'.",
        "invalid_image_url",
    )


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    format: str  # png | jpeg | gif | webp, or "url" for an image that was not read


def image_size(data: bytes) -> tuple[int, int, str]:
    """Width, height and format of an image from its header; only PNG, JPEG, GIF and WEBP are accepted."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                found = (image.format or "").lower()
                width, height = image.size
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError) as caught:
        raise unsupported_image() from caught
    found = _FORMAT_ALIASES.get(found, found)
    if found not in IMAGE_FORMATS or width < 1 or height < 1:
        raise unsupported_image()
    return width, height, found


def data_url_image(url: str) -> ImageFacts:
    """The image of a `data:image/...;base64,...` URL."""
    match = _DATA_URL.fullmatch(url)
    if match is None or ";base64" not in match["params"] or not match["mime"].startswith("image/"):
        raise invalid_image_url(url)
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError) as caught:
        raise invalid_image_url(url) from caught
    return ImageFacts(*image_size(data))


def url_image(url: str) -> ImageFacts:
    """What a prompt's image URL stands for: a data URL is read; an http(s) URL has the assumed size."""
    if url.startswith("data:"):
        return data_url_image(url)
    if url.startswith(("http://", "https://")) and len(url) > len("https://"):
        return ImageFacts(*ASSUMED_URL_IMAGE_SIZE, "url")
    raise invalid_image_url(url)


class TileRule(Schema):
    """Tokens of an image: `base`, plus `per_tile` for each 512px tile unless `detail` is low."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["tiles"]
    base: int = Field(ge=0)
    per_tile: int = Field(ge=0)


class PatchRule(Schema):
    """Tokens of an image: its 32px patches (at most `max_patches`) times `multiplier`, rounded up."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Literal["patches"]
    multiplier: float = Field(gt=0)
    max_patches: int = Field(1536, ge=1)


ImageRule = Annotated[TileRule | PatchRule, Field(discriminator="method")]

TILE_FIT = 2048
TILE_SHORT_SIDE = 768
TILE = 512
PATCH = 32
# Float slack when a scaled side lands on a whole number of patches.
_EPSILON = 1e-6


def image_tokens(width: int, height: int, detail: Detail, rule: TileRule | PatchRule) -> int:
    if isinstance(rule, TileRule):
        return tile_tokens(width, height, detail, rule)
    return patch_tokens(width, height, rule)


def tile_tokens(width: int, height: int, detail: Detail, rule: TileRule) -> int:
    """The tile rule; `auto` counts as `high`. Scaled sides are whole pixels, rounded down."""
    if detail == "low":
        return rule.base
    longest = max(width, height)
    if longest > TILE_FIT:
        width, height = width * TILE_FIT // longest, height * TILE_FIT // longest
    shortest = min(width, height)
    if shortest > TILE_SHORT_SIDE:
        width, height = width * TILE_SHORT_SIDE // shortest, height * TILE_SHORT_SIDE // shortest
    tiles = math.ceil(width / TILE) * math.ceil(height / TILE)
    return rule.base + rule.per_tile * tiles


def image_patches(width: int, height: int, max_patches: int) -> int:
    """32px patches covering the image; beyond `max_patches` the image is first scaled down (keeping its
    aspect) until whole patches of it fit in the budget, as the published rule does."""
    raw = math.ceil(width / PATCH) * math.ceil(height / PATCH)
    if raw <= max_patches:
        return raw
    shrink = math.sqrt(PATCH * PATCH * max_patches / (width * height))
    across, down = width * shrink / PATCH, height * shrink / PATCH
    shrink *= min(math.floor(across + _EPSILON) / across, math.floor(down + _EPSILON) / down)
    patches = math.ceil(width * shrink / PATCH - _EPSILON) * math.ceil(height * shrink / PATCH - _EPSILON)
    return min(patches, max_patches)


def patch_tokens(width: int, height: int, rule: PatchRule) -> int:
    # The multiplier as the decimal it is written as (1.62, not the nearest binary float).
    return math.ceil(image_patches(width, height, rule.max_patches) * Fraction(str(rule.multiplier)))
