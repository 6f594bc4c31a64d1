"""The course website in a real headless browser (`make test-site`).

The built site (`make site`, _build/site) is served on a loopback HTTP server
and read by Chromium from the OS packages through chromedriver: the home page,
a lesson, the switch to the twin track (the same section must be in view),
the remembered track, images, math, search, and the browser console.  Every
request that leaves 127.0.0.1 is refused by the browser itself
(--host-resolver-rules), so the test behaves the same with or without a
network: the site must work offline.

Settings: NN_SITE_DIR (the built site), NN_SITE_ARTIFACTS (where the
screenshot goes), NN_CHROMIUM and NN_CHROMEDRIVER (the browser and its driver).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import sys
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("NN_SITE_DIR", ROOT / "_build" / "site"))
ARTIFACTS = Path(os.environ.get("NN_SITE_ARTIFACTS", ROOT / "_build" / "site-test"))
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

sys.path.insert(0, str(ROOT / "site" / "_ext"))
import nn_site  # noqa: E402  (the reader under test, no browser needed)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

WAIT_S = 30
# the lesson the walk-through reads: plots, a lot of math, ### sections
LESSON = "03_sgd"


# ----------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(f"нет собранного сайта в {SITE}: сначала `make site`")
    return SITE


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest's output readable
        pass


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def _find(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def driver():
    chromium = _find("NN_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    chromedriver = _find("NN_CHROMEDRIVER", "chromedriver")
    if not chromium or not chromedriver:
        pytest.fail(
            "нужны Chromium и chromedriver: `apt-get install chromium "
            "chromium-driver` (или переменные NN_CHROMIUM, NN_CHROMEDRIVER)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=ru",
        # only the loopback server answers: external requests fail at once
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = webdriver.ChromeService(executable_path=chromedriver)
    browser = webdriver.Chrome(options=options, service=service)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


# ------------------------------------------------------------------ helpers


def wait_for(driver, condition, message, timeout=WAIT_S):
    try:
        return WebDriverWait(driver, timeout).until(lambda d: condition(d))
    except TimeoutException:
        pytest.fail(message)


def settle(driver):
    """Wait until the page, its images and MathJax are done."""
    wait_for(
        driver,
        lambda d: d.execute_script("return document.readyState") == "complete",
        f"страница {driver.current_url} не загрузилась",
    )
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "const mj = window.MathJax;"
        "if (mj && mj.startup && mj.startup.promise) {"
        "  mj.startup.promise.then(() => done(true), () => done(false));"
        "} else { done(null); }"
    )


def page_of(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def fragment(url: str) -> str:
    return unquote(urlsplit(url).fragment)


def heading_top(driver, section_id: str):
    """The top of the section's heading in the window, and its text."""
    return driver.execute_script(
        "const s = document.getElementById(arguments[0]);"
        "if (!s) return null;"
        "const h = s.querySelector('h1, h2, h3, h4') || s;"
        "return [h.getBoundingClientRect().top, h.textContent.replace('#', '').trim(),"
        "        window.innerHeight];",
        section_id,
    )


def lesson_data(driver) -> dict:
    raw = driver.execute_script(
        "const group = document.querySelector('[data-nn-lesson]');"
        "return group && group.getAttribute('data-nn-lesson');"
    )
    assert raw, f"на {driver.current_url} нет переключателя трека"
    return json.loads(raw)


def switch_track(driver, section_id: str) -> tuple[str, str]:
    """Scroll to a section, press the twin switch; return (heading, its id)."""
    driver.execute_script(
        "document.getElementById(arguments[0]).scrollIntoView();", section_id
    )
    top, text, height = heading_top(driver, section_id)
    assert 0 <= top <= height * 0.3, f"не удалось прокрутить к #{section_id}"
    before = driver.current_url
    driver.find_element(By.CSS_SELECTOR, "a.nn-track-switch").click()
    wait_for(
        driver,
        lambda d: page_of(d.current_url) != page_of(before),
        f"переключатель трека на {before} никуда не ведёт",
    )
    settle(driver)
    return text, section_id


