"""POST /v1/images/generations (JSON), /v1/images/edits and /v1/images/variations (multipart), and
GET /v1/images/files/{id}.png, the unauthenticated, expiring links that `response_format=url` returns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from starlette.datastructures import UploadFile
from starlette.requests import Request

from mockapi import errors, rendering
from mockapi import image_answers as answers
from mockapi.catalogue import ModelKind
from mockapi.generators import images as generate
from mockapi.pipeline import Answer, exchange_of, require_model, run, state_of
from mockapi.routing import FormReader, Resource
from mockapi.schemas.image_rules import DEFAULT_MODEL, image_model_of
from mockapi.schemas.image_uploads import MAX_GPT_UPLOAD_BYTES
from mockapi.schemas.images import (
    MAX_INPUT_IMAGES,
    CreateImageEditRequest,
    CreateImageRequest,
    CreateImageVariationRequest,
    ImageOptions,
    ImagesResponse,
    ImageStreamEvent,
    Upload,
    too_large,
    upload_refused,
)
from mockapi.wire import Rendered

if TYPE_CHECKING:
    from PIL import Image

router = Resource("images")

IMAGE_KINDS: tuple[ModelKind, ...] = ("image",)
EDIT_FILES = ("image", "mask")
VARIATION_FILES = ("image",)
# The text fields are prompt, model, n, size, response_format and user; a prompt is at most 1000
# characters. More, or larger, is a malformed request rather than something to buffer. The GPT image
# models' edits take today's options too, and up to 16 images.
MAX_TEXT_FIELDS = 8
MAX_TODAY_FIELDS = 16
MAX_TEXT_FIELD_BYTES = 64 * 1024
MAX_FILE_PARTS = MAX_INPUT_IMAGES + len(EDIT_FILES)


def _catalogue(request: Request) -> dict[str, Any]:
    """The validation context: the request models check what the model asked for accepts."""
    return {"catalogue": state_of(request).catalogue}


@router.post(
    "/images/generations",
    endpoint="images.generations",
    body=CreateImageRequest,
    answers=(ImagesResponse,),
    events=ImageStreamEvent,
    context=_catalogue,
)
async def create_image(request: Request, body: CreateImageRequest) -> Rendered:
    entry = require_model(request, body.model, IMAGE_KINDS)
    model = image_model_of(body.model, entry)
    exchange_body = {"prompt": body.prompt, **body.options(), **body.today(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.prompt)
    if model.legacy:
        size = generate.parse_size(body.size)

        def render(answer: Answer, index: int) -> Image.Image:
            return generate.paint(answer.content or body.prompt, size, answer.rng(index))

        # Images depend on what they show, not how they are delivered: no response_format or n in the seed,
        # so url and b64_json give the same bytes and image i is the same whatever n is.
        seed: dict[str, Any] = {"prompt": body.prompt, "size": body.size}
        return await run(request, exchange, answers.legacy(request, body, render), seed_body=seed)
    if not model.gpt_image:
        seed = {"model": body.model, "prompt": body.prompt, "size": body.size}
        seed.update(quality=body.quality, style=body.style)
        produce = answers.dall_e_3(request, body, body.prompt, body.style)
        return await run(request, exchange, produce, seed_body=seed)
    made = answers.resolve(model, body, body.prompt)
    seed = {"model": body.model, "prompt": body.prompt, **made.describe()}
    produce = answers.gpt_image(body, made, body.prompt, answers.painter(body.prompt))
    return await run(request, exchange, produce, seed_body=seed)


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
    events=ImageStreamEvent,
    context=_catalogue,
)
async def create_image_edit(request: Request, body: CreateImageEditRequest) -> Rendered:
    entry = require_model(request, body.model, IMAGE_KINDS)
    model = image_model_of(body.model, entry)
    mask = body.mask.image if body.mask else None
    # Rules match an upload's filename as the text, as for variations and audio; the prompt is in the body.
    exchange_body = {**body.exchange_body(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.images[0].filename)
    seed: dict[str, Any] = {
        "prompt": body.prompt,
        "size": body.size,
        "image": body.images[0].sha256 if not isinstance(body.image, list) else [i.sha256 for i in body.image],
        "mask": body.mask.sha256 if body.mask else None,
    }
    if not isinstance(body.image, list):
        size = generate.parse_size(body.size)
        source = body.image.image

        def render(answer: Answer, index: int) -> Image.Image:
            return generate.edit(source, mask, answer.content or body.prompt, size, answer.rng(index))

        return await run(request, exchange, answers.legacy(request, body, render), seed_body=seed)
    sources = [upload.image for upload in body.image]
    made = answers.resolve(model, body, body.prompt, sources[0].size)
    seed.update(model=body.model, **made.describe())
    inputs = [image.size for image in sources]
    produce = answers.gpt_image(body, made, body.prompt, answers.composer(sources, mask, body.prompt), inputs)
    return await run(request, exchange, produce, seed_body=seed)


@router.post(
    "/images/variations",
    endpoint="images.variations",
    body=CreateImageVariationRequest,
    form=_form(CreateImageVariationRequest, VARIATION_FILES),
    answers=(ImagesResponse,),
    context=_catalogue,
)
async def create_image_variation(request: Request, body: CreateImageVariationRequest) -> Rendered:
    require_model(request, body.model, IMAGE_KINDS)
    size = generate.parse_size(body.size)

    def render(answer: Answer, index: int) -> Image.Image:
        return generate.vary(body.image.image, size, answer.rng(index))

    exchange_body = {**body.exchange_body(), **_user(body)}
    exchange = exchange_of(request, exchange_body, body.model, body.image.filename)
    seed = {"size": body.size, "image": body.image.sha256}
    return await run(request, exchange, answers.legacy(request, body, render), seed_body=seed)


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
    is known to be under the limit; every spooled part is closed (deleted) on the way out, accepted or not.
    The 2023 model takes one file part more than the route has (so that a text field sent as a file is
    refused by its name) and 8 text fields; a GPT image model's edit takes up to 16 images (`image` or
    `image[]`, repeated) and today's options."""
    fields: dict[str, Any] = {}
    text_fields = set(model.model_fields) - set(file_fields)
    # Starlette refuses more parts than these (400) while parsing, before anything is spooled for them.
    limits = {"max_files": MAX_FILE_PARTS + 1, "max_fields": MAX_TODAY_FIELDS, "max_part_size": MAX_TEXT_FIELD_BYTES}
    async with request.form(**limits) as form:
        items = form.multi_items()
        many = "image" in file_fields and "mask" in file_fields and _edits_many(request, items)
        files = sum(1 for _, value in items if isinstance(value, UploadFile))
        file_limit = MAX_FILE_PARTS + 1 if many else len(file_fields) + 1
        if files > file_limit:
            raise errors.too_many_parts("files", file_limit)
        if len(items) - files > (MAX_TODAY_FIELDS if many else MAX_TEXT_FIELDS):
            raise errors.too_many_parts("fields", MAX_TODAY_FIELDS if many else MAX_TEXT_FIELDS)
        for key, value in items:
            if not isinstance(value, UploadFile):
                fields[key] = value
            elif key in text_fields:
                raise errors.file_for_text_field(key)
            elif many and key in ("image", "image[]"):
                if value.size is not None and value.size >= MAX_GPT_UPLOAD_BYTES:
                    raise errors.invalid_param("Invalid file 'image': images must be less than 50 MB.", "image")
                fields.setdefault("image", []).append(Upload(value.filename, await value.read()))
            elif key not in file_fields:
                fields[key] = Upload(value.filename, b"")  # unread: validation refuses the unknown field
            elif value.size is not None and too_large(value.size):
                raise upload_refused(key)
            else:
                fields[key] = Upload(value.filename, await value.read())
    return fields


def _edits_many(request: Request, items: list[tuple[str, Any]]) -> bool:
    """Whether the form's model is a GPT image model (which edits several images), from the catalogue."""
    name = next((value for key, value in items if key == "model" and isinstance(value, str)), DEFAULT_MODEL)
    entry = state_of(request).catalogue.find(name)
    return entry is not None and entry.kind == "image" and image_model_of(name, entry).gpt_image


def _user(body: ImageOptions) -> dict[str, str]:
    return {"user": body.user} if body.user is not None else {}
