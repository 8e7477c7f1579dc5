"""What a vector store reads of an uploaded file: parsing by type, failures as last_error, token chunks."""

from __future__ import annotations

import io
import zipfile

from mockapi import tokens
from mockapi.generators.documents import Chunks, Parsed, Unparsable, chunk, parse


def docx(*paragraphs: str) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    xml = f'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}</w:body></w:document>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


def test_text_and_code_files_are_read_as_text() -> None:
    assert parse("notes.md", "# Title\ncafé".encode()) == Parsed("# Title\ncafé")
    assert parse("UPPER.TXT", b"\xef\xbb\xbfbom dropped") == Parsed("bom dropped")
    assert parse("wide.txt", "utf-16 text".encode("utf-16")) == Parsed("utf-16 text")
    assert parse("README", b"no extension, plain text") == Parsed("no extension, plain text")


def test_html_loses_its_tags_and_scripts() -> None:
    page = (
        b"<html><head><style>p{}</style><script>x()</script></head><body><h1>Heading</h1><p>Some &amp; text</p></body>"
    )
    assert parse("page.html", page) == Parsed("Heading\nSome & text")


def test_docx_paragraphs_are_lines() -> None:
    assert parse("report.docx", docx("First paragraph.", "Second one.")) == Parsed("First paragraph.\nSecond one.")


def test_unsupported_types_and_unreadable_files_fail_as_the_api_says() -> None:
    assert parse("archive.zip", b"PK\x03\x04") == Unparsable("unsupported_file", "The file type is not supported.")
    assert parse("blob", bytes(range(256))) == Unparsable("unsupported_file", "The file type is not supported.")
    assert parse("binary.txt", b"\x00\x01\x02") == Unparsable("invalid_file", "The file could not be parsed.")
    assert parse("latin1.txt", "caf\xe9".encode("latin-1")) == Unparsable(
        "invalid_file", "The file could not be parsed."
    )
    assert parse("broken.docx", b"not a zip") == Unparsable("invalid_file", "The file could not be parsed.")


def test_chunks_are_token_windows_that_overlap() -> None:
    text = " ".join(f"word{index}" for index in range(1000))
    found = chunk(text, 100, 50)
    assert isinstance(found, Chunks)
    encoding = tokens.tokenizer_for("cl100k_base").encoding
    assert found.tokens == len(encoding.encode_ordinary(text))
    pieces = [text[start:end] for start, end in found.spans]
    assert all(len(encoding.encode_ordinary(piece)) <= 101 for piece in pieces)
    assert pieces[0].startswith("word0 ") and pieces[-1].endswith("word999")
    first_end = found.spans[0][1]
    assert found.spans[1][0] < first_end  # the second starts inside the first
    assert len(found.spans) == -(-(found.tokens - 50) // 50)


def test_chunks_cut_on_character_boundaries() -> None:
    text = "日本語のテキスト。" * 300
    found = chunk(text, 100, 0)
    assert isinstance(found, Chunks)
    assert "".join(text[start:end] for start, end in found.spans) == text


def test_a_short_text_is_one_chunk_and_whitespace_none() -> None:
    assert chunk("just a few words") == Chunks([(0, 16)], 4)
    assert chunk("  \n ") == Chunks([], 2)