def console_errors(driver) -> list[str]:
    """Console errors so far, except requests the browser refused to send out."""
    entries = driver.get_log("browser")
    errors = []
    for entry in entries:
        if entry["level"] not in ("SEVERE", "ERROR"):
            continue
        urls = re.findall(r"https?://[^\s\"')]+", entry["message"])
        external = [u for u in urls if urlsplit(u).hostname not in ("127.0.0.1", "localhost")]
        if external and (
            "ERR_NAME_NOT_RESOLVED" in entry["message"]
            or "Failed to load resource" in entry["message"]
        ):
            continue  # a blocked external request (a badge image, a link preview)
        errors.append(entry["message"])
    return errors


# -------------------------------------------------- the built site, offline


def test_every_notebook_has_a_page(site_dir):
    assert NOTEBOOKS, "в notebooks/ нет ноутбуков"
    missing = [nb.name for nb in NOTEBOOKS
               if not (site_dir / "notebooks" / f"{nb.stem}.html").is_file()]
    assert not missing, f"нет страниц для {missing}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_page_shows_committed_outputs_cleanly(site_dir, notebook):
    html = (site_dir / "notebooks" / f"{notebook.stem}.html").read_text("utf-8")
    assert "application/vnd.jupyter.widget" not in html, "на странице состояние виджета"
    assert not re.search(r"(^|\s)0%\|", html, re.M), "индикатор прогресса на 0 %"
    nb = nbformat.read(notebook, as_version=4)
    folded = sum(
        1 for c in nb.cells
        if c.cell_type == "code"
        and (c.metadata.get("jupyter") or {}).get("source_hidden")
    )
    shown_folded = len(re.findall(r'class="cell[^"]*\btag_hide-input\b', html))
    assert shown_folded >= folded, (
        f"свёрнутых ячеек в ноутбуке {folded}, на странице свёрнуто {shown_folded}"
    )
    # prose with no math left unparsed: a formula split by Markdown (a line of
    # a $$…$$ starting with "+" read as a list item) shows its dollars
    prose = re.sub(r"<(pre|code)\b.*?</\1>|<(span|div) class=\"math.*?</\2>", "",
                   html[html.find("<article"):html.find("</article>")], flags=re.S)
    leftovers = re.findall(r".{0,40}(?:\$\$|\\\(|\\\[).{0,40}",
                           re.sub(r"<[^>]+>", "", prose))
    assert not leftovers, f"неразобранные формулы в тексте: {leftovers[:3]}"
    # the same number of plots as the notebook has
    plots = sum(
        1 for c in nb.cells for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    )
    assert html.count('src="../_images/') >= plots, "на странице не все графики"


def test_reader_folds_hidden_cells_and_drops_widgets():
    nb = nbformat.v4.new_notebook()
    setup = nbformat.v4.new_code_cell("import os")
    setup.metadata["jupyter"] = {"source_hidden": True}
    bar = nbformat.v4.new_code_cell("for _ in tqdm(range(3)): pass")
    bar.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
                "text/plain": "шаги:   0%|          | 0/3 [00:00<?, ?it/s]",
            },
        ),
        nbformat.v4.new_output(
            "display_data",
            data={
                "application/vnd.jupyter.widget-view+json": {"model_id": "y"},
                "text/plain": "шаги: 100%|██████████| 3/3 [00:00<00:00]",
            },
        ),
        nbformat.v4.new_output("stream", name="stdout", text="готово\n"),
    ]
    formula = nbformat.v4.new_markdown_cell("Итого:\n$$y = a\n+ b$$\nи всё.")
    nb.cells = [setup, bar, formula]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {}}
    clean = nn_site.read_notebook(nbformat.writes(nb))
    assert "hide-input" in clean.cells[0].metadata["tags"]
    assert "widgets" not in clean.metadata
    assert clean.cells[2].source == "Итого:\n$$y = a + b$$\nи всё."
    outs = clean.cells[1].outputs
    assert [o.get("data", {}).get("text/plain", o.get("text")) for o in outs] == [
        "шаги: 100%|██████████| 3/3 [00:00<00:00]",
        "готово\n",
    ]


