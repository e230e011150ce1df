"""Read user price files, check them for defects, and clean them with explicit, logged steps.

The tidy price frame used throughout riskkit has a tz-naive :class:`pandas.DatetimeIndex` named
``date`` (understood as UTC; a bar is labelled by its *opening* time) and float columns ``open``,
``high``, ``low``, ``close``, ``volume`` (``close`` alone is enough).

Three layers, one module each, every name importable from ``riskkit.data``:

* :mod:`riskkit.data.io`: :func:`read_prices` reads CSV or Parquet as venues export them
  (banner lines, no header, descending rows, epoch units mixed row by row, ISO text with
  offsets, ``YYYY-MM-DD HH-AM/PM``), maps columns, refuses files of several series unless one
  is selected, and raises :class:`~riskkit.exceptions.DataError` naming file, column, file
  line and the option to change; :class:`ReadOptions` holds the read options (the same keys in
  Python, in a configuration's ``data`` section and as CLI flags);
* :mod:`riskkit.data.validation`: :func:`validate` reports every defect it finds (one row per
  defect, with dates: duplicates, gaps and rows off the grid with a tolerance for timestamp
  jitter, impossible bars, stale runs and repeated rows, bad ticks, a bogus first bar, a
  partial last bar) and warns :class:`~riskkit.exceptions.DataQualityWarning` with a short
  summary; it never changes the data. :func:`compare_intervals` checks daily closes against
  the last intraday close of each day;
* :mod:`riskkit.data.cleaning`: the cleaning steps (:func:`drop_duplicate_timestamps`,
  :func:`drop_nonpositive_prices`, :func:`drop_missing_prices`, :func:`drop_inconsistent_bars`,
  :func:`mask_stale_runs`, :func:`mask_bad_ticks`, :func:`mark_gaps`, and :func:`clean`, which
  applies several; also :func:`drop_partial_bars`, :func:`drop_off_grid_rows`,
  :func:`drop_bogus_first_bar`, :func:`mask_repeated_rows`) each return the new frame *and* a
  table of what they changed, and log a one-line summary to the ``riskkit.data`` logger.
  Nothing is patched silently.

:mod:`riskkit.data.loaded` ties them together: :class:`LoadedPrices` holds a frame, the report of
its raw rows and its cleaning log (:func:`read_checked` for a file, :func:`check_and_clean` for a
frame in memory). Frames carry no ``DataFrame.attrs``. :func:`example_exports`
(:mod:`riskkit.data.fixtures`) writes synthetic prices in the layouts of real exports
(CryptoDataDownload, Binance klines) with the defects real exports have, for tests and
teaching.

Perpetual feeds and second sources: :mod:`riskkit.data.perpetual` reads funding rates
(:func:`read_funding`) and mark-price, index-price and premium-index klines (:func:`read_klines`),
checks them (:func:`validate_funding`, :func:`validate_feed`) and derives :func:`basis` and
:func:`funding_accrual`; :mod:`riskkit.data.compare` compares two feeds of one asset
(:func:`compare_feeds`: deviation quantiles, bars beyond a threshold, lag, stale stretches,
missing bars).
"""

from __future__ import annotations

from riskkit.data._frame import OHLCV_COLUMNS, PRICE_COLUMNS
from riskkit.data.cleaning import (
    CHANGE_COLUMNS,
    clean,
    clip_range_spikes,
    drop_bogus_first_bar,
    drop_duplicate_timestamps,
    drop_inconsistent_bars,
    drop_missing_prices,
    drop_nonpositive_prices,
    drop_off_grid_rows,
    drop_partial_bars,
    mark_gaps,
    mask_bad_ticks,
    mask_repeated_rows,
    mask_stale_runs,
    sort_by_time,
)
from riskkit.data.compare import COMPARISON_COLUMNS, FeedComparison, compare_feeds
from riskkit.data.fixtures import example_exports
from riskkit.data.io import parse_timestamps, read_prices, tidy_prices
from riskkit.data.loaded import LoadedPrices, check_and_clean, read_checked
from riskkit.data.options import ReadOptions, parse_interval
from riskkit.data.perpetual import (
    FEED_CHECKS,
    FEED_KINDS,
    KLINE_COLUMNS,
    FeedReport,
    basis,
    funding_accrual,
    read_funding,
    read_klines,
    tidy_funding,
    validate_feed,
    validate_funding,
)
from riskkit.data.validation import (
    CHECKS,
    ISSUE_COLUMNS,
    ValidationReport,
    compare_intervals,
    find_partial_bar,
    infer_freq,
    jitter_tolerance,
    robust_sigma,
    validate,
)

__all__ = [
    "OHLCV_COLUMNS",
    "PRICE_COLUMNS",
    "CHECKS",
    "ISSUE_COLUMNS",
    "ValidationReport",
    "read_prices",
    "parse_timestamps",
    "tidy_prices",
    "validate",
    "infer_freq",
    "robust_sigma",
    "sort_by_time",
    "drop_duplicate_timestamps",
    "drop_nonpositive_prices",
    "drop_missing_prices",
    "drop_inconsistent_bars",
    "mask_stale_runs",
    "mask_bad_ticks",
    "mark_gaps",
    "clean",
    "CHANGE_COLUMNS",
    "LoadedPrices",
    "check_and_clean",
    "read_checked",
    "ReadOptions",
    "parse_interval",
    "find_partial_bar",
    "compare_intervals",
    "jitter_tolerance",
    "drop_partial_bars",
    "drop_off_grid_rows",
    "drop_bogus_first_bar",
    "clip_range_spikes",
    "mask_repeated_rows",
    "example_exports",
    "KLINE_COLUMNS",
    "FEED_KINDS",
    "FEED_CHECKS",
    "FeedReport",
    "read_funding",
    "read_klines",
    "tidy_funding",
    "validate_funding",
    "validate_feed",
    "basis",
    "funding_accrual",
    "COMPARISON_COLUMNS",
    "FeedComparison",
    "compare_feeds",
]
