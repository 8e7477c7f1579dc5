"""Writes docs/inspector.png: the inspector after a few requests, one expanded with a rule proposed.

Run from the checkout: `.venv/bin/python docs/inspector_screenshot.py` (needs /usr/bin/chromium).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import openai
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import API_KEY, ServerProcess  # noqa: E402


def main() -> None:
    with ServerProcess() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(server.url + "/__mockapi/ui")
        page.wait_for_selector("#status:has-text('live')")
        client = openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0)
        for question in ("What is the capital of France?", "Write a haiku about tests", "Say hello"):
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
        client.embeddings.create(model="text-embedding-3-small", input="an embedding")
        with contextlib.suppress(openai.NotFoundError):
            client.chat.completions.create(model="no-such-model", messages=[{"role": "user", "content": "hi"}])
        page.wait_for_function("document.querySelectorAll('tr.entry').length === 5")
        page.locator("tr.entry").nth(2).click()
        page.click("tr.detail button.make-rule")
        page.locator("textarea.rule-yaml").wait_for()
        page.wait_for_timeout(700)  # the charts' next redraw
        page.screenshot(path=str(ROOT / "docs" / "inspector.png"), full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
