"""What dall-e-3 and the GPT image models add to the images endpoints: their sizes and the choices `auto`
makes, dall-e-3's revised prompt, the GPT image models' token usage and their stream events.

Pure functions of the request's values (and a `random.Random` private to one image where text is drawn);
the pictures themselves are painted by generators.images.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from typing import Any, Literal

from mockapi import tokens
from mockapi.generators import images

StreamKind = Literal["image_generation", "image_edit"]
Background = Literal["transparent", "opaque"]

DALL_E_3_SIZES = ("1024x1024", "1792x1024", "1024x1792")
GPT_IMAGE_SIZES = ("1024x1024", "1536x1024", "1024x1536", "auto")
GPT_IMAGE_QUALITIES = ("low", "medium", "high", "auto")
DALL_E_3_QUALITIES = ("standard", "hd")
MAX_PARTIAL_IMAGES = 3

# The published output tokens of an image, by quality and size (the same for gpt-image-1 and its mini).
OUTPUT_TOKENS = {
    "low": {"1024x1024": 272, "1024x1536": 408, "1536x1024": 400},
    "medium": {"1024x1024": 1056, "1024x1536": 1584, "1536x1024": 1568},
    "high": {"1024x1024": 4160, "1024x1536": 6240, "1536x1024": 6208},
}
# Each partial image streamed costs this many more output tokens.
PARTIAL_IMAGE_TOKENS = 100
# An input image costs as a high-detail vision input does: fitted in 2048 pixels, its short side to 768,
# then BASE plus PER_TILE for each 512-pixel tile.
_IMAGE_BASE_TOKENS, _IMAGE_TILE_TOKENS = 85, 170

# The real API's refusal of a transparent JPEG (its exact words are not documented; this says the same).
TRANSPARENT_JPEG_MESSAGE = (
    "Transparent background is not supported for the 'jpeg' output format. Use 'png' or 'webp', or set "
    "'background' to 'opaque' or 'auto'."
)

_LANDSCAPE = re.compile(r"\b(?:landscape|panorama|panoramic|wide|widescreen|horizon|banner|skyline)\b", re.I)
_PORTRAIT = re.compile(r"\b(?:portrait|tall|poster|vertical|full[- ]length|phone wallpaper)\b", re.I)
_WANTS_TRANSPARENCY = re.compile(r"\b(?:transparent|sticker|cut-?out|no background|isolated on)\b", re.I)
_ARTICLE = re.compile(r"^(?:a|an|the|some|two|three|my|our)\b", re.I)


def resolve_size(size: str, prompt: str, first_input: tuple[int, int] | None = None) -> str:
    """The size `auto` picks: the first input image's shape for an edit, else the prompt's (landscape,
    portrait words), else square."""
    if size != "auto":
        return size
    if first_input is not None:
        ratio = first_input[0] / max(1, first_input[1])
        return "1536x1024" if ratio > 1.2 else "1024x1536" if ratio < 1 / 1.2 else "1024x1024"
    if _LANDSCAPE.search(prompt):
        return "1536x1024"
    if _PORTRAIT.search(prompt):
        return "1024x1536"
    return "1024x1024"


def resolve_quality(model: str, quality: str | None) -> str:
    """`auto` (or none) is the model's best for the GPT image models, `standard` for dall-e-3."""
    if quality not in (None, "auto"):
        return quality
    return "standard" if model == "dall-e-3" else "high"


def resolve_background(background: str | None, prompt: str, output_format: str) -> Background:
    """`auto` is transparent when the prompt asks for it (a sticker, a cut-out) and the format has alpha."""
    if background == "transparent":
        return "transparent"
    if background in (None, "auto") and output_format != "jpeg" and _WANTS_TRANSPARENCY.search(prompt):
        return "transparent"
    return "opaque"


def transparent_jpeg_error(background: str | None, output_format: str | None) -> str | None:
    """The 400's message (param `background`) when a transparent background is asked of a JPEG."""
    return TRANSPARENT_JPEG_MESSAGE if background == "transparent" and output_format == "jpeg" else None


def detail(quality: str) -> int:
    """The painter's level of detail for a quality: low, standard/medium, hd/high."""
    if quality == "low":
        return images.LOW_DETAIL
    return images.HIGH_DETAIL if quality in ("hd", "high") else images.STANDARD_DETAIL


