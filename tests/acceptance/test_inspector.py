"""The inspector at /__mockapi/ui in a real headless browser (Debian's Chromium driven by Playwright): the
journal live, expanding a row, filters, the token asked for and a wrong one refused."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
import yaml

from tests.support import API_KEY, ServerProcess

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"Chromium is not installed ({CHROMIUM})")

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    opened = context.new_page()
    opened.console_errors = []
    opened.on("console", lambda message: message.type == "error" and opened.console_errors.append(message.text))
    opened.on("pageerror", lambda error: opened.console_errors.append(str(error)))
    yield opened
    context.close()


def _sdk(server: ServerProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)


def _ask(server: ServerProcess, text: str, model: str = "gpt-4o-mini") -> str:
    answer = _sdk(server).chat.completions.create(model=model, messages=[{"role": "user", "content": text}])
    return answer.choices[0].message.content or ""


def test_a_request_appears_live_and_expands_to_its_body(start_server: Callable[..., ServerProcess], page: Any) -> None:
    server = start_server()
    page.goto(server.url + "/__mockapi/ui")
    page.wait_for_selector("#status:has-text('live')")
    _ask(server, "the first question of the inspector")
    started = time.monotonic()
    row = page.locator("tr.entry").first
    row.wait_for(timeout=1_000)
    assert time.monotonic() - started < 1.0
    cells = row.locator("td").all_inner_texts()
    assert cells[1:5] == ["POST", "/v1/chat/completions", "gpt-4o-mini", "200"]
    row.click()
    body = page.locator("tr.detail pre").first.inner_text()
    assert "the first question of the inspector" in body
    headers = page.locator("tr.detail pre").nth(1).inner_text()
    assert API_KEY not in headers and "authorization" in headers
    response = page.locator("tr.detail pre.response").inner_text()
    assert '"object": "chat.completion"' in response
    assert page.console_errors == []


def test_a_stream_shows_its_assembled_text_and_chunk_timeline(
    start_server: Callable[..., ServerProcess], page: Any
) -> None:
    server = start_server()
    page.goto(server.url + "/__mockapi/ui")
    page.wait_for_selector("#status:has-text('live')")
    chunks = list(
        _sdk(server).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "stream to the inspector"}], stream=True
        )
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    page.locator("tr.entry").first.click()
    assert page.locator("tr.detail pre.response").inner_text() == text
    timeline = page.locator("tr.detail pre.chunk").inner_text().splitlines()
    assert len(timeline) == len(chunks) + 1  # each chunk, then [DONE]
    offsets = [float(line.split("+")[1].split(" ")[0]) for line in timeline]
    assert offsets == sorted(offsets)
    journal = httpx.get(server.url + "/__mockapi/requests").json()["data"]
    assert len(journal[0]["response_parts"]) == len(timeline)
    assert page.console_errors == []


def test_entries_made_before_the_page_opened_are_replayed_and_filters_hide_the_others(
    start_server: Callable[..., ServerProcess], page: Any
) -> None:
    server = start_server()
    _ask(server, "kept under the session", model="gpt-4o")
    _sdk(server).embeddings.create(model="text-embedding-3-small", input="an embedding")
    page.goto(server.url + "/__mockapi/ui")
    page.wait_for_function("document.querySelectorAll('tr.entry').length === 2")
    page.fill("#f-path", "embeddings")
    page.wait_for_function("document.querySelectorAll('tr.entry').length === 1")
    assert page.locator("tr.entry td").nth(2).inner_text() == "/v1/embeddings"
    page.fill("#f-path", "")
    page.fill("#f-text", "kept under the session")
    page.wait_for_function("document.querySelectorAll('tr.entry').length === 1")
    assert page.locator("tr.entry td").nth(3).inner_text() == "gpt-4o"
    page.fill("#f-text", "")
    page.fill("#f-status", "4")
    page.wait_for_function("document.querySelectorAll('tr.entry').length === 0")
    page.fill("#f-status", "")
    page.click("#reset")
    page.wait_for_function("document.querySelectorAll('tr.entry').length === 0")
    assert httpx.get(server.url + "/__mockapi/requests").json()["data"] == []
    assert page.console_errors == []


def test_a_rule_made_from_a_request_answers_the_next_identical_one_and_counts_its_hits(
    start_server: Callable[..., ServerProcess], page: Any
) -> None:
    server = start_server()
    page.goto(server.url + "/__mockapi/ui")
    page.wait_for_selector("#status:has-text('live')")
    question = "what does the inspector's rule say?"
    generated = _ask(server, question)
    page.locator("tr.entry").first.click()
    page.click("tr.detail button.make-rule")
    editor = page.locator("textarea.rule-yaml")
    editor.wait_for()
    proposed = editor.input_value()
    assert f"text: {question}" in proposed and "endpoint: chat.completions" in proposed
    (rule,) = yaml.safe_load(proposed)
    assert rule["respond"] == {"content": generated}  # the answer the request got, to edit
    rule["respond"]["content"] = "Answered by the rule made in the inspector"
    editor.fill(yaml.safe_dump([rule], sort_keys=False))
    page.click("button.add-rule")
    page.wait_for_selector("tr.detail .note:has-text('added inspector-chat.completions-')")
    rule_id = page.locator("tr.detail .note").inner_text().removeprefix("added ")
    assert page.locator(f"#rules li[data-id='{rule_id}']").get_attribute("data-hits") == "0"

    assert generated != "Answered by the rule made in the inspector"
    assert _ask(server, question) == "Answered by the rule made in the inspector"
    assert _ask(server, "another question") != "Answered by the rule made in the inspector"
    journal = httpx.get(server.url + "/__mockapi/requests").json()["data"]
    assert [entry["rule_id"] for entry in journal] == [None, rule_id, None]
    page.wait_for_selector(f"#rules li[data-id='{rule_id}'][data-hits='1']", timeout=2_000)
    rules = {rule["id"]: rule for rule in httpx.get(server.url + "/__mockapi/rules").json()["data"]}
    assert rules[rule_id]["hits"] == 1 and rules[rule_id]["source"] == "runtime"
    assert page.locator("#rate-chart polyline.series[data-path='/v1/chat/completions']").count() == 1
    assert page.console_errors == []


def test_the_page_asks_for_the_control_token_and_refuses_a_wrong_one(
    start_server: Callable[..., ServerProcess], page: Any
) -> None:
    server = start_server("--control-token", "s3cret-control")
    refused = httpx.get(server.url + "/__mockapi/requests/stream")
    assert refused.status_code == 401
    page.goto(server.url + "/__mockapi/ui")
    page.wait_for_selector("#token-form", state="visible")
    page.fill("#token", "wrong")
    page.click("#token-form button")
    page.wait_for_selector("#token-error:has-text('refused')")
    assert page.locator("tr.entry").count() == 0
    page.fill("#token", "s3cret-control")
    page.click("#token-form button")
    page.wait_for_selector("#status:has-text('live')")
    assert page.evaluate("sessionStorage.getItem('mockapi-control-token')") == "s3cret-control"
    _ask(server, "asked once the token is given")
    page.locator("tr.entry").first.wait_for(timeout=1_000)


def test_no_page_without_the_control_api(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server("--no-control")
    assert httpx.get(server.url + "/__mockapi/ui").status_code == 404
    assert httpx.get(server.url + "/__mockapi/requests/stream").status_code == 404
