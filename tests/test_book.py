"""The course as a web site (``make book``): built offline, exercises and hidden solutions, maths
and figures, checked in the HTML and in a real browser.

The build is the one ``make book`` runs (``scripts/build_book.py``), on chapter 0 only, the
cheapest chapter (executed in seconds, or reused when ``make book`` already executed it), into
a temporary directory. Where this machine can cut a command off the network (root with
``unshare`` and ``ip``, as in CI), the whole build runs without network: the proof that it is
offline. The browser tests open the landing page and the chapter in headless Chromium and skip
with a reason when there is no Chromium (``.ci/run`` installs Debian's ``chromium``).
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "00"
SOURCE = ROOT / "notebooks" / "src" / "00_conventions_and_prerequisites.py"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


build_book = _load("build_book")
render_report = _load("render_report")


def _node_problem() -> str | None:
    try:
        build_book.check_node()
        build_book.jupyter_book_command()
    except build_book.BookError as exc:
        return str(exc)
    return None


pytestmark = pytest.mark.skipif(_node_problem() is not None, reason=str(_node_problem()))
needs_chromium = pytest.mark.skipif(
    render_report.find_chromium() is None,
    reason="no chromium binary: the browser check of the book needs it (apt-get install chromium)",
)


def _offline_prefix() -> list[str] | None:
    """A command prefix that runs a command with no network but loopback, or None."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if not unshare or not ip:
        return None
    probe = subprocess.run(
        [unshare, "-n", ip, "link", "set", "lo", "up"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        return None
    return [unshare, "-n", "sh", "-c", f'{ip} link set lo up && exec "$0" "$@"']


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("book")
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "build_book.py"),
        "--notebooks",
        CHAPTER,
        "--no-api",
        "--build-dir",
        str(tmp / "build"),
        "--out",
        str(tmp / "html"),
    ]
    prefix = _offline_prefix()
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*(prefix or []), *cmd], capture_output=True, text=True, timeout=600, check=False
    )
    seconds = time.perf_counter() - t0
    assert proc.returncode == 0, f"book build failed:\n{proc.stdout}\n{proc.stderr}"
    out = tmp / "html"
    chapters = [p for p in out.glob("*.html") if p.stem not in ("index", "glossary", "api")]
    assert len(chapters) == 1, f"expected one chapter page in {out}, found {chapters}"
    print(f"book build ({'offline' if prefix else 'network not cut'}): {seconds:.1f} s")
    return SimpleNamespace(
        root=out, index=out / "index.html", chapter=chapters[0], offline=prefix is not None
    )


class _Tree(HTMLParser):
    """Minimal DOM: every element with its tag, attributes, text and descendants' tags."""

    VOID = {"img", "br", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[dict] = []
        self.elements: list[dict] = []
        self.free_text: list[str] = []  # text outside pre/code/math/script/style

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "text": [], "tags": []}
        for parent in self.stack:
            parent["tags"].append((tag, dict(attrs)))
        self.elements.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        for el in self.stack:
            el["text"].append(data)
        if not any(el["tag"] in ("pre", "code", "math", "script", "style") for el in self.stack):
            self.free_text.append(data)


def _parse(path: Path) -> _Tree:
    tree = _Tree()
    tree.feed(path.read_text(encoding="utf-8"))
    return tree


def _count(pattern: str) -> int:
    return len(re.findall(pattern, SOURCE.read_text(encoding="utf-8"), re.M))


def test_book_pages_and_navigation(book):
    for page in (book.index, book.chapter, book.root / "glossary.html", book.root / "style.css"):
        assert page.is_file(), f"{page} not built"
    index = book.index.read_text(encoding="utf-8")
    assert f'href="{book.chapter.name}"' in index, "the landing page does not link the chapter"
    assert "Conventions and prerequisites" in index
    glossary = (book.root / "glossary.html").read_text(encoding="utf-8")
    for term in ("Perpetual", "Auto-deleveraging (ADL)", "Margin period of risk (MPOR)", "SPAN"):
        assert term in glossary, f"glossary lacks {term}"


def test_book_build_needs_no_network(book):
    if not book.offline:
        pytest.skip("cannot cut this process off the network here (needs root, unshare and ip)")
    assert book.index.is_file()  # the fixture built the whole site inside `unshare -n`


