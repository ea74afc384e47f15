"""The Streamlit app in a real headless Chromium: upload a file, ask, see sources; two sessions asking at once; the
management page; a follow-up answered through the rewrite; signing in with the app's password in a Chinese browser
(Chinese labels) and uploading."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES_KB, EXAMPLES_KB_ZH, REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)",
                allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENSHOTS = REPO / "tests" / "artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(indexes: Path, model: str | None, **settings: str) -> Iterator[str]:
    """`streamlit run apps/kb_qa.py` on a loopback port with a private indexes/, answering with `model` (a preset;
    None: ragkit's default) and other RAGKIT_APP_* `settings`; yields its URL."""
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("RAGKIT_APP_")}
    env.update({"RAGKIT_INDEXES": str(indexes), "HF_HUB_OFFLINE": "1", **({"RAGKIT_APP_MODEL": model} if model else {}),
                **{f"RAGKIT_APP_{key.upper()}": value for key, value in settings.items()}})
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "apps" / "kb_qa.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture()
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with the fast packaged model, on an empty indexes folder per test (each test creates its index
    through the "New index name" box, which shows only while no index exists)."""
    yield from _serve(tmp_path_factory.mktemp("indexes"), "gemma3-270m")


@pytest.fixture()
def server_default_model(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with ragkit's default model (Qwen2.5-1.5B): gemma3-270m pastes passages instead of answering in
    Chinese, so the guardrail quotes the document."""
    yield from _serve(tmp_path_factory.mktemp("indexes-zh"), None)