# dall-e-3's revised prompt: the prompt restated as a fuller description, as the model does before drawing.
_MEDIA = {
    "vivid": ("A highly detailed digital painting", "A vibrant, cinematic illustration", "A striking 3D render",
              "A dramatic, hyper-real photograph", "A bold concept-art image"),
    "natural": ("A true-to-life photograph", "A realistic painting", "A soft, natural-light photograph",
                "A documentary-style image", "A gentle watercolour illustration"),
}  # fmt: skip
_LIGHT = (
    "bathed in warm golden-hour light",
    "lit by soft, diffused daylight",
    "under dramatic, high-contrast lighting",
    "in the cool blue light of early morning",
    "glowing in the gentle light of dusk",
)
_COMPOSITION = (
    "The subject is centred and in sharp focus against a gently blurred background",
    "The composition follows the rule of thirds, leading the eye across the scene",
    "A wide view places the subject within its surroundings",
    "A close view fills the frame with the subject",
)
_TEXTURE = (
    "every surface",
    "the textures of the scene",
    "the foreground and background alike",
    "the smallest features",
)
_MOOD = {
    "vivid": ("The colours are bold and saturated, giving the scene an energetic, striking feel.",
              "Rich, intense colours and deep shadows give the image a vivid, larger-than-life mood."),
    "natural": ("The colours are muted and natural, giving the scene a calm, authentic feel.",
                "Subtle, realistic tones keep the image understated and true to life."),
}  # fmt: skip


def revised_prompt(prompt: str, style: str | None, rng: random.Random) -> str:
    """A longer, more descriptive restatement of `prompt` (deterministic for `rng`), in `style`'s words."""
    palette = "natural" if style == "natural" else "vivid"
    subject = " ".join(prompt.split()).rstrip(".!?;,: ") or "an untitled scene"
    if _ARTICLE.match(subject):
        subject = subject[0].lower() + subject[1:]
    return (
        f"{rng.choice(_MEDIA[palette])} of {subject}, {rng.choice(_LIGHT)}. {rng.choice(_COMPOSITION)}, "
        f"with fine detail in {rng.choice(_TEXTURE)}. {rng.choice(_MOOD[palette])}"
    )


# Usage.


def image_input_tokens(width: int, height: int) -> int:
    fit = min(1.0, 2048 / max(width, height))
    short = min(1.0, 768 / (min(width, height) * fit))
    tiles = math.ceil(width * fit * short / 512) * math.ceil(height * fit * short / 512)
    return _IMAGE_BASE_TOKENS + _IMAGE_TILE_TOKENS * tiles


def usage(
    prompt: str,
    size: str,
    quality: str,
    *,
    n: int = 1,
    input_images: Sequence[tuple[int, int]] = (),
    partial_images: int = 0,
) -> dict[str, Any]:
    """The GPT image models' `usage`: the prompt's text tokens and the input images' tokens in; the
    published tokens of each output image of `size` and `quality` (resolved, not auto) out."""
    text_tokens = tokens.count(prompt)
    image_tokens = sum(image_input_tokens(width, height) for width, height in input_images)
    output_tokens = (OUTPUT_TOKENS[quality][size] + PARTIAL_IMAGE_TOKENS * partial_images) * n
    return {
        "total_tokens": text_tokens + image_tokens + output_tokens,
        "input_tokens": text_tokens + image_tokens,
        "output_tokens": output_tokens,
        "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
    }


# Stream events (`stream: true`): partial images, then the completed image.


def partial_image_event(
    kind: StreamKind,
    b64_json: str,
    partial_image_index: int,
    *,
    created_at: int,
    size: str,
    quality: str,
    background: str,
    output_format: str,
) -> dict[str, Any]:
    return {
        "type": f"{kind}.partial_image",
        "b64_json": b64_json,
        "created_at": created_at,
        "size": size,
        "quality": quality,
        "background": background,
        "output_format": output_format,
        "partial_image_index": partial_image_index,
    }


def completed_event(
    kind: StreamKind,
    b64_json: str,
    *,
    created_at: int,
    size: str,
    quality: str,
    background: str,
    output_format: str,
    usage: dict[str, Any],
) -> dict[str, Any]:
    return {
        "type": f"{kind}.completed",
        "b64_json": b64_json,
        "created_at": created_at,
        "size": size,
        "quality": quality,
        "background": background,
        "output_format": output_format,
        "usage": usage,
    }