# ------------------------------------------------------ in the real browser


def test_home_lesson_switch_and_remembered_track(driver, base_url):
    driver.get(base_url)
    settle(driver)
    driver.execute_script("window.localStorage.clear()")
    driver.get(base_url)
    settle(driver)
    # the home page is the README: the lesson table links to every lesson
    links = driver.find_elements(By.CSS_SELECTOR, "article a[href*='notebooks/']")
    hrefs = {page_of(a.get_attribute("href")) for a in links}
    for nb in NOTEBOOKS:
        assert f"{nb.stem}.html" in hrefs, f"на главной нет ссылки на {nb.stem}"

    # follow a lesson link from the table
    link = driver.find_element(
        By.CSS_SELECTOR, f"article a[href$='notebooks/{LESSON}_pytorch.html']"
    )
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    wait_for(driver, lambda d: page_of(d.current_url) == f"{LESSON}_pytorch.html",
             "ссылка на урок с главной не открыла урок")
    settle(driver)
    data = lesson_data(driver)
    assert data["track"] == "pytorch"

    # a ## section in the middle of the lesson that the twin also has
    outline = [sid for sid, _ in data["outline"]]
    shared = [sid for sid in outline[1:] if sid in data["twinIds"]]
    assert len(shared) >= 4, "у близнецов почти нет общих разделов"
    section = shared[len(shared) // 2]
    text, _ = switch_track(driver, section)

    assert page_of(driver.current_url) == f"{LESSON}_tensorflow.html", (
        f"переключатель привёл на {driver.current_url}, а не на урок-близнец"
    )
    assert fragment(driver.current_url) == section, (
        f"переключатель привёл к #{fragment(driver.current_url)}, а не к #{section}"
    )
    got = heading_top(driver, section)
    assert got is not None, f"на странице-близнеце нет раздела #{section}"
    top, twin_text, height = got
    assert twin_text == text, f"раздел «{twin_text}» вместо «{text}»"
    assert 0 <= top <= height * 0.3, (
        f"раздел «{text}» не в поле зрения после переключения (top={top:.0f})"
    )

    # and back from TensorFlow, from a ### section this time when there is one
    data = lesson_data(driver)
    assert data["track"] == "tensorflow"
    deeper = [sid for sid, parent in data["outline"][1:]
              if sid in data["twinIds"] and parent != data["outline"][0][0]]
    candidates = deeper or [sid for sid, _ in data["outline"][1:]
                            if sid in data["twinIds"]]
    section = candidates[len(candidates) // 2]
    text, _ = switch_track(driver, section)
    assert page_of(driver.current_url) == f"{LESSON}_pytorch.html"
    assert fragment(driver.current_url) == section
    top, back_text, height = heading_top(driver, section)
    assert back_text == text and 0 <= top <= height * 0.3, (
        f"обратное переключение: «{back_text}» (top={top:.0f}) вместо «{text}»"
    )

    # the chosen track is remembered: switch to TensorFlow, then the next
    # lesson (here and from the home page) opens in TensorFlow
    switch_track(driver, lesson_data(driver)["outline"][1][0])
    assert driver.execute_script(
        "return window.localStorage.getItem('nn-basics-track')") == "tensorflow"
    nxt = driver.find_element(By.CSS_SELECTOR, ".prev-next-area a.right-next")
    assert page_of(nxt.get_attribute("href")).endswith("_tensorflow.html"), (
        "«Далее» ведёт не в выбранный трек"
    )
    driver.get(base_url)
    settle(driver)
    nxt = driver.find_element(By.CSS_SELECTOR, ".prev-next-area a.right-next")
    assert page_of(nxt.get_attribute("href")) == f"{NOTEBOOKS[0].stem.rsplit('_', 1)[0]}_tensorflow.html", (
        "«Далее» на главной не ведёт в выбранный трек"
    )
    errors = console_errors(driver)
    assert not errors, f"ошибки в консоли браузера: {errors}"


@pytest.mark.parametrize("track", ["pytorch", "tensorflow"])
def test_lesson_images_math_and_buttons(driver, base_url, track):
    driver.get(f"{base_url}notebooks/{LESSON}_{track}.html")
    settle(driver)
    images = driver.execute_script(
        "return Array.from(document.querySelectorAll('article img'))"
        ".filter(i => new URL(i.src).hostname === location.hostname)"
        ".map(i => [i.src, i.complete, i.naturalWidth]);"
    )
    assert images, "на странице урока нет картинок"
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert not broken, f"не загрузились картинки: {broken}"

    math = driver.execute_script(
        "const all = Array.from(document.querySelectorAll('article .math'));"
        "return [all.length,"
        "        all.filter(m => m.querySelector('mjx-container')).length,"
        "        document.querySelectorAll('article mjx-merror').length];"
    )
    total, rendered, errors = math
    assert total > 0, "на странице урока нет формул"
    assert rendered == total, f"MathJax отрисовал {rendered} формул из {total}"
    assert errors == 0, f"ошибок MathJax: {errors}"
    raw = driver.execute_script(
        "const t = Array.from(document.querySelectorAll('article p, article li'))"
        ".map(e => e.innerText).join('\\n');"
        "return (t.match(/\\$\\$|\\\\\\(|\\\\\\[/g) || []).length;"
    )
    assert raw == 0, "в тексте остались неотрисованные формулы ($$, \\(, \\[)"
    dollars = driver.execute_script(
        "return Array.from(document.querySelectorAll('article .math')).filter(m =>"
        "  /\\$\\s*$/.test((m.previousSibling || {}).textContent || '') ||"
        "  /^\\s*\\$/.test((m.nextSibling || {}).textContent || '')).length;"
    )
    assert dollars == 0, f"у {dollars} формул остались знаки $ по краям"

    colab = driver.find_element(By.CSS_SELECTOR, ".nn-lesson-bar a.nn-colab")
    assert colab.text == "Открыть в Colab"
    assert colab.get_attribute("href") == (
        "https://colab.research.google.com/github/nn-basics/nn-basics/blob/main/"
        f"notebooks/{LESSON}_{track}.ipynb"
    )
    download = driver.find_element(By.CSS_SELECTOR, ".nn-lesson-bar a.nn-download")
    assert download.text == "Скачать .ipynb"
    body = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0]).then(r => r.text()).then(done, () => done(null));",
        download.get_attribute("href"),
    )
    assert body and json.loads(body)["nbformat"] == 4, "«Скачать .ipynb» отдаёт не ноутбук"

    if track == "pytorch":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # a view with a displayed formula, the prose and the switch in the header
        driver.execute_script(
            "const m = document.querySelector('article div.math');"
            "if (m) m.scrollIntoView({block: 'center'});"
        )
        driver.save_screenshot(str(ARTIFACTS / "lesson.png"))
        driver.execute_script("window.scrollTo(0, 0);")
        driver.save_screenshot(str(ARTIFACTS / "lesson-top.png"))
    errors = console_errors(driver)
    assert not errors, f"ошибки в консоли браузера: {errors}"


def search(driver, base_url, word) -> set[str]:
    driver.get(f"{base_url}search.html?q={word}")
    results = wait_for(
        driver,
        lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results li a"),
        f"поиск по слову «{word}» ничего не нашёл",
    )
    pages = {page_of(a.get_attribute("href")) for a in results}
    return {p for p in pages if re.match(r"\d\d_.*_(pytorch|tensorflow)\.html$", p)}


def test_search_finds_lessons_in_russian(driver, base_url):
    lessons = search(driver, base_url, "градиент")
    assert len(lessons) >= 2, f"поиск «градиент» нашёл только {sorted(lessons)}"
    assert {"02_gradient_descent_pytorch.html",
            "02_gradient_descent_tensorflow.html"} <= lessons
    # Russian stemming: another form of the word finds the same lesson
    assert "02_gradient_descent_pytorch.html" in search(driver, base_url, "градиентами")
    errors = console_errors(driver)
    assert not errors, f"ошибки в консоли браузера: {errors}"
