"""The pure parts of /v1/files: list pages and the fine-tune format check."""

from __future__ import annotations

import io

import pytest

from mockapi.files_store import StoredFile
from mockapi.generators.files import MAX_LINE_BYTES, file_object, fine_tune_problem, list_page
from mockapi.schemas.files import ListFilesParams

FILES = [
    StoredFile(f"file-{i}", "org", f"{i}.jsonl", "search" if i % 2 else "fine-tune", i, created_at, i)
    for i, created_at in enumerate([10, 30, 20, 20, 40])
]


def ids(page: dict[str, object]) -> list[str]:
    data = page["data"]
    assert isinstance(data, list)
    return [item["id"] for item in data]


def test_file_object_has_every_field_of_the_reference() -> None:
    assert file_object(FILES[1]) == {
        "id": "file-1",
        "object": "file",
        "bytes": 1,
        "created_at": 30,
        "filename": "1.jsonl",
        "purpose": "search",
        "status": "uploaded",
        "status_details": None,
    }


def test_list_is_newest_first_with_ties_in_insertion_order() -> None:
    page = list_page(FILES, ListFilesParams())
    assert ids(page) == ["file-4", "file-1", "file-3", "file-2", "file-0"]
    assert page["object"] == "list" and page["has_more"] is False
    assert ids(list_page(FILES, ListFilesParams(order="asc"))) == ["file-0", "file-2", "file-3", "file-1", "file-4"]


def page_after(file_id: str, **params: object) -> dict[str, object]:
    position = next(f.position for f in FILES if f.id == file_id)
    return list_page(FILES, ListFilesParams(after=file_id, **params), position)


def test_limit_after_and_purpose_page_through_everything() -> None:
    first = list_page(FILES, ListFilesParams(limit=2))
    assert ids(first) == ["file-4", "file-1"] and first["has_more"] is True
    rest = page_after("file-1", limit=2)
    assert ids(rest) == ["file-3", "file-2"] and rest["has_more"] is True
    last = page_after("file-2", limit=2)
    assert ids(last) == ["file-0"] and last["has_more"] is False
    assert ids(page_after("file-4", purpose="search")) == ["file-1", "file-3"]
    assert ids(page_after("file-3", order="asc")) == ["file-1", "file-4"]


def test_a_page_after_a_deleted_file_resumes_where_it_was() -> None:
    remaining = [f for f in FILES if f.id != "file-3"]
    page = list_page(remaining, ListFilesParams(limit=2), FILES[3].position)
    assert ids(page) == ["file-2", "file-0"] and page["has_more"] is False
    assert ids(list_page(remaining, ListFilesParams(order="asc"), FILES[3].position)) == ["file-1", "file-4"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": "c", "completion": "d"}', None),
        (b'{"prompt": "a", "completion": "b"}\r\n{"prompt": "c", "completion": "d"}\r\n', None),
        # Blank lines may end the file, not come between examples.
        (b'{"prompt": "a", "completion": "b"}\n\n \r\n\t\n', None),
        (b'{"prompt": "a", "completion": "b"}\n\n  \n{"prompt": "c", "completion": "d"}', "Line 2 is empty"),
        (b'\n{"prompt": "a", "completion": "b"}\n', "Line 1 is empty (only the end of the file may have blank"),
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": "a"}\n', "Missing `completion` key on line 2."),
        (b'{"completion": "b"}\n', "Missing `prompt` key on line 1."),
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": 7, "completion": "b"}', "`prompt` value on line 2 is not"),
        (
            b'{"prompt": "a", "completion": "b"}\n[1, 2]\n',
            'Line 2 is not a dictionary (HINT: line starts with: "[1,...").',
        ),
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": "a",\n', "Line 2 is not a dictionary"),
        (b"\xff\xfe{}\n", "Line 1 is not a dictionary"),
        (b"\n \n", "The file has no examples."),
    ],
)
def test_fine_tune_check_names_the_first_bad_line(content: bytes, problem: str | None) -> None:
    found = fine_tune_problem(io.BytesIO(content))
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


class CountingReads(io.BytesIO):
    """Records the largest piece asked for at once."""

    largest = 0

    def readline(self, size: int | None = -1) -> bytes:
        line = super().readline(size)
        self.largest = max(self.largest, len(line))
        return line

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the check reads lines with a bound, never the whole file")


def example(prompt_bytes: int) -> bytes:
    return b'{"prompt": "' + b"p" * prompt_bytes + b'", "completion": "c"}'


def test_a_line_over_the_limit_is_refused_without_reading_it_whole() -> None:
    fits = example(MAX_LINE_BYTES - 40)
    assert len(fits) <= MAX_LINE_BYTES
    assert fine_tune_problem(io.BytesIO(fits + b"\n" + fits)) is None
    source = CountingReads(fits + b"\n" + example(3 * MAX_LINE_BYTES) + b"\n" + fits)
    assert fine_tune_problem(source) == (
        "Expected file to have JSONL format, where every line is a valid JSON dictionary. "
        f"Line 2 is longer than the maximum of {MAX_LINE_BYTES} bytes."
    )
    assert source.largest == MAX_LINE_BYTES + 1
    # One huge line and nothing else, as the whole file.
    assert "Line 1 is longer" in str(fine_tune_problem(CountingReads(example(2 * MAX_LINE_BYTES))))
