"""Browser check of the HTML report: embedded figures render in headless Chromium.

Skipped when no Chromium binary is installed (a fresh CI machine has none; install the Debian
package ``chromium`` to run it).
"""

from __future__ import annotations

import base64
import importlib.util
import io
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pytest

from riskkit.report import export_html

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "render_report", ROOT / "scripts" / "render_report.py"
)
render_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(render_report)  # type: ignore[union-attr]

needs_chromium = pytest.mark.skipif(
    render_report.find_chromium() is None,
    reason="no chromium binary: the browser checks of the HTML report need Debian's chromium "
    "(apt-get install chromium; bash .ci/run installs it)",
)


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG with zlib only (no imaging library)."""
    assert data[:8] == render_report.PNG_MAGIC
    pos, chunks, header = 8, [], None
    while pos < len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height = int.from_bytes(header[:4], "big"), int.from_bytes(header[4:8], "big")
    depth, colour = header[8], header[9]
    assert depth == 8 and colour in (2, 6) and header[12] == 0, "unsupported PNG layout"
    channels = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(chunks)), dtype=np.uint8)
    stride = width * channels
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):  # undo the PNG row filters (RFC 2083, section 6)
        ftype, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        cur = np.zeros(stride, dtype=np.int64)
        if ftype in (0, 2):
            cur = (line + (prev if ftype == 2 else 0)) % 256
        else:
            for x in range(stride):
                left = cur[x - channels] if x >= channels else 0
                up, ul = prev[x], prev[x - channels] if x >= channels else 0
                if ftype == 1:
                    pred = left
                elif ftype == 3:
                    pred = (left + up) // 2
                else:  # Paeth
                    p = left + up - ul
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else ul)
                cur[x] = (line[x] + pred) % 256
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)[:, :, :3].astype(np.uint8)


def _notebook_with_figure(path: Path) -> Path:
    """An executed-looking notebook whose one output is a pure red square figure."""
    fig, ax = plt.subplots(figsize=(4, 4), dpi=100)
    fig.patch.set_facecolor((1.0, 0.0, 0.0))
    ax.set_axis_off()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot()", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(buf.getvalue()).decode()}
        )
    ]
    nb.cells = [nbformat.v4.new_markdown_cell("# Report check"), cell]
    nbformat.write(nb, path)
    return path


@needs_chromium
def test_report_html_renders_its_embedded_figure(tmp_path: Path) -> None:
    html = export_html(_notebook_with_figure(tmp_path / "check.ipynb"))
    text = html.read_text()
    assert "data:image/png;base64," in text  # the figure is embedded, not linked
    png = render_report.render(html, tmp_path / "shot.png", width=800, height=900)
    pixels = _png_pixels(png.read_bytes())
    assert pixels.shape[:2] == (900, 800)
    red = (pixels[:, :, 0] > 200) & (pixels[:, :, 1] < 60) & (pixels[:, :, 2] < 60)
    # the 400 x 400 px red figure is on screen (allow for scaling by the page's CSS)
    assert red.sum() > 0.5 * 400 * 400
    assert (pixels > 240).all(axis=2).sum() > 0.2 * pixels.shape[0] * pixels.shape[1]  # page


def test_render_report_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert render_report.main([str(tmp_path / "missing.html"), str(tmp_path / "x.png")]) in (2, 3)
    page = tmp_path / "page.html"
    page.write_text("<html><body>hello</body></html>")
    monkeypatch.setenv("PATH", str(tmp_path))  # no browser on PATH
    monkeypatch.delenv("CHROMIUM", raising=False)
    assert render_report.main([str(page), str(tmp_path / "x.png")]) == 3
