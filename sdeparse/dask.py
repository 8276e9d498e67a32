"""Evaluate on a Dask cluster: partitions are evaluated on the workers, their Reports merged.

Reports merge exactly (counts, not records), so a cluster gives the report of a single-process
run to the last count and line number. Two ways in:

* `evaluate(bag_or_dataframe, task, design, profile)`: a ``dask.bag.Bag`` of records (mappings,
  or JSON lines as bytes or str) or a ``dask.dataframe.DataFrame`` (its rows as records, as
  `sdeparse.evaluate` reads a pandas DataFrame). Each partition is evaluated with line numbers
  counted from 1 and shifted, on merging, by the records of the partitions before it; record k
  of the whole is line k + 1, as in `sdeparse.evaluate`.
* `evaluate_file(path, ..., client=client)` (what ``sdeparse eval --dask`` runs): the file is
  read here, cut at line breaks into blocks of about a megabyte exactly as a single-process run
  cuts it, and the blocks are evaluated on the workers, a bounded number in flight; the file
  need not be visible to the workers.

Dask is an optional extra (``pip install "sdeparse[dask]"``); without it these functions
raise `DaskUnavailable`.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .design import Design
from .errors import MissingExtraError
from .evaluation import (
    DEFAULT_ERROR_SAMPLES,
    DEFAULT_SAMPLES,
    MAX_LINE_BYTES,
    PerRecord,
    Settings,
    Targets,
    Writable,
    _collect,
    _measured_chunks,
    _settings,
    evaluate_chunk,
    open_input,
    progress_bar,
)
from .report import Report
from .task import Task

__all__ = ["DaskUnavailable", "connect", "evaluate", "evaluate_file", "require"]



class DaskUnavailable(MissingExtraError):
    """Dask (dask[bag] and distributed) is not installed."""

    def __init__(self) -> None:
        super().__init__("evaluating on Dask", "Dask", "dask")


def require() -> Any:
    """The ``distributed`` module, or DaskUnavailable."""
    try:
        import dask  # noqa: F401
        import distributed
    except ImportError:
        raise DaskUnavailable() from None
    return distributed


# ---- collections -----------------------------------------------------------------------------
def _as_item(item: Any) -> Any:
    """A bag item as evaluate_chunk reads it: a str line as its UTF-8 bytes (lone surrogates,
    as ``read_text(errors="surrogateescape")`` gives for bad bytes, back to those bytes)."""
    if isinstance(item, str):
        return item.encode("utf-8", "surrogateescape")
    return item


def _evaluate_partition(settings: Settings, partition: Any) -> tuple[Report, Any]:
    """One partition (a list, or a pandas DataFrame) evaluated with lines counted from 1."""
    if hasattr(partition, "to_dict") and hasattr(partition, "columns"):
        items: Iterable[Any] = partition.to_dict("records")
    else:
        items = partition
    return evaluate_chunk(settings, [(line, _as_item(item)) for line, item in
                                     enumerate(items, 1)])


def evaluate(
    collection: Any,
    task: Task | str,
    design: Design | str,
    profile: str = "strict",
    *,
    client: Any = None,
    prediction_field: str = "prediction",
    target_field: str = "target",
    strict_input: bool = False,
    source: str = "",
    samples: int = DEFAULT_SAMPLES,
    error_samples: int = DEFAULT_ERROR_SAMPLES,
    input_field: str | None = None,
    strip: Sequence[str] = (),
    sample_index: int | None = None,
    predictions_only: bool = False,
    targets: Targets | None = None,
    per_record: PerRecord | None = None,
    align_field: str = "",
) -> Report:
    """Evaluate a Dask Bag or DataFrame of records into one Report, identical to
    `sdeparse.evaluate` over the same records in the same order (the options are its own).

    The partitions run on `client` (a ``distributed.Client``) when given, else on Dask's
    current scheduler. `targets` must join by id (`Targets.load(..., id_field=...)`): a
    partition does not know its line numbers before the earlier ones are counted.
    """
    distributed = require()
    import dask

    if targets is not None and not targets.id_field:
        raise ValueError("on Dask, a targets file must be joined by an id field (id_field)")
    if not hasattr(collection, "to_delayed"):
        raise TypeError(f"a Dask Bag or DataFrame is needed, not {type(collection).__name__}")
    settings = _settings(
        task, design, profile, prediction_field, target_field, strict_input, samples,
        error_samples, source, input_field, strip, sample_index, predictions_only, targets,
        per_record=per_record is not None, align_field=align_field,
    )
    shared = dask.delayed(settings, traverse=False)
    parts = [dask.delayed(_evaluate_partition)(shared, part)
             for part in collection.to_delayed()]
    if client is not None:
        results = client.gather(client.compute(parts))
    else:
        with contextlib.suppress(ValueError):  # no client: the default scheduler
            client = distributed.get_client()
        results = (client.gather(client.compute(parts)) if client is not None
                   else dask.compute(*parts))

    def shifted() -> Iterator[tuple[Report, Any]]:
        offset = 0
        for partial, failure in results:
            yield partial.shift_lines(offset), (
                None if failure is None else (failure[0] + offset, failure[1]))
            offset += partial.records

    return _collect(settings, (), 1, progress_bar(False, None, "rec", ""),
                    per_record=per_record, results=shifted())


# ---- files -----------------------------------------------------------------------------------
def evaluate_file(
    path: str | Path,
    task: Task | str,
    design: Design | str,
    profile: str = "strict",
    *,
    client: Any,
    prediction_field: str = "prediction",
    target_field: str = "target",
    strict_input: bool = False,
    samples: int = DEFAULT_SAMPLES,
    error_samples: int = DEFAULT_ERROR_SAMPLES,
    progress: bool = False,
    input_field: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    strip: Sequence[str] = (),
    sample_index: int | None = None,
    predictions_only: bool = False,
    targets: Targets | None = None,
    errors_out: Writable | None = None,
    per_record: PerRecord | None = None,
    align_field: str = "",
    in_flight: int | None = None,
    jobs: int = 1,
) -> Report:
    """`sdeparse.evaluate_file` with the blocks of the file evaluated on `client`'s workers
    (`in_flight` blocks at a time, by default 3 per worker thread); the same Report. `jobs` is
    accepted for the options' sake and ignored: the cluster decides."""
    require()
    source = "<stdin>" if str(path) == "-" else str(path)
    settings = _settings(
        task, design, profile, prediction_field, target_field, strict_input, samples,
        error_samples, source, input_field, strip, sample_index, predictions_only, targets,
        errors_out is not None, per_record is not None, align_field,
    )
    if in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        in_flight = 3 * threads
    stream, size, close = open_input(path)
    try:
        bar = progress_bar(progress, size, "B", source)
        sizes: deque[int] = deque()
        chunks = _measured_chunks(stream, sizes, max_line_bytes, source)
        results = _on_cluster(client, settings, chunks, max(1, in_flight))
        return _collect(settings, (), 1, bar, sizes, errors_out, per_record, results=results)
    finally:
        if close:
            stream.close()