def test_exercises_and_hidden_solutions(book):
    tree = _parse(book.chapter)
    exercises = [
        e for e in tree.elements if e["tag"] == "aside" and e["attrs"].get("class") == "exercise"
    ]
    solutions = [
        e for e in tree.elements if e["tag"] == "details" and e["attrs"].get("class") == "solution"
    ]
    assert len(exercises) == _count(r"^# `{3,}\{exercise\}") >= 1
    assert len(solutions) == _count(r"^# `{3,}\{solution-start\}") == len(exercises)
    for sol in solutions:
        assert "open" not in sol["attrs"], "a solution is open by default"
        body = "".join(sol["text"])
        assert "Solution to" in body and "Exercise" in body
        # the runnable solution (a code cell between solution-start and solution-end) is inside
        assert ("pre", {"class": "code-cell", "data-lang": "python"}) in sol["tags"], (
            "the solution's code cell is not inside its dropdown"
        )


def test_maths_rendered_and_no_raw_dollar(book):
    for page, minimum in ((book.chapter, 20), (book.root / "glossary.html", 1)):
        tree = _parse(page)
        maths = [e for e in tree.elements if e["tag"] == "math"]
        assert len(maths) >= minimum, f"{page.name}: {len(maths)} formulas rendered"
        text = "".join(tree.free_text)
        assert "$" not in text, (
            f"{page.name}: raw $ in the text: ...{text[text.find('$') - 60 :][:120]}"
        )
        assert 'class="math-error"' not in page.read_text(encoding="utf-8")


def test_figures_present(book):
    tree = _parse(book.chapter)
    images = [e["attrs"]["src"] for e in tree.elements if e["tag"] == "img"]
    assert images, "the chapter has no figure"
    for src in images:
        path = book.root / src
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", src


PROBE = """
<script>
window.addEventListener('load', () => {
  const r = {};
  const imgs = [...document.querySelectorAll('main img')];
  r.images = imgs.length;
  r.broken = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'));
  const maths = [...document.querySelectorAll('math')];
  r.maths = maths.length;
  r.not_laid_out = maths.filter(m => {
    if (m.closest('details:not([open])')) return false;
    const box = m.getBoundingClientRect();
    return !getComputedStyle(m).display.includes('math') || box.width === 0 || box.height === 0;
  }).length;
  const main = document.querySelector('main').cloneNode(true);
  main.querySelectorAll('pre, code, math, script, style').forEach(e => e.remove());
  r.dollars = (main.textContent.match(/[$]/g) || []).length;
  const sols = [...document.querySelectorAll('details.solution')];
  r.solutions = sols.length;
  r.open = sols.filter(d => d.open).length;
  r.visible = sols.filter(d => [...d.children].some(
    c => c.tagName !== 'SUMMARY' && c.checkVisibility())).length;
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify(r);
  document.body.appendChild(out);
});
</script>
"""


def _probe(page: Path) -> dict:
    """Open ``page`` (a copy with the probe script) in Chromium; what the browser laid out."""
    probe_page = page.with_name(f"probe-{page.name}")
    probe_page.write_text(
        page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8"
    )
    dom = render_report.dump_dom(probe_page)
    found = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert found, f"the probe did not run in {page.name}: {dom[-500:]}"
    return json.loads(html.unescape(found.group(1)))


@needs_chromium
def test_browser_renders_landing_page_and_chapter(book, tmp_path):
    t0 = time.perf_counter()
    landing = _probe(book.index)
    chapter = _probe(book.chapter)
    for name, r in (("landing page", landing), ("chapter", chapter)):
        assert r["dollars"] == 0, f"{name}: raw $ shown by the browser"
        assert not r["broken"], f"{name}: figures not loaded: {r['broken']}"
        assert r["not_laid_out"] == 0, f"{name}: {r['not_laid_out']} formula(s) not rendered"
    assert chapter["images"] >= 1, "the chapter shows no figure in the browser"
    assert chapter["maths"] >= 20, chapter
    assert chapter["solutions"] >= 1 and chapter["open"] == 0 and chapter["visible"] == 0, (
        f"solutions must be closed dropdowns: {chapter}"
    )
    for page in (book.index, book.chapter):  # the screenshots a reader would see
        png = render_report.render(page, tmp_path / f"{page.stem}.png", width=1200, height=1600)
        assert png.stat().st_size > 20_000, f"{png} looks blank"
    print(f"browser checks: {time.perf_counter() - t0:.1f} s")
