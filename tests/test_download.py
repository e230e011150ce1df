"""riskkit.download against archives built here and served from a loopback HTTP server.

No real network: the archives follow the published layout of data.binance.vision (spot kline
CSVs without header, ms timestamps before 2025 and us from 2025; futures CSVs with a header
row; sha256sum-format .CHECKSUM files), and a ThreadingHTTPServer on 127.0.0.1 (random port)
serves them, with HTTP Range support that the resume test relies on.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import warnings
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from riskkit import data as rd
from riskkit import download as dl
from riskkit.exceptions import ConfigError, DataError, DataQualityWarning

HEADER = ",".join(dl.KLINE_COLUMNS)


def kline_rows(index: pd.DatetimeIndex, unit: str, seed: int) -> tuple[list[str], pd.DataFrame]:
    """CSV lines in Binance's kline layout, and the frame they encode."""
    rng = np.random.default_rng(seed)
    n = len(index)
    close = np.round(40000 * np.exp(np.cumsum(rng.normal(0, 0.02, n))), 2)
    open_ = np.round(np.concatenate([[40000.0], close[:-1]]), 2)
    high = np.round(np.maximum(open_, close) * 1.01, 2)
    low = np.round(np.minimum(open_, close) * 0.99, 2)
    volume = np.round(rng.uniform(100, 900, n), 5)
    step = index[1] - index[0] if n > 1 else pd.Timedelta("1D")
    scale = {"ms": 1_000, "us": 1_000_000}[unit]
    lines = []
    for k, t in enumerate(index):
        ot = int(t.timestamp()) * scale
        ct = int((t + step).timestamp()) * scale - 1
        lines.append(
            f"{ot},{open_[k]:.8f},{high[k]:.8f},{low[k]:.8f},{close[k]:.8f},{volume[k]:.8f},"
            f"{ct},{volume[k] * close[k]:.8f},{100 + k},{volume[k] / 2:.8f},"
            f"{volume[k] * close[k] / 2:.8f},0"
        )
    frame = pd.DataFrame(
        {"open": open_, "high": high, "low": low, "close": close, "volume": volume},
        index=pd.DatetimeIndex(index, name="date"),
    )
    return lines, frame


def write_archive(root: Path, archive: dl.Archive, text: str, checksum: str | None = None) -> Path:
    path = root / archive.path
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(archive.filename.replace(".zip", ".csv"), text)
    path.write_bytes(buf.getvalue())
    digest = checksum or hashlib.sha256(buf.getvalue()).hexdigest()
    path.with_name(path.name + ".CHECKSUM").write_text(f"{digest}  {archive.filename}\n")
    return path


