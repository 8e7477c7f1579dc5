"""Uploaded images: a PNG recognised by its bytes (signature and a full decode), never by its name or
declared type (openai 0.28 sends `image` and `mask` with no extension as application/octet-stream), and
the JPEG and WebP inputs the GPT image models also take; the checks the edits make of them.
"""

from __future__ import annotations

import hashlib
import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mockapi import errors

if TYPE_CHECKING:
    from PIL import Image

    DecodedImage = Image.Image
else:  # Pillow loads on the first upload; validation needs no more than "some object" here
    DecodedImage = Any

# "less than 4MB"
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# The GPT image models' inputs: png, webp or jpg, each less than 50 MB (the whole body is bounded by
# --max-body-bytes before any of it is read).
MAX_GPT_UPLOAD_BYTES = 50 * 1024 * 1024
GPT_INPUT_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
# A 4 MB PNG of one flat colour can decode to gigabytes; real inputs are at most a few thousand pixels.
MAX_UPLOAD_SIDE = 4096
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UNDECODABLE = "Invalid input image - the PNG could not be decoded."
_NOT_A_SMALL_PNG = "Uploaded image must be a PNG and less than 4 MB."
# The image modes the real API accepts for an edit without a mask, as its format message lists them. L is
# among them, yet carries no alpha: such an image is refused for having no transparency instead.
ACCEPTED_MODES = ("RGBA", "LA", "L")


@dataclass(frozen=True)
class Upload:
    """A file part as received; its repr leaves out the bytes, which may end up in an error message."""

    filename: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"<file {self.filename or ''!r}, {len(self.data)} bytes>"


@dataclass(frozen=True, repr=False)
class PngUpload:
    """An upload that decoded as a PNG (or, for the GPT image models, a JPEG or WebP: `media_type`)."""

    filename: str | None
    size: int
    sha256: str
    image: DecodedImage
    media_type: str = "image/png"

    def describe(self) -> dict[str, Any]:
        """What the exchange and rules see of a file: never its bytes."""
        return {"filename": self.filename, "size": self.size, "sha256": self.sha256}


def too_large(size: int) -> bool:
    return size >= MAX_UPLOAD_BYTES


def upload_refused(param: str) -> errors.OpenAIError:
    """The real API's answer to an upload too large (or not a PNG), e.g. refused from its size alone."""
    return errors.invalid_param(_NOT_A_SMALL_PNG, param)


def read_png(value: Any) -> PngUpload:
    """The decoded PNG, or a ValueError whose message becomes the 400 naming this field."""
    if not isinstance(value, Upload):
        raise ValueError(f"{value!r} is not a file. Upload a PNG file as multipart/form-data.")
    if too_large(len(value.data)) or not value.data.startswith(PNG_SIGNATURE):
        raise ValueError(_NOT_A_SMALL_PNG)
    image = _decode(value.data)
    return PngUpload(value.filename, len(value.data), hashlib.sha256(value.data).hexdigest(), image)


def _decode(data: bytes) -> Image.Image:
    from PIL import Image

    width, height = _declared_dimensions(data)
    if max(width, height) > MAX_UPLOAD_SIDE:
        raise ValueError(
            f"Invalid input image - at most {MAX_UPLOAD_SIDE}x{MAX_UPLOAD_SIDE} pixels, got {width}x{height}."
        )
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=["PNG"])
        image.load()
        # A tRNS chunk (palette, greyscale or RGB PNGs) is transparency too: as an alpha band, it is
        # what the edit checks and the painter read.
        if "transparency" in image.info and not has_alpha(image):
            image = image.convert("RGBA")
    except Exception as exc:  # pillow raises many types for corrupt data
        raise ValueError(_UNDECODABLE) from exc
    return image


def has_alpha(image: Image.Image) -> bool:
    return "A" in image.getbands()


def has_transparent_pixel(image: Image.Image) -> bool:
    """Whether some pixel is fully transparent (alpha 0): only those are repainted."""
    return has_alpha(image) and image.getchannel("A").getextrema()[0] == 0


def _declared_dimensions(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first: checked before pillow decodes."""
    if len(data) < 24 or data[12:16] != b"IHDR":
        raise ValueError(_UNDECODABLE)
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def require_square(value: PngUpload) -> PngUpload:
    if value.image.width != value.image.height:
        raise ValueError(f"Invalid input image - image must be square, got {dimensions(value)}.")
    return value


def require_transparency(which: str, value: PngUpload, param: str) -> None:
    image = value.image
    if not has_alpha(image) and image.mode not in ACCEPTED_MODES:
        listed = ", ".join(repr(m) for m in ACCEPTED_MODES)
        raise errors.invalid_param(f"Invalid {which} image - format must be in [{listed}], got {image.mode}.", param)
    if not has_transparent_pixel(image):
        # Our wording, close to the reference's "image must have transparency, which will be used as the
        # mask": the real API's own message for this case is not documented.
        role = "which will be used as the mask" if param == "image" else "which marks the area to edit"
        found = "no alpha channel" if not has_alpha(image) else "no fully transparent pixel"
        raise errors.invalid_param(
            f"Invalid {which} image - {param} must have transparency, {role}; got {image.mode} with {found}.",
            param,
        )


def read_input_image(value: Any, param: str) -> PngUpload:
    """A GPT image model's input (PNG, JPEG or WebP under 50 MB), decoded; the 400 naming `param` otherwise."""
    from PIL import Image, UnidentifiedImageError

    if not isinstance(value, Upload):
        raise errors.invalid_param(f"{value!r} is not a file. Upload an image file as multipart/form-data.", param)
    supported = "Supported file formats are 'image/jpeg', 'image/png', and 'image/webp'."
    if len(value.data) >= MAX_GPT_UPLOAD_BYTES:
        raise errors.invalid_param(f"Invalid file '{param}': images must be less than 50 MB.", param)
    try:
        image: Image.Image = Image.open(io.BytesIO(value.data), formats=list(GPT_INPUT_FORMATS))
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise errors.invalid_param(f"Invalid file '{param}': unsupported image format. {supported}", param) from exc
    if max(image.size) > MAX_UPLOAD_SIDE:
        raise errors.invalid_param(
            f"Invalid input image - at most {MAX_UPLOAD_SIDE}x{MAX_UPLOAD_SIDE} pixels, "
            f"got {image.width}x{image.height}.",
            param,
        )
    try:
        image.load()
    except Exception as exc:  # pillow raises many types for corrupt data
        raise errors.invalid_param(f"Invalid file '{param}': the image could not be decoded.", param) from exc
    digest = hashlib.sha256(value.data).hexdigest()
    return PngUpload(value.filename, len(value.data), digest, image, GPT_INPUT_FORMATS.get(image.format or "", ""))


def dimensions(value: PngUpload) -> str:
    return f"{value.image.width}x{value.image.height}"
