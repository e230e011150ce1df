"""Render an HTML report to a PNG with headless Chromium: a browser check of the report.

Usage::

    python scripts/render_report.py REPORT.html OUT.png [--width 1280] [--height 4000]
    python scripts/render_report.py REPORT.html OUT.html --dom   # the DOM after scripts ran

The HTML is opened as a ``file://`` URL by ``chromium --headless`` (``chromium``,
``chromium-browser``, ``google-chrome`` or ``google-chrome-stable``, first found on PATH, or the
``CHROMIUM`` environment variable) with networking features off and a throw-away profile, and a
screenshot of the top ``height`` pixels is written to OUT.png. The page's scripts (MathJax) get
a virtual-time budget to finish before the picture is taken; ``--dom`` writes the page's DOM
after they ran instead (to check that formulas were typeset: no raw ``$`` left in the text). Exit code 0 on success, 1 if the
browser failed or wrote no image, 2 on bad arguments, 3 if no Chromium binary exists.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def find_chromium() -> str | None:
    """Path of a Chromium-family browser, or None."""
    env = os.environ.get("CHROMIUM")
    if env and shutil.which(env):
        return shutil.which(env)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _command(browser: str, profile: str, budget_ms: int) -> list[str]:
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        f"--virtual-time-budget={budget_ms}",  # lets MathJax typeset before the capture
    ]


def _source_and_browser(html: str | os.PathLike[str]) -> tuple[Path, str]:
    source = Path(html).resolve()
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such HTML file")
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError(f"no Chromium binary on PATH (looked for {', '.join(BROWSERS)})")
    return source, browser


def render(
    html: str | os.PathLike[str],
    png: str | os.PathLike[str],
    width: int = 1280,
    height: int = 4000,
    timeout: float = 120.0,
    budget_ms: int = 20000,
) -> Path:
    """Screenshot ``html`` into ``png`` with headless Chromium; returns the PNG path.

    Raises
    ------
    FileNotFoundError
        If the HTML file or a Chromium binary is missing.
    RuntimeError
        If Chromium fails or writes no valid PNG.
    """
    source, browser = _source_and_browser(html)
    target = Path(png).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    with tempfile.TemporaryDirectory(prefix="riskkit-chromium-") as profile:
        cmd = _command(browser, profile, budget_ms) + [
            f"--screenshot={target}",
            f"--window-size={width},{height}",
            source.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not target.is_file():
        raise RuntimeError(
            f"chromium failed (exit {proc.returncode}) rendering {source}:\n{proc.stderr[-2000:]}"
        )
    if target.read_bytes()[:8] != PNG_MAGIC:
        raise RuntimeError(f"{target} is not a PNG image")
    return target


def dump_dom(
    html: str | os.PathLike[str],
    width: int = 1200,
    timeout: float = 120.0,
    budget_ms: int = 20000,
) -> str:
    """The DOM of ``html`` after its scripts ran (MathJax typeset), as Chromium serialises it.

    Raises
    ------
    FileNotFoundError
        If the HTML file or a Chromium binary is missing.
    RuntimeError
        If Chromium fails or prints nothing.
    """
    source, browser = _source_and_browser(html)
    with tempfile.TemporaryDirectory(prefix="riskkit-chromium-") as profile:
        cmd = _command(browser, profile, budget_ms) + [
            f"--window-size={width},2000",
            "--dump-dom",
            source.as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or "<html" not in proc.stdout:
        raise RuntimeError(
            f"chromium failed (exit {proc.returncode}) loading {source}:\n{proc.stderr[-2000:]}"
        )
    return proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("html", help="HTML file to render")
    parser.add_argument("png", help="PNG file to write (with --dom: the HTML file to write)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--dom", action="store_true", help="write the rendered DOM, not a PNG")
    args = parser.parse_args(argv)
    try:
        if args.dom:
            dom = dump_dom(args.html, args.width)
            Path(args.png).write_text(dom, encoding="utf-8")
            print(f"wrote {args.png} ({len(dom)} characters)")
            return 0
        out = render(args.html, args.png, args.width, args.height)
    except FileNotFoundError as exc:
        print(f"render_report: {exc}", file=sys.stderr)
        return 3 if "Chromium" in str(exc) else 2
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"render_report: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
