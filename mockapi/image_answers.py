"""The images endpoints' answers for each kind of model: dall-e-2 as in 2023 (PNGs, by url or base64),
dall-e-3 (its styles and qualities, a `revised_prompt` per image), and the GPT image models (base64 in the
format asked, a transparent background when asked, the made image's description and `usage`, and with
`stream: true` partial images then the completed one, as named SSE events).

Painting and encoding are CPU work: producers run them in a worker thread, off the event loop.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from mockapi.generators import image_models as models
from mockapi.generators import images as paint
from mockapi.pipeline import Answer, JSONReply, Produce, Reply, StreamReply, state_of
from mockapi.schemas.image_rules import ImageModel
from mockapi.schemas.images import ImageOptions, TodayOptions

if TYPE_CHECKING:
    from PIL import Image

IMAGE_ID_PREFIX = "img-"

# One image per index of a request, from that index's generator.
Render = Callable[[Answer, int], "Image.Image"]


def recorded(answer: Answer, index: int) -> bytes | None:
    """A rule's image file as it is (a recorded image, byte for byte), when the rule gives `files`."""
    respond = answer.respond
    return respond.file_bytes(index) if respond is not None and respond.files is not None else None


def legacy(request: Request, body: ImageOptions, render: Render) -> Produce:
    """dall-e-2: PNGs by url or base64, nothing else."""

    async def produce(answer: Answer) -> JSONReply:
        items = await asyncio.to_thread(
            lambda: [
                _item(request, body, recorded(answer, index) or paint.encode_png(render(answer, index)))
                for index in range(body.n)
            ]
        )
        return JSONReply({"created": answer.now(), "data": items})

    return produce


def dall_e_3(request: Request, body: TodayOptions, prompt: str, style: str | None) -> Produce:
    """dall-e-3: its style's palette and its quality's detail, and the prompt as it would restate it."""
    size = paint.parse_size(body.size)
    detail = models.detail(body.quality or "standard")

    def one(answer: Answer, index: int) -> dict[str, str]:
        rng = answer.rng(index)
        revised = models.revised_prompt(prompt, style, rng)
        palette: paint.Style = "natural" if style == "natural" else "vivid"
        png = recorded(answer, index)
        if png is None:
            png = paint.encode_png(paint.paint(answer.content or prompt, size, rng, style=palette, detail=detail))
        return {**_item(request, body, png), "revised_prompt": revised}

    async def produce(answer: Answer) -> JSONReply:
        items = await asyncio.to_thread(lambda: [one(answer, index) for index in range(body.n)])
        return JSONReply({"created": answer.now(), "data": items})

    return produce


def _item(request: Request, body: ImageOptions, png: bytes) -> dict[str, str]:
    if body.response_format == "b64_json":
        return {"b64_json": base64.b64encode(png).decode("ascii")}
    state = state_of(request)
    image_id = state.seeding.next_id(IMAGE_ID_PREFIX)
    state.images.put(image_id, png)
    # Built from the request's own host, so the link works behind port mapping and proxies.
    return {"url": str(request.url_for("image_file", name=f"{image_id}.png"))}


# The GPT image models.


@dataclass(frozen=True)
class Made:
    """What a GPT image request makes, resolved from its `auto`s."""

    size: str
    quality: str
    background: str
    output_format: paint.OutputFormat
    compression: int

    def describe(self) -> dict[str, str]:
        return {
            "background": self.background,
            "output_format": self.output_format,
            "size": self.size,
            "quality": self.quality,
        }


def resolve(model: ImageModel, body: TodayOptions, prompt: str, first_input: tuple[int, int] | None = None) -> Made:
    size = body.size if "size" in body.model_fields_set else model.default_size()
    output_format = _OUTPUT_FORMATS.get(body.output_format or "png", "png")
    quality = body.quality if body.quality not in (None, "auto") else model.default_quality()
    return Made(
        models.resolve_size(size, prompt, first_input),
        str(quality),
        models.resolve_background(body.background, prompt, output_format),
        output_format,
        body.output_compression if body.output_compression is not None else 100,
    )


_OUTPUT_FORMATS: dict[str, paint.OutputFormat] = {"png": "png", "jpeg": "jpeg", "webp": "webp"}
# A GPT image request's painter: (answer, index, made) -> the final image.
GptRender = Callable[[Answer, int, Made], "Image.Image"]


def gpt_image(
    body: TodayOptions, made: Made, prompt: str, render: GptRender, input_sizes: Sequence[tuple[int, int]] = ()
) -> Produce:
    """Base64 images of the format asked; with `stream: true`, each image's partial renderings then the
    image itself as events (`image_generation.*` or `image_edit.*`)."""
    kind: models.StreamKind = "image_edit" if input_sizes else "image_generation"
    partial_images = (body.partial_images or 0) if body.stream else 0

    def usage(n: int) -> dict[str, Any]:
        return models.usage(
            prompt, made.size, made.quality, n=n, input_images=input_sizes, partial_images=partial_images
        )

    def encoded(image: Image.Image) -> str:
        return base64.b64encode(paint.encode(image, made.output_format, made.compression)).decode("ascii")

    def events(answer: Answer) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for index in range(body.n):
            final = render(answer, index, made)
            now = answer.now()
            for number, partial in enumerate(paint.partials(final, partial_images)):
                found.append(
                    models.partial_image_event(kind, encoded(partial), number, created_at=now, **made.describe())
                )
            found.append(
                models.completed_event(kind, encoded(final), created_at=now, **made.describe(), usage=usage(1))
            )
        return found

    async def produce(answer: Answer) -> Reply:
        if body.stream:
            found = await asyncio.to_thread(events, answer)
            return StreamReply(found, done=False, named=True, total_tokens=lambda: usage(body.n)["total_tokens"])

        def one(index: int) -> str:
            kept = recorded(answer, index)
            return base64.b64encode(kept).decode("ascii") if kept is not None else encoded(render(answer, index, made))

        images = await asyncio.to_thread(lambda: [one(i) for i in range(body.n)])
        data = [{"b64_json": image} for image in images]
        return JSONReply({"created": answer.now(), "data": data, **made.describe(), "usage": usage(body.n)})

    return produce


def painter(prompt: str) -> GptRender:
    """A generation's painting: the prompt's (or a rule's content's) picture at the made size and detail."""

    def render(answer: Answer, index: int, made: Made) -> Image.Image:
        size = paint.parse_size(made.size)
        transparent = made.background == "transparent"
        detail = models.detail(made.quality)
        return paint.paint(answer.content or prompt, size, answer.rng(index), detail=detail, transparent=transparent)

    return render


def composer(images: Sequence[Image.Image], mask: Image.Image | None, prompt: str) -> GptRender:
    """An edit's painting: the inputs composed, repainted where the mask says (or blended without one)."""

    def render(answer: Answer, index: int, made: Made) -> Image.Image:
        size = paint.parse_size(made.size)
        transparent = made.background == "transparent"
        detail = models.detail(made.quality)
        caption = answer.content or prompt
        return paint.compose(images, mask, caption, size, answer.rng(index), detail=detail, transparent=transparent)

    return render
