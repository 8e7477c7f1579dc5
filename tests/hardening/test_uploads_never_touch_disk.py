"""Uploaded filenames are never used as paths: however a name is spelled, no file of that name appears,
and the server's spool directory holds nothing once requests are answered."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import httpx
from PIL import Image

from tests.support import API_KEY, ServerProcess


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (16, 16)).save(out, "PNG")
    return out.getvalue()


def _names(marker: str, extension: str) -> list[str]:
    return [
        f"../../../../../../../../tmp/{marker}-up.{extension}",
        f"/tmp/{marker}-absolute.{extension}",
        f"{marker}-plain.{extension}",
        f"sub/dir/{marker}-nested.{extension}",
        f"..\\..\\{marker}-windows.{extension}",
    ]


def test_uploaded_filenames_never_become_files(start_server: Callable[..., ServerProcess], tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    # tiktoken keeps its own cache under TMPDIR unless told otherwise: not an upload, kept apart.
    process = start_server(env={"TMPDIR": str(spool), "TIKTOKEN_CACHE_DIR": str(tmp_path / "tiktoken")})
    marker = f"mockapi-upload-{os.getpid()}-{process.port}"
    headers = {"Authorization": f"Bearer {API_KEY}"}
    png = _png()
    # Over a megabyte: the multipart parser spools it to a temporary file rather than memory.
    big_audio = bytes(1_500_000)
    answered = []
    with httpx.Client(base_url=process.url, headers=headers, timeout=30) as client:
        for name in _names(marker, "mp3"):
            for path in ("/v1/audio/transcriptions", "/v1/audio/translations"):
                response = client.post(path, files={"file": (name, big_audio)}, data={"model": "whisper-1"})
                answered.append(response.status_code)
        for name in _names(marker, "png"):
            files = {"image": (name, png)}
            response = client.post("/v1/images/variations", files=files, data={"size": "256x256", "n": "1"})
            answered.append(response.status_code)
            files = {"image": (name, png), "mask": (name, png)}
            response = client.post("/v1/images/edits", files=files, data={"prompt": "x", "size": "256x256"})
            answered.append(response.status_code)
    assert answered == [200] * len(answered)
    places = [Path("/tmp"), Path.cwd(), Path.cwd().parent, tmp_path, spool]
    found = [
        str(p) for place in places for p in place.glob(f"**/{marker}*" if place in (tmp_path, spool) else f"{marker}*")
    ]
    assert found == []
    assert list(spool.iterdir()) == []