@pytest.fixture()
def server_with_password(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app behind a password (the browser's language picks the labels)."""
    yield from _serve(tmp_path_factory.mktemp("indexes-login"), "gemma3-270m", password=PASSWORD)


PASSWORD = "正确的 horse battery"


def _browser(language: str = "en-US") -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.add_argument(f"--lang={language}")
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1400,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@contextmanager
def _opened(url: str, last: str, seconds: float, language: str = "en-US") -> Iterator[tuple[webdriver.Chrome,
                                                                                           WebDriverWait]]:
    """A browser (in `language`) at the app and its wait (RAGKIT_BROWSER_WAIT overrides `seconds`); the page is
    saved as tests/artifacts/`last`.png whatever happens, then the browser quits."""
    SCREENSHOTS.mkdir(exist_ok=True)
    driver = _browser(language)
    try:
        driver.get(url)
        yield driver, WebDriverWait(driver, float(os.environ.get("RAGKIT_BROWSER_WAIT", seconds)))
    finally:
        driver.save_screenshot(str(SCREENSHOTS / f"{last}.png"))
        driver.quit()


def _sidebar(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.CSS_SELECTOR, "[data-testid='stSidebar']").text


def _new_index_with(driver: webdriver.Chrome, name: str, paths: list[Path], wait: WebDriverWait) -> None:
    """Create index `name` in the sidebar, upload the files and index them."""
    box = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[aria-label='New index name']")))
    box.send_keys(name)
    box.send_keys(Keys.ENTER)
    upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
    upload.send_keys("\n".join(str(path) for path in paths))
    wait.until(lambda d: all(path.name in _sidebar(d) for path in paths))
    button = wait.until(ec.element_to_be_clickable(
        (By.XPATH, "//*[@data-testid='stSidebar']//button[normalize-space()='Index']")))
    button.click()
    wait.until(lambda d: f"Indexed {len(paths)} of {len(paths)} files" in _sidebar(d))


def _click(driver: webdriver.Chrome, wait: WebDriverWait, xpath: str) -> None:
    wait.until(ec.element_to_be_clickable((By.XPATH, xpath))).click()


def _messages(driver: webdriver.Chrome) -> list:
    return driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")


def _ask(driver: webdriver.Chrome, question: str, wait: WebDriverWait) -> str:
    """Type a question into the chat input and return the label of the first source its answer cites, once the
    answer is complete."""
    before = len(_messages(driver))
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    wait.until(lambda d: len(_messages(d)) >= before + 2 and "model:" in _messages(d)[-1].text)
    return wait.until(lambda d: _messages(d)[-1].find_element(By.CSS_SELECTOR, "[data-testid='stExpander'] summary")).text


def test_upload_ask_and_screenshot_then_two_sessions_at_once(server: str):
    with _opened(server, "kb_qa-last", 240) as (driver, wait):
        _new_index_with(driver, "browser", [EXAMPLES_KB / "travel-policy.pdf"], wait)
        label = _ask(driver, "What is the daily meal allowance when travelling?", wait)
        driver.save_screenshot(str(SCREENSHOTS / "kb_qa.png"))
        assert "travel-policy.pdf" in label

    def session(question: str) -> str:
        browser = _browser()
        try:
            browser.get(server)
            wait = WebDriverWait(browser, 300)
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")))
            return _ask(browser, question, wait)
        finally:
            browser.quit()

    questions = ["How much is a hotel night in a capital city?", "Within how many days are expenses submitted?"]
    with ThreadPoolExecutor(2) as pool:
        labels = list(pool.map(session, questions))
    assert all("travel-policy.pdf" in label for label in labels), labels


def test_chinese_docx_upload_and_chinese_answer_with_its_source(server_default_model: str):
    with _opened(server_default_model, "kb_qa_zh-last", 300) as (driver, wait):
        _new_index_with(driver, "zh", [EXAMPLES_KB_ZH / "travel-expenses.docx"], wait)
        label = _ask(driver, "出差到省会城市，住宿每晚最多可以报销多少钱？", wait)
        answer = driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatMessage']")[-1].text
        driver.save_screenshot(str(SCREENSHOTS / "kb_qa_zh.png"))
        assert "travel-expenses.docx" in label
        assert "450" in answer and "住宿" in answer, answer
        assert "not supported by the documents" not in answer, answer  # the model's own answer, not a quote


def test_management_page_lists_deletes_and_reindexes(server: str):
    with _opened(server, "kb_qa_manage-last", 240) as (driver, wait):
        _new_index_with(driver, "manage", [EXAMPLES_KB / "onboarding.md", EXAMPLES_KB / "security.txt"], wait)
        _click(driver, wait, "//*[@data-testid='stSidebar']//label[.//p[normalize-space()='Manage files']]")
        table = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "[data-testid='stTable']")))
        rows = [row.text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert [row.split()[0] for row in rows] == ["onboarding.md", "security.txt"], rows
        assert all(int(row.split()[1]) > 0 for row in rows) and "/" not in table.text, rows
        driver.save_screenshot(str(SCREENSHOTS / "kb_qa_manage.png"))
        _click(driver, wait, "//button[normalize-space()='Delete file']")  # the first file is selected
        wait.until(lambda d: "Deleted onboarding.md" in d.find_element(By.TAG_NAME, "body").text)
        # The note can show before the rerun redraws the table: wait for the table's rows, redrawn or not.
        rows_now = WebDriverWait(driver, 60, ignored_exceptions=(StaleElementReferenceException,))
        rows_now.until(lambda d: [row.text.split()[0] for row in d.find_elements(
            By.CSS_SELECTOR, "[data-testid='stTable'] tbody tr")] == ["security.txt"])
        _click(driver, wait, "//button[normalize-space()='Re-index']")
        wait.until(lambda d: "Re-indexed: 0 files read, 1 unchanged" in d.find_element(By.TAG_NAME, "body").text)


def test_follow_up_is_answered_through_the_rewrite_shown_in_the_conversation(server_default_model: str):
    """With the default model: the follow-up names nothing; the rewrite (shown) finds the password rule."""
    with _opened(server_default_model, "kb_qa_convo-last", 300) as (driver, wait):
        _new_index_with(driver, "convo", [EXAMPLES_KB / "security.txt", EXAMPLES_KB / "onboarding.md"], wait)
        _ask(driver, "Where must I keep my passwords?", wait)
        label = _ask(driver, "And how long must they be?", wait)
        answer = _messages(driver)[-1].text
        driver.save_screenshot(str(SCREENSHOTS / "kb_qa_convo.png"))
        assert len(_messages(driver)) == 4
        searched = next(line for line in answer.splitlines() if line.startswith("searched for:"))
        assert "password" in searched.lower(), answer
        assert "security.txt" in label and "14" in answer, answer


def _body(driver: webdriver.Chrome) -> str:
    return driver.find_element(By.TAG_NAME, "body").text


def _sign_in(driver: webdriver.Chrome, wait: WebDriverWait, label: str, password: str) -> None:
    box = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, f"input[aria-label='{label}']")))
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)  # clear() leaves React's value in place
    box.send_keys(password)
    box.send_keys(Keys.ENTER)  # submits the form


def test_sign_in_with_chinese_labels_then_upload(server_with_password: str):
    """A Chinese browser: the labels are Chinese; nothing shows before the password; a wrong one is refused; the
    right one opens the app, where an upload is staged and indexed."""
    with _opened(server_with_password, "kb_qa_login-last", 120, language="zh-CN") as (driver, wait):
        _sign_in(driver, wait, "密码", "wrong")
        wait.until(lambda d: "密码错误" in _body(d))
        assert not driver.find_elements(By.CSS_SELECTOR, "[data-testid='stChatInputTextArea']")
        assert "Every label" not in _body(driver)  # no stray module strings drawn by streamlit's magic
        _sign_in(driver, wait, "密码", PASSWORD)
        wait.until(lambda d: "向文档提问" in _body(d) and "知识库" in _sidebar(d))
        box = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[aria-label='新索引名称']")))
        box.send_keys("login")
        box.send_keys(Keys.ENTER)
        upload = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type='file']")))
        upload.send_keys(str(EXAMPLES_KB_ZH / "travel-expenses.docx"))
        wait.until(lambda d: "待索引：travel-expenses.docx" in _sidebar(d))
        _click(driver, wait, "//*[@data-testid='stSidebar']//button[normalize-space()='建立索引']")
        wait.until(lambda d: "已索引 1/1 个文件" in _sidebar(d))
        driver.save_screenshot(str(SCREENSHOTS / "kb_qa_login_zh.png"))
