"""POST /v1/images/generations (JSON), /v1/images/edits and /v1/images/variations (multipart), and
GET /v1/images/files/{id}.png, the unauthenticated, expiring links that `response_format=url` returns."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mockapi import errors, rendering
from mockapi.catalogue import ModelKind
from mockapi.generators import images as generate
from mockapi.pipeline import Answer, JSONReply, Produce, exchange_of, require_model, run, state_of
from mockapi.routing import FormReader, Resource
from mockapi.wire import Rendered

if TYPE_CHECKING:
    from PIL import Image

from mockapi.schemas.images import (
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    ImageOptions,
    ImagesResponse,
    Upload,
    too_large,
    upload_refused,
)

router = Resource("images")

IMAGE_KINDS: tuple[ModelKind, ...] = ("image",)
IMAGE_ID_PREFIX = "img-"
EDIT_FILES = ("image", "mask")
VARIATION_FILES = ("image",)
# The text fields are prompt, model, n, size, response_format and user; a prompt is at most 1000
# characters. More, or larger, is a malformed request rather than something to buffer.
MAX_TEXT_FIELDS = 8
MAX_TEXT_FIELD_BYTES = 64 * 1024

# One image per index of a request, from that index's generator.
Render = Callable[[Answer, int], "Image.Image"]


@router.post("/images/generations", endpoint="images.generations", body=CreateImageRequest, answers=(ImagesResponse,))
async def create_image(request: Request, body: CreateImageRequest) -> Rendered:
    require_model(request, body.model, IMAGE_KINDS)
    size = generate.parse_size(body.size)

    def render(answer: Answer, index: int) -> Image.Image:
        return generate.paint(answer.content or body.prompt, size, answer.rng(index))

    exchange_body = {"prompt": body.prompt, **body.options(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.prompt)
    # Images depend on what they show, not how they are delivered: no response_format or n in the seed,
    # so url and b64_json give the same bytes and image i is the same whatever n is.
    seed = {"prompt": body.prompt, "size": body.size}
    return await run(request, exchange, _producer(request, body, render), seed_body=seed)


def _form(model: type[BaseModel], file_fields: Collection[str]) -> FormReader:
    @asynccontextmanager
    async def read_form(request: Request) -> AsyncIterator[dict[str, Any]]:
        yield await _form_fields(request, model, file_fields)

    return read_form


@router.post(
    "/images/edits",
    endpoint="images.edits",
    body=CreateImageEditRequest,
    form=_form(CreateImageEditRequest, EDIT_FILES),
    answers=(ImagesResponse,),
)
async def create_image_edit(request: Request, body: CreateImageEditRequest) -> Rendered:
    require_model(request, body.model, IMAGE_KINDS)
    size = generate.parse_size(body.size)
    mask = body.mask.image if body.mask else None

    def render(answer: Answer, index: int) -> Image.Image:
        return generate.edit(body.image.image, mask, answer.content or body.prompt, size, answer.rng(index))

    # Rules match an upload's filename as the text, as for variations and audio; the prompt is in the body.
    exchange_body = {**body.exchange_body(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.image.filename)
    seed = {
        "prompt": body.prompt,
        "size": body.size,
        "image": body.image.sha256,
        "mask": body.mask.sha256 if body.mask else None,
    }
    return await run(request, exchange, _producer(request, body, render), seed_body=seed)


@router.post(
    "/images/variations",
    endpoint="images.variations",
    body=CreateImageVariationRequest,
    form=_form(CreateImageVariationRequest, VARIATION_FILES),
    answers=(ImagesResponse,),
)
async def create_image_variation(request: Request, body: CreateImageVariationRequest) -> Rendered:
    require_model(request, body.model, IMAGE_KINDS)
    size = generate.parse_size(body.size)

    def render(answer: Answer, index: int) -> Image.Image:
        return generate.vary(body.image.image, size, answer.rng(index))

    exchange_body = {**body.exchange_body(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.image.filename)
    seed = {"size": body.size, "image": body.image.sha256}
    return await run(request, exchange, _producer(request, body, render), seed_body=seed)


# Served like a pre-signed link: no key. HEAD too, as for any stored object link (link checkers, `curl -I`).
@router.get("/images/files/{name}", name="image_file", public=True, media_types=("image/png",))
@router.route("HEAD", "/images/files/{name}", name="image_file_head", public=True)
async def image_file(request: Request) -> Rendered:
    name = request.path_params["name"]
    image_id, _, extension = name.rpartition(".")
    # In a worker thread: the store may be a directory that several processes share.
    data = await asyncio.to_thread(state_of(request).images.get, image_id) if extension == "png" else None
    if data is None:
        raise errors.image_not_found(name)
    return rendering.raw(data, "image/png")


async def _form_fields(request: Request, model: type[BaseModel], file_fields: Collection[str]) -> dict[str, Any]:
    """The multipart fields of `model`, the `file_fields` parts read into memory once their spooled size
    is known to be under the limit; every spooled part is closed (deleted) on the way out, accepted or not."""
    fields: dict[str, Any] = {}
    text_fields = set(model.model_fields) - set(file_fields)
    # Starlette refuses more parts than these (400) while parsing, before anything is spooled for them. One
    # file part more than the route takes, so that a text field sent as a file is refused by its name.
    limits = {"max_files": len(file_fields) + 1, "max_fields": MAX_TEXT_FIELDS, "max_part_size": MAX_TEXT_FIELD_BYTES}
    async with request.form(**limits) as form:
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile):
                fields[key] = value
            elif key in text_fields:
                raise errors.file_for_text_field(key)
            elif key not in file_fields:
                fields[key] = Upload(value.filename, b"")  # unread: validation refuses the unknown field
            elif value.size is not None and too_large(value.size):
                raise upload_refused(key)
            else:
                fields[key] = Upload(value.filename, await value.read())
    return fields


def _producer(request: Request, body: ImageOptions, render: Render) -> Produce:
    async def produce(answer: Answer) -> JSONReply:
        # Painting, encoding and storing are CPU and disk work: off the event loop, so other requests flow.
        items = await asyncio.to_thread(
            lambda: [_item(request, body, _png(answer, render, index)) for index in range(body.n)]
        )
        return JSONReply({"created": answer.now(), "data": items})

    return produce


def _png(answer: Answer, render: Render, index: int) -> bytes:
    """A rule's image file as it is (a recorded image, byte for byte), else the image painted."""
    respond = answer.respond
    if respond is not None and respond.files is not None:
        return respond.file_bytes(index)
    return generate.encode_png(render(answer, index))


def _item(request: Request, body: ImageOptions, png: bytes) -> dict[str, str]:
    if body.response_format == "b64_json":
        return {"b64_json": base64.b64encode(png).decode("ascii")}
    state = state_of(request)
    image_id = state.seeding.next_id(IMAGE_ID_PREFIX)
    state.images.put(image_id, png)
    # Built from the request's own host, so the link works behind port mapping and proxies.
    return {"url": str(request.url_for("image_file", name=f"{image_id}.png"))}


def _user(body: ImageOptions) -> dict[str, str]:
    return {"user": body.user} if body.user is not None else {}
