"""The web page in a real headless Chromium (Debian's package), driven by Playwright."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.e2e

CHROMIUM = "/usr/bin/chromium"
# Offline machine: without these Chromium keeps trying to reach Google's services.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def page(start_server, models_dir, tmp_path):
    """A Chromium page on the running service; fails (never skips) when Chromium is missing."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium package (sudo apt-get install chromium); "
            "make test installs it when run as root"
        )
    from playwright.sync_api import sync_playwright

    base = start_server(models_dir)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 1100})
        tab = context.new_page()
        tab.requests = []
        tab.on("request", lambda request: tab.requests.append(request.url))
        tab.goto(base)
        tab.base = base
        yield tab
        context.close()
        browser.close()


def test_type_a_posting_and_see_label_and_evidence(page, samples, tmp_path):
    """Typing a posting and submitting shows its label, a probability bar, and its evidence marked in the text."""
    sample = next(s for s in samples if s["label"] == "ml_engineer" and s["kind"] == "posting")
    page.fill("#text", sample["text"])
    page.click("#submit")
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#label") == "ML engineer"
    assert page.inner_text("#lean").endswith("lean")
    marks = page.locator("#highlighted mark")
    assert marks.count() >= 3
    marked = marks.all_inner_texts()
    assert all(m in sample["text"] for m in marked) and any("deploy" in m.lower() for m in marked)
    assert page.inner_text("#highlighted") == sample["text"]  # highlighting keeps the text whole
    width = page.eval_on_selector("#bar-b", "el => el.getBoundingClientRect().width")
    total = page.eval_on_selector("#bar", "el => el.getBoundingClientRect().width")
    assert width > total / 2  # ml_engineer is the second label; its share fills most of the bar
    page.screenshot(path=str(tmp_path / "page-text.png"), full_page=True)
    assert all(url.startswith(page.base) for url in page.requests)  # nothing fetched from a CDN


def test_upload_a_docx(page, samples, make_docx, tmp_path):
    """Choosing a DOCX classifies its text and says how many characters were extracted."""
    sample = next(s for s in samples if s["label"] == "data_scientist" and s["kind"] == "resume")
    data = make_docx(sample["text"], title="Resume")
    page.set_input_files(
        "#file",
        files=[
            {
                "name": "resume.docx",
                "buffer": data,
                "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            }
        ],
    )
    page.wait_for_selector("#result:not([hidden])")
    assert page.inner_text("#label") == "Data scientist"
    assert "characters extracted from resume.docx" in page.inner_text("#source")
    assert page.locator("#highlighted mark").count() >= 1
    assert page.inner_text("#highlighted").startswith("Resume\n")
    page.screenshot(path=str(tmp_path / "page-docx.png"), full_page=True)


def test_errors_are_shown_to_the_person(page, tmp_path):
    """An unreadable upload shows the service's message, not a blank page."""
    page.set_input_files(
        "#file", files=[{"name": "scan.png", "buffer": b"\x89PNG\r\n\x1a\n" + bytes(32), "mimeType": "image/png"}]
    )
    page.wait_for_selector("#error:not([hidden])")
    assert "PNG image" in page.inner_text("#error") and page.is_hidden("#result")


def test_api_docs_render_offline_under_the_strict_csp(page):
    """/docs renders Swagger UI with our operations from local files only, without a CSP violation."""
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.requests.clear()
    page.goto(page.base + "/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path")
    assert "RoleLens" in page.inner_text(".swagger-ui .info .title")
    paths = page.locator(".swagger-ui .opblock-summary-path").all_inner_texts()
    assert {"/classify", "/classify/batch", "/classify/file"} <= {p.strip().replace("\u200b", "") for p in paths}
    assert page.requests and all(url.startswith(page.base) for url in page.requests)  # nothing from a CDN
    assert not [m for m in console if "Content Security Policy" in m], console


def test_a_posting_of_other_work_is_shown_out_of_scope(page, samples, tmp_path):
    """A posting of other work says plainly that it is out of scope; a role posting says it is in scope."""
    page.fill(
        "#text",
        "Staff Accountant wanted. You will prepare month-end close and journal entries, reconcile bank accounts, "
        "process accounts payable and support the annual audit. CPA and QuickBooks experience required.",
    )
    page.click("#submit")
    page.wait_for_selector("#scope.out:not([hidden])")
    assert page.inner_text("#scope").startswith("Out of scope: this text is not about data science or ML work")
    assert page.inner_text("#lean") == "slight lean"
    page.screenshot(path=str(tmp_path / "page-out-of-scope.png"), full_page=True)
    page.fill("#text", next(s["text"] for s in samples if s["label"] == "data_scientist"))
    page.click("#submit")
    page.wait_for_selector("#scope.in")
    assert page.inner_text("#scope").startswith("In scope")


def test_a_colleague_role_name_is_marked_apart_and_the_console_stays_clean(page):
    """A role name naming a colleague is marked as weighing nothing, not as support; the page logs no error."""
    console = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.reload()
    page.fill("#text", "Led a team of data scientists; as ML engineer I built model serving and CI/CD.")
    page.select_option("#kind", "resume")
    page.click("#submit")
    page.wait_for_selector("#result:not([hidden])")
    colleague = page.locator("#highlighted mark.colleague")
    assert colleague.all_inner_texts() == ["data scientists"]
    assert "colleague" in colleague.get_attribute("title")
    assert "ML engineer" in page.locator("#highlighted mark.role-b").all_inner_texts()
    assert not console, console
