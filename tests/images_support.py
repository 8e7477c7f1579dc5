"""PNG (and not-PNG) inputs for the images tests, made with pillow."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

MiB = 1024 * 1024


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()
    return image


def checkerboard(size: int, mode: str = "RGB", cell: int = 16) -> Image.Image:
    """A non-uniform picture, so shifted or recoloured copies of it differ from it."""
    image = Image.new(mode, (size, size), (200, 40, 40, 255)[: len(mode)])
    for y in range(0, size, cell):
        for x in range((y // cell) % 2 * cell, size, 2 * cell):
            image.paste((30, 90, 220, 255)[: len(mode)], (x, y, x + cell, y + cell))
    return image


def with_transparent_square(image: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    """An RGBA copy whose pixels inside `box` are fully transparent (the area an edit may change)."""
    rgba = image.convert("RGBA")
    rgba.paste((0, 0, 0, 0), box)
    return rgba


def padded_png(data: bytes, total: int) -> bytes:
    """A still-valid PNG of exactly `total` bytes: a private ancillary chunk inserted before IEND."""
    payload = b"\0" * (total - len(data) - 12)
    chunk_type = b"prVt"
    chunk = struct.pack(">I", len(payload)) + chunk_type + payload + struct.pack(">I", zlib.crc32(chunk_type + payload))
    padded = data[:-12] + chunk + data[-12:]
    assert len(padded) == total
    return padded


RED = (255, 0, 0)
BLUE = (0, 0, 255)


def halves(size: int, split: str = "vertical") -> Image.Image:
    """Red on one side, blue on the other: a layout a derived image can be recognised by."""
    image = Image.new("RGB", (size, size), RED)
    box = (size // 2, 0, size, size) if split == "vertical" else (0, size // 2, size, size)
    image.paste(BLUE, box)
    return image


def palette_with_transparent_square(size: int, box: tuple[int, int, int, int]) -> bytes:
    """A palette PNG whose transparency is a tRNS entry (index 2), not an alpha channel."""
    image = Image.new("P", (size, size), 0)
    image.putpalette([200, 40, 40, 30, 90, 220, 0, 0, 0])
    image.paste(1, (0, 0, size // 2, size))
    image.paste(2, box)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=2)
    return buffer.getvalue()
