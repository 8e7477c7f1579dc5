"""The text of an uploaded document as a vector store reads it, and its chunks.

Parsing follows the file type (its extension, as the API decides): the text and code formats file_search
takes are decoded (UTF-8, or UTF-16/UTF-8 with a byte order mark; HTML loses its tags), .docx and .pptx are
read from their XML parts. A type the API does not take is `unsupported_file`; a file of a taken type whose
bytes do not read as one (binary data named .txt, a corrupt .docx, PDF and legacy .doc, which this server
does not parse) is `invalid_file`; one past the API's 5,000,000 tokens is `invalid_file`, too large.

Chunks are windows of the text's tokens (cl100k_base, the embedding models' tokenizer): `max_tokens` long,
each starting `max_tokens - overlap` tokens after the one before, the last ending with the text. They are
kept as character spans of the text, cut on character boundaries.
"""

from __future__ import annotations

import html.parser
import io
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree import ElementTree

from mockapi import tokens

# The API's own strategy for `auto`, which it reports as this static one.
AUTO_MAX_TOKENS = 800
AUTO_OVERLAP_TOKENS = 400
MAX_FILE_TOKENS = 5_000_000
# Bytes read at most: a text of MAX_FILE_TOKENS tokens is well under this; a larger file is too large.
MAX_PARSED_BYTES = 64 * 1024 * 1024

TEXT_TYPES = frozenset(
    {".c", ".cpp", ".cs", ".css", ".go", ".html", ".java", ".js", ".json", ".md", ".php", ".py", ".rb", ".sh"}
    | {".tex", ".ts", ".txt"}
)
OFFICE_PARTS = {".docx": re.compile(r"word/document\.xml"), ".pptx": re.compile(r"ppt/slides/slide(\d+)\.xml")}
UNPARSED_TYPES = frozenset({".pdf", ".doc"})

UNSUPPORTED = ("unsupported_file", "The file type is not supported.")
INVALID = ("invalid_file", "The file could not be parsed.")
TOO_LARGE = ("invalid_file", "The file could not be parsed because it is too large.")


@dataclass(frozen=True)
class Parsed:
    text: str


@dataclass(frozen=True)
class Unparsable:
    """Why ingestion fails: the `last_error` code and message."""

    code: str
    message: str


def parse(filename: str, data: bytes) -> Parsed | Unparsable:
    """The document's text, or why it has none. `data` may stop at MAX_PARSED_BYTES + 1 bytes."""
    if len(data) > MAX_PARSED_BYTES:
        return Unparsable(*TOO_LARGE)
    kind = PurePosixPath(filename.lower()).suffix
    if kind in OFFICE_PARTS:
        text = _office_text(data, OFFICE_PARTS[kind])
    elif kind in TEXT_TYPES:
        text = _decoded(data)
        if text is not None and kind == ".html":
            text = _html_text(text)
    elif kind in UNPARSED_TYPES:
        text = None
    elif kind == "":  # no extension: a plain text file reads as one, anything else is of no known type
        text = _decoded(data)
        if text is None:
            return Unparsable(*UNSUPPORTED)
    else:
        return Unparsable(*UNSUPPORTED)
    if text is None:
        return Unparsable(*INVALID)
    return Parsed(text)


def _decoded(data: bytes) -> str | None:
    """Text in UTF-8 (a BOM dropped) or UTF-16 with its BOM; None for anything else (NUL bytes are binary)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in data:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


class _TextOfHTML(html.parser.HTMLParser):
    SKIPPED = frozenset({"script", "style"})
    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self._skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html_text(markup: str) -> str:
    reader = _TextOfHTML()
    reader.feed(markup)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _office_text(data: bytes, part: re.Pattern[str]) -> str | None:
    """The text runs of a .docx or .pptx (a zip of XML parts), a line per paragraph, slides in order."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = [name for name in archive.namelist() if part.fullmatch(name)]
            names.sort(key=lambda name: [int(n) for n in re.findall(r"\d+", name)])
            if not names:
                return None
            paragraphs: list[str] = []
            for name in names:
                root = ElementTree.fromstring(archive.read(name))
                for paragraph in root.iter():
                    if paragraph.tag.rpartition("}")[2] != "p":
                        continue
                    runs = [node.text or "" for node in paragraph.iter() if node.tag.rpartition("}")[2] == "t"]
                    if any(runs):
                        paragraphs.append("".join(runs))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError):
        return None
    return "\n".join(paragraphs)


@dataclass(frozen=True)
class Chunks:
    """Character spans of the text, in order, and the text's token count."""

    spans: list[tuple[int, int]]
    tokens: int


def chunk(text: str, max_tokens: int = AUTO_MAX_TOKENS, overlap: int = AUTO_OVERLAP_TOKENS) -> Chunks | Unparsable:
    """The text's chunks (none for a text of whitespace only), or too large past MAX_FILE_TOKENS tokens."""
    encoding = tokens.tokenizer_for("cl100k_base").encoding
    ids = encoding.encode_ordinary(text)
    if len(ids) > MAX_FILE_TOKENS:
        return Unparsable(*TOO_LARGE)
    if not text.strip():
        return Chunks([], len(ids))
    ends = [0, *itertools.accumulate(len(piece) for piece in encoding.decode_tokens_bytes(ids))]
    step = max_tokens - overlap
    windows: list[tuple[int, int]] = []
    for start in range(0, len(ids), step):
        end = min(start + max_tokens, len(ids))
        windows.append((start, end))
        if end == len(ids):
            break
    data = text.encode("utf-8")
    chars = _char_offsets(data, sorted({ends[t] for window in windows for t in window}))
    spans = [(chars[ends[start]], chars[ends[end]]) for start, end in windows]
    return Chunks(spans, len(ids))


def _char_offsets(data: bytes, byte_offsets: list[int]) -> dict[int, int]:
    """Each (ascending) byte offset of the UTF-8 text as a character offset, moved on to the next character
    when it falls inside one (a token may end within a character's bytes)."""
    found: dict[int, int] = {}
    chars = at = 0
    for offset in byte_offsets:
        boundary = offset
        while boundary < len(data) and data[boundary] & 0xC0 == 0x80:
            boundary += 1
        boundary = max(boundary, at)
        chars += len(data[at:boundary].decode("utf-8"))
        at = boundary
        found[offset] = chars
    return found