def _on_cluster(client: Any, settings: Settings, chunks: Iterable[Any],
                in_flight: int) -> Iterator[tuple[Report, Any]]:
    """evaluate_chunk over the chunks on the cluster, results in input order; the settings are
    sent to every worker once; outstanding work is cancelled if the consumer stops."""
    shared = client.scatter(settings, broadcast=True, hash=False)
    window: deque[Any] = deque()
    try:
        for chunk in chunks:
            window.append(client.submit(evaluate_chunk, shared, chunk, pure=False))
            if len(window) >= in_flight:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        if window:
            client.cancel(list(window))


# ---- clusters --------------------------------------------------------------------------------
@contextlib.contextmanager
def connect(address: str, workers: int = 2, timeout: float = 60) -> Iterator[Any]:
    """A ``distributed.Client``: of the scheduler at `address` (within Dask's connect timeout,
    ``distributed.comm.timeouts.connect``), or, for ``local``, of a new LocalCluster of
    `workers` single-threaded worker processes started within `timeout` seconds (closed on
    leaving)."""
    distributed = require()
    if address == "local":
        with distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
            timeout=timeout,
        ) as cluster, distributed.Client(cluster, timeout=timeout) as client:
            yield client
        return
    with distributed.Client(address) as client:
        yield client