class Handler(SimpleHTTPRequestHandler):
    """Static files with single-range ``bytes=N-`` support, and a request log."""

    log: list[tuple[str, str | None]] = []
    honour_range = True

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        type(self).log.append((self.path, rng))
        path = Path(self.translate_path(self.path))
        if rng and self.honour_range and path.is_file():
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            data = path.read_bytes()
            if start >= len(data):
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])
            return
        super().do_GET()


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve tmp_path/www on 127.0.0.1:<random port>; stopped at teardown."""
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    www = tmp_path / "www"
    www.mkdir()
    log: list[tuple[str, str | None]] = []
    handler = type("H", (Handler,), {"log": log, "honour_range": True})

    def make(*args, **kwargs):
        return handler(*args, directory=str(www), **kwargs)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield {
            "url": f"http://127.0.0.1:{httpd.server_address[1]}",
            "root": www,
            "log": log,
            "handler": handler,
            "cache": tmp_path / "cache",
        }
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def opts(server) -> dict:
    return {"cache_dir": server["cache"], "base_url": server["url"], "timeout": 5, "retries": 0}


# ------------------------------------------------------------------------- layout
def test_archive_paths_follow_the_published_layout() -> None:
    # README of binance/binance-public-data: .../spot/monthly/klines/BNBUSDT/1m/BNBUSDT-1m-2019-01.zip
    a = dl.Archive("BNBUSDT", "2019-01", "klines", "spot", "1m")
    assert a.url() == (
        "https://data.binance.vision/data/spot/monthly/klines/BNBUSDT/1m/BNBUSDT-1m-2019-01.zip"
    )
    assert (
        dl.Archive("BTCUSDT", "2024-03-01", "klines", "um", "1h").path
        == "data/futures/um/daily/klines/BTCUSDT/1h/BTCUSDT-1h-2024-03-01.zip"
    )
    assert (
        dl.Archive("BTCUSDT", "2024-03", "fundingRate", "um", None).path
        == "data/futures/um/monthly/fundingRate/BTCUSDT/BTCUSDT-fundingRate-2024-03.zip"
    )
    assert (
        dl.Archive("BTCUSDT", "2024-03", "premiumIndexKlines", "um", "8h").path
        == "data/futures/um/monthly/premiumIndexKlines/BTCUSDT/8h/BTCUSDT-8h-2024-03.zip"
    )
    assert dl.archive_dates("2024-11-15", "2025-01-02", "monthly") == [
        "2024-11",
        "2024-12",
        "2025-01",
    ]
    assert dl.archive_dates("2024-02-28", "2024-03-01", "daily") == [
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
    ]


def test_archive_config_errors() -> None:
    with pytest.raises(ConfigError, match="USD-M futures only"):
        dl.Archive("BTCUSDT", "2024-03", "fundingRate", "spot", None)
    with pytest.raises(ConfigError, match="unknown interval"):
        dl.Archive("BTCUSDT", "2024-03", "klines", "spot", "7m")
    with pytest.raises(ConfigError, match="monthly"):
        dl.Archive("BTCUSDT", "2024-03-01", "fundingRate", "um", None)
    with pytest.raises(ConfigError):
        dl.Archive("btcusdt", "2024-03")


# ------------------------------------------------------------------------- downloads
def test_spot_klines_across_the_ms_to_us_switch_and_cache(server) -> None:
    dec = pd.date_range("2024-12-01", "2024-12-31", freq="D")
    jan = pd.date_range("2025-01-01", "2025-01-31", freq="D")
    lines_dec, f_dec = kline_rows(dec, "ms", 1)
    lines_jan, f_jan = kline_rows(jan, "us", 2)
    write_archive(server["root"], dl.Archive("BTCUSDT", "2024-12"), "\n".join(lines_dec) + "\n")
    write_archive(server["root"], dl.Archive("BTCUSDT", "2025-01"), "\n".join(lines_jan) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # check=True: clean data, no warning
        got = dl.download_klines("BTCUSDT", "1d", "2024-12-01", "2025-01-31", **opts(server))
    expected = pd.concat([f_dec, f_jan])
    pd.testing.assert_frame_equal(got, expected, check_freq=False, check_index_type=False)
    assert got.attrs == {}
    cached = server["cache"] / dl.Archive("BTCUSDT", "2025-01").path
    assert cached.exists() and cached.with_name(cached.name + ".CHECKSUM").exists()
    assert not list(server["cache"].rglob("*.part"))
    n_requests = len(server["log"])
    again = dl.download_klines("BTCUSDT", "1d", "2024-12-10", "2025-01-05", **opts(server))
    assert len(server["log"]) == n_requests  # served from the verified cache
    assert again.index[0] == pd.Timestamp("2024-12-10") and again.index[-1] == pd.Timestamp(
        "2025-01-05"
    )


def test_futures_klines_with_header_and_funding(server) -> None:
    hours = pd.date_range("2024-03-01", periods=24, freq="1h")
    lines, frame = kline_rows(hours, "ms", 3)
    a = dl.Archive("BTCUSDT", "2024-03-01", "klines", "um", "1h")
    write_archive(server["root"], a, HEADER + "\n" + "\n".join(lines) + "\n")
    got = dl.download_klines(
        "BTCUSDT", "1h", "2024-03-01", "2024-03-01", market="um", period="daily", **opts(server)
    )
    pd.testing.assert_frame_equal(got, frame, check_freq=False, check_index_type=False)
    p = dl.Archive("BTCUSDT", "2024-03-01", "premiumIndexKlines", "um", "1h")
    write_archive(server["root"], p, HEADER + "\n" + "\n".join(lines) + "\n")
    prem = dl.download_premium_index(
        "BTCUSDT", "1h", "2024-03-01", "2024-03-01", period="daily", **opts(server)
    )
    assert len(prem) == 24
    times = pd.date_range("2024-03-01", periods=93, freq="8h")
    rates = np.round(np.random.default_rng(4).normal(1e-4, 5e-5, 93), 8)
    text = "calc_time,funding_interval_hours,last_funding_rate\n" + "\n".join(
        f"{int(t.timestamp()) * 1000},8,{r:.8f}" for t, r in zip(times, rates, strict=True)
    )
    write_archive(server["root"], dl.Archive("BTCUSDT", "2024-03", "fundingRate", "um", None), text)
    fr = dl.download_funding_rates("BTCUSDT", "2024-03-01", "2024-03-31", **opts(server))
    assert fr.index[0] == pd.Timestamp("2024-03-01") and len(fr) == 93
    np.testing.assert_array_equal(fr["funding_rate"], rates)
    assert (fr["funding_interval_hours"] == 8).all()


def test_corrupted_checksum_raises_and_leaves_nothing(server) -> None:
    lines, _ = kline_rows(pd.date_range("2024-01-01", periods=31, freq="D"), "ms", 5)
    write_archive(server["root"], dl.Archive("ETHUSDT", "2024-01"), "\n".join(lines), "0" * 64)
    with pytest.raises(dl.ChecksumError, match="does not match"):
        dl.download_klines("ETHUSDT", "1d", "2024-01-01", "2024-01-31", **opts(server))
    dest = server["cache"] / dl.Archive("ETHUSDT", "2024-01").path
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_missing_archive_404(server, caplog) -> None:
    lines, _ = kline_rows(pd.date_range("2024-01-01", periods=31, freq="D"), "ms", 6)
    write_archive(server["root"], dl.Archive("SOLUSDT", "2024-01"), "\n".join(lines))
    with pytest.raises(dl.ArchiveNotFoundError, match="404"):
        dl.download_klines("SOLUSDT", "1d", "2024-01-01", "2024-02-29", **opts(server))
    lines, _ = kline_rows(pd.date_range("2024-03-01", periods=31, freq="D"), "ms", 7)
    write_archive(server["root"], dl.Archive("SOLUSDT", "2024-03"), "\n".join(lines))
    with caplog.at_level(logging.WARNING, logger="riskkit.download"):
        with pytest.warns(DataQualityWarning, match="1 gap"):
            got = dl.download_klines(
                "SOLUSDT", "1d", "2024-01-01", "2024-03-31", missing="skip", **opts(server)
            )
    assert "skipped 1 archive(s)" in caplog.text and "2024-02" in caplog.text
    gap = rd.validate(got, freq="1D", warn=False).of("gap")
    assert gap["n_bars"].iloc[0] == 29  # February 2024 has 29 days


@pytest.mark.parametrize("honour_range", [True, False])
def test_resume_partial_download(server, honour_range) -> None:
    server["handler"].honour_range = honour_range
    lines, frame = kline_rows(pd.date_range("2024-05-01", periods=31, freq="D"), "ms", 8)
    a = dl.Archive("BTCUSDT", "2024-05")
    src = write_archive(server["root"], a, "\n".join(lines))
    payload = src.read_bytes()
    dest = server["cache"] / a.path
    dest.parent.mkdir(parents=True)
    half = len(payload) // 2
    dest.with_name(dest.name + ".part").write_bytes(payload[:half])
    path = dl.download_archive(a, **opts(server))
    assert path.read_bytes() == payload
    zip_requests = [r for p, r in server["log"] if p.endswith(".zip")]
    assert zip_requests == [f"bytes={half}-"]  # the client asked for the rest only
    assert not dest.with_name(dest.name + ".part").exists()
    pd.testing.assert_frame_equal(
        dl.read_kline_archive(path), frame, check_freq=False, check_index_type=False
    )


def test_corrupted_cache_is_downloaded_again(server) -> None:
    lines, _ = kline_rows(pd.date_range("2024-06-01", periods=30, freq="D"), "ms", 9)
    a = dl.Archive("BTCUSDT", "2024-06")
    src = write_archive(server["root"], a, "\n".join(lines))
    path = dl.download_archive(a, **opts(server))
    path.write_bytes(b"garbage")
    path = dl.download_archive(a, **opts(server))
    assert path.read_bytes() == src.read_bytes()


def test_unreachable_server_is_a_data_error(tmp_path) -> None:
    # port 9 (discard) on loopback: connection refused, no traffic leaves the machine
    with pytest.raises(DataError, match="download failed"):
        dl.download_archive(
            dl.Archive("BTCUSDT", "2024-06"),
            cache_dir=tmp_path,
            base_url="http://127.0.0.1:9",
            timeout=2,
            retries=0,
        )


def test_mark_and_index_klines_and_jittered_funding(server) -> None:
    # markPriceKlines / indexPriceKlines: the kline layout with 0 in the volume columns
    hours = pd.date_range("2024-04-01", periods=24, freq="1h")
    lines, frame = kline_rows(hours, "ms", 10)
    zero_vol = [
        ",".join(f if k not in (5, 7, 9, 10) else "0" for k, f in enumerate(ln.split(",")))
        for ln in lines
    ]
    for kind in ("markPriceKlines", "indexPriceKlines"):
        a = dl.Archive("BTCUSDT", "2024-04", kind, "um", "1h")
        assert a.path == f"data/futures/um/monthly/{kind}/BTCUSDT/1h/BTCUSDT-1h-2024-04.zip"
        write_archive(server["root"], a, HEADER + "\n" + "\n".join(zero_vol) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        mark = dl.download_perp_klines("BTCUSDT", "1h", "2024-04-01", "2024-04-01", **opts(server))
        index = dl.download_perp_klines(
            "BTCUSDT", "1h", "2024-04-01", "2024-04-01", kind="index", **opts(server)
        )
    expected = frame.drop(columns="volume")
    pd.testing.assert_frame_equal(mark, expected, check_freq=False, check_index_type=False)
    pd.testing.assert_frame_equal(index, expected, check_freq=False, check_index_type=False)
    with pytest.raises(ConfigError, match="USD-M futures only"):
        dl.Archive("BTCUSDT", "2024-04", "markPriceKlines", "spot", "1h")
    with pytest.raises(ConfigError, match="kind must be one of"):
        dl.download_perp_klines("BTCUSDT", "1h", "2024-04-01", "2024-04-01", kind="trade")
    # funding calc_time as Binance writes it: a few ms after the hour
    times = pd.date_range("2024-04-01", periods=90, freq="8h")
    jitter = np.random.default_rng(11).integers(0, 25, 90)
    text = "calc_time,funding_interval_hours,last_funding_rate\n" + "\n".join(
        f"{int(t.timestamp()) * 1000 + int(j)},8,0.00010000"
        for t, j in zip(times, jitter, strict=True)
    )
    write_archive(server["root"], dl.Archive("BTCUSDT", "2024-04", "fundingRate", "um", None), text)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)  # no false gap from the jitter
        fr = dl.download_funding_rates("BTCUSDT", "2024-04-01", "2024-04-30", **opts(server))
    assert list(fr.index) == list(times)


def test_cli_download_funding_and_mark(server, monkeypatch, tmp_path, capsys) -> None:
    from riskkit.cli import main

    monkeypatch.setenv("RISKKIT_BINANCE_URL", server["url"])
    times = pd.date_range("2024-05-01", periods=93, freq="8h")
    text = "calc_time,funding_interval_hours,last_funding_rate\n" + "\n".join(
        f"{int(t.timestamp()) * 1000 + 1},8,-0.00002500" for t in times
    )
    write_archive(server["root"], dl.Archive("BTCUSDT", "2024-05", "fundingRate", "um", None), text)
    out = tmp_path / "funding.csv"
    args = [
        "download",
        "BTCUSDT",
        "--market",
        "um",
        "--kind",
        "funding",
        "--start",
        "2024-05-01",
        "--end",
        "2024-05-31",
        "--cache-dir",
        str(server["cache"]),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    assert "93 funding rates" in capsys.readouterr().out
    back = rd.read_funding(out)  # the CSV written reads back as a funding series
    assert list(back.index) == list(times) and (back["funding_rate"] == -2.5e-5).all()
    lines, _ = kline_rows(pd.date_range("2024-05-01", periods=31, freq="D"), "ms", 12)
    write_archive(
        server["root"],
        dl.Archive("BTCUSDT", "2024-05", "markPriceKlines", "um", "1d"),
        HEADER + "\n" + "\n".join(lines) + "\n",
    )
    args = [
        "download",
        "BTCUSDT",
        "--market",
        "um",
        "--kind",
        "mark",
        "--start",
        "2024-05-01",
        "--end",
        "2024-05-31",
        "--cache-dir",
        str(server["cache"]),
    ]
    assert main(args) == 0
    assert "31 mark bars" in capsys.readouterr().out
    assert main([*args[:3], "spot", *args[4:]]) == 2  # --market spot --kind mark
    assert "USD-M perpetuals only" in capsys.readouterr().err


def test_cli_download_never_overwrites_a_file_without_force(server, monkeypatch, tmp_path, capsys):
    # review risk 11: --out used to overwrite any existing file (the user's own prices.csv)
    from riskkit.cli import main

    monkeypatch.setenv("RISKKIT_BINANCE_URL", server["url"])
    lines, _ = kline_rows(pd.date_range("2024-05-01", periods=31, freq="D"), "ms", 12)
    write_archive(
        server["root"],
        dl.Archive("BTCUSDT", "2024-05", "klines", "spot", "1d"),
        HEADER + "\n" + "\n".join(lines) + "\n",
    )
    mine = tmp_path / "prices.csv"
    mine.write_text("date,close\n2020-01-01,1\n")
    args = ["download", "BTCUSDT", "--start", "2024-05-01", "--end", "2024-05-31"]
    args += ["--cache-dir", str(server["cache"]), "--out", str(mine)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "the file exists" in err and "--force" in err
    assert mine.read_text() == "date,close\n2020-01-01,1\n"  # untouched
    assert main([*args, "--force"]) == 0
    assert "31 bars" in capsys.readouterr().out
    assert len(pd.read_csv(mine)) == 31
    # a path inside the archive cache is refused even with --force
    cached = next(Path(server["cache"]).rglob("*.zip"))
    size = cached.stat().st_size
    assert main([*args[:-1], str(cached), "--force"]) == 2
    assert "inside the archive cache" in capsys.readouterr().err
    assert cached.stat().st_size == size
