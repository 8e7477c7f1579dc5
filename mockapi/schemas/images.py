"""Request models of the images endpoints (CreateImageRequest, CreateImageEditRequest,
CreateImageVariationRequest) and the checks on uploaded PNGs.

An upload is a PNG when its bytes say so (signature and a full decode), never by its name or declared
type: openai 0.28 sends `image` and `mask` with no extension as application/octet-stream.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, field_validator, model_validator

from mockapi import errors
from mockapi.schemas.common import UploadedFile

if TYPE_CHECKING:
    from PIL import Image

    DecodedImage = Image.Image
else:  # Pillow loads on the first upload; validation needs no more than "some object" here
    DecodedImage = Any

DEFAULT_MODEL = "dall-e-2"
SIZES = ("256x256", "512x512", "1024x1024")
RESPONSE_FORMATS = ("url", "b64_json")
MAX_PROMPT_CHARS = 1000
MAX_IMAGES = 10
# "less than 4MB"
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# A 4 MB PNG of one flat colour can decode to gigabytes; real inputs are at most a few thousand pixels.
MAX_UPLOAD_SIDE = 4096
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_UNDECODABLE = "Invalid input image - the PNG could not be decoded."
_NOT_A_SMALL_PNG = "Uploaded image must be a PNG and less than 4 MB."
# The image modes the real API accepts for an edit without a mask, as its format message lists them. L is
# among them, yet carries no alpha: such an image is refused for having no transparency instead.
ACCEPTED_MODES = ("RGBA", "LA", "L")
# Options the spec marks `nullable: true`: null there means the default.
_NULLABLE = frozenset({"model", "n", "size", "response_format"})
_FORM_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class Upload:
    """A file part as received; its repr leaves out the bytes, which may end up in an error message."""

    filename: str | None
    data: bytes

    def __repr__(self) -> str:
        return f"<file {self.filename or ''!r}, {len(self.data)} bytes>"


@dataclass(frozen=True, repr=False)
class PngUpload:
    """An upload that decoded as a PNG."""

    filename: str | None
    size: int
    sha256: str
    image: DecodedImage

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


PngFile = Annotated[PngUpload, BeforeValidator(read_png), UploadedFile]


def _one_of(value: Any, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        listed = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{value!r} is not one of [{listed}] - '{name}'")
    return str(value)


class ImageOptions(BaseModel):
    """Fields shared by the three endpoints; null means the default, as in the spec (`nullable: true`)."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    model: str = DEFAULT_MODEL
    # Strict, as JSON types are: true, "2" and 1.0 are not integers to the real API.
    n: StrictInt = Field(1, ge=1, le=MAX_IMAGES)
    size: str = "1024x1024"
    response_format: str = "url"
    user: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None or k not in _NULLABLE}
        return data

    @field_validator("size", mode="before")
    @classmethod
    def _size(cls, value: Any) -> str:
        return _one_of(value, SIZES, "size")

    @field_validator("response_format", mode="before")
    @classmethod
    def _response_format(cls, value: Any) -> str:
        return _one_of(value, RESPONSE_FORMATS, "response_format")

    def options(self) -> dict[str, Any]:
        return {"model": self.model, "n": self.n, "size": self.size, "response_format": self.response_format}


class CreateImageRequest(ImageOptions):
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)


class FormImageOptions(ImageOptions):
    """The multipart endpoints' fields: form fields are always text, so `n` is read from its digits."""

    @field_validator("n", mode="before")
    @classmethod
    def _form_integer(cls, value: Any) -> Any:
        if isinstance(value, str) and _FORM_INTEGER.fullmatch(value):
            return int(value)
        return value


class CreateImageEditRequest(FormImageOptions):
    image: PngFile
    mask: PngFile | None = None
    prompt: str = Field(max_length=MAX_PROMPT_CHARS)

    @field_validator("image")
    @classmethod
    def _square(cls, value: PngUpload) -> PngUpload:
        return _require_square(value)

    @model_validator(mode="after")
    def _something_to_edit(self) -> CreateImageEditRequest:
        """The area to repaint is the fully transparent pixels of the mask, else of the image: one must
        have some."""
        if self.mask is None:
            _require_transparency("input", self.image, "image")
            return self
        if self.mask.image.size != self.image.image.size:
            raise errors.invalid_param(
                "Invalid mask image - mask and image must have the same dimensions, got "
                f"{_dimensions(self.mask)} for the mask and {_dimensions(self.image)} for the image.",
                "mask",
            )
        _require_transparency("mask", self.mask, "mask")
        return self

    def exchange_body(self) -> dict[str, Any]:
        files = {"image": self.image.describe()}
        if self.mask is not None:
            files["mask"] = self.mask.describe()
        return {"prompt": self.prompt, **files, **self.options()}


class CreateImageVariationRequest(FormImageOptions):
    image: PngFile

    @field_validator("image")
    @classmethod
    def _square(cls, value: PngUpload) -> PngUpload:
        return _require_square(value)

    def exchange_body(self) -> dict[str, Any]:
        return {"image": self.image.describe(), **self.options()}


def _require_square(value: PngUpload) -> PngUpload:
    if value.image.width != value.image.height:
        raise ValueError(f"Invalid input image - image must be square, got {_dimensions(value)}.")
    return value


def _dimensions(value: PngUpload) -> str:
    return f"{value.image.width}x{value.image.height}"


def _require_transparency(which: str, value: PngUpload, param: str) -> None:
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


# Answers (documentation of what the routes send).


class GeneratedImage(BaseModel):
    """One image: a link (`response_format: url`) or the PNG's bytes in base64 (`b64_json`)."""

    url: str | None = None
    b64_json: str | None = None


class ImagesResponse(BaseModel):
    created: int
    data: list[GeneratedImage]
