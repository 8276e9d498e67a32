"""Evaluate generations: read records, parse prediction and target, count into a Report.

Streams: records are handled in chunks and only the Report's counts are kept, so memory does
not grow with the input. Files are read as bytes and decoded line by line, so one bad line
(invalid UTF-8 or JSON, missing or non-string field, blank) is counted as an input error with
its line number and reason and does not spoil the rest. With ``jobs > 1`` chunks are parsed
in worker processes, each returning a partial Report; the partial reports are merged in input
order, so the result is identical to a single-process run.

Classification tasks are scored label by label against the target's labels; extraction tasks
by (type, span) pairs against the target's pairs, with the record's input (``prompt`` unless
said otherwise) handed to the parser so that spans not in it are reported.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import math
import multiprocessing
import os
import re
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, BinaryIO, Protocol, TypeAlias

from .compare import record_key, record_row
from .design import Design
from .diagnostics import Severity
from .errors import InputError
from .parser import parse, parser_for
from .profiles import get_profile
from .report import DEFAULT_ERROR_SAMPLES, DEFAULT_SAMPLES, NoScorer, Report
from .scoring import ClassificationScorer, ExtractionScorer
from .scoring.classification import IndexedGold
from .task import Task, TaskKind, load_task

CHUNK_SIZE = 1000
BLOCK_SIZE = 1 << 20
#: The longest line (one record, in bytes) read by default; a longer line is an input error
#: with its line number and reading goes on at the next line, so one runaway record (a file
#: with no line breaks, /dev/zero) cannot take all the memory.
MAX_LINE_BYTES = 64 << 20
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"{\x00", b"\x00{", b"[\x00", b"\x00[")


#: What a worker is handed: (line number, raw bytes or record) pairs, or a Block of a file.
Chunk: TypeAlias = "list[tuple[int, Any]] | Block"
_BOM = b"\xef\xbb\xbf"
_SURROGATE = re.compile("[\ud800-\udfff]")

_STR_ONLY = frozenset((str,))
_fast_loads: Callable[[bytes], Any] | None
try:  # orjson decodes a record in well under a microsecond, the standard library in several
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; the fallback stays exact
    _fast_loads = None


@dataclass(frozen=True)
class Settings:
    """What every worker needs to evaluate a chunk (picklable, sent once per worker)."""

    task: Task
    design: Design
    profile: str
    prediction_field: str = "prediction"
    target_field: str = "target"
    strict_input: bool = False
    samples: int = DEFAULT_SAMPLES
    error_samples: int = DEFAULT_ERROR_SAMPLES
    source: str = ""
    #: Extraction tasks: the record field holding the model's input, handed to the parser as
    #: `source` (spans not in it are reported as ungrounded_span); "" for none. A record
    #: without it (or with a non-string value) is parsed without a source, unless
    #: `input_required`, when that is an input error.
    input_field: str = "prompt"
    input_required: bool = False
    #: Strings removed from every prediction before parsing (stop sequences, special tokens).
    strip: tuple[str, ...] = ()
    #: Which sample to read when the prediction field holds a list of samples.
    sample_index: int | None = None
    #: No targets: count format errors and codes only (prediction-only mode).
    predictions_only: bool = False
    #: Targets read from a separate file (joined by line number or by an id field), or None:
    #: the target is then the record's own `target_field`.
    targets: Targets | None = None
    #: The design's name as given (a paper mode name such as instruction-first), for reports.
    design_given: str = ""
    #: Keep each output with a format error in full (for --errors-out).
    keep_errors: bool = False
    #: Keep each scored output's alignment key and score contribution (`sdeparse.compare`).
    per_record: bool = False
    #: The field whose value aligns records across files (an id); "" for the input text
    #: (`input_field`, else ``prompt``).
    align_field: str = ""

    def target(self, line: int, record: Mapping[str, Any]) -> str:
        """The record's target: its own field, or its entry in the targets file."""
        if self.targets is None:
            return _text_field(record, self.target_field)
        return self.targets.target_of(line, record)

    def prediction(self, record: Mapping[str, Any]) -> str:
        """The record's prediction: its field (or path), the chosen sample, stripped."""
        text = _text_field(record, self.prediction_field, self.sample_index)
        for unwanted in self.strip:
            text = text.replace(unwanted, "")
        return text

    def input_text(self, record: Mapping[str, Any]) -> str | None:
        """The model's input of a record (extraction tasks), or None."""
        if not self.task.is_extraction or not self.input_field:
            return None
        if self.input_required:
            return _text_field(record, self.input_field)
        value = record.get(self.input_field)
        return value if isinstance(value, str) else None

    def empty_report(self) -> Report:
        return Report.for_task(
            self.task,
            self.design,
            self.profile,
            self.source,
            self.samples,
            self.error_samples,
            scorer=NoScorer() if self.predictions_only else None,
            design_given=self.design_given,
        )


@dataclass(frozen=True)
class Targets:
    """The targets of a separate JSON Lines file (``--targets FILE``), held in memory.

    Joined by line number (line k of the targets is the target of line k of the outputs), or,
    with `id_field`, by the value of that field in both files. A targets line that cannot be
    read is the input error of the output it belongs to (joined by line); an id given to two
    different targets is never resolved by guessing: outputs with that id are input errors.
    """

    source: str
    id_field: str = ""
    #: by line number, or by id: the target text, or the reason there is none
    by_key: Mapping[Any, tuple[str | None, str]] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        path: str | Path,
        target_field: str = "target",
        id_field: str = "",
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> Targets:
        """Read a targets file: InputError when it is UTF-16; its bad lines are kept as reasons
        (joined by line) or, joined by id, make an InputError naming the line."""
        source = "<stdin>" if str(path) == "-" else str(path)
        stream, _, close = open_input(path)
        by_key: dict[Any, tuple[str | None, str]] = {}
        try:
            for block in _measured_chunks(stream, deque(), max_line_bytes, source):
                for line, raw in block.lines():
                    try:
                        record = _as_record(raw, line == 1)
                        text = _text_field(record, target_field)
                        key: Any = _id_of(record, id_field) if id_field else line
                    except BadInput as bad:
                        if id_field:
                            raise InputError(f"targets: {bad.reason}", line=line,
                                             source=source) from None
                        by_key[line] = (None, f"targets line {line}: {bad.reason}")
                        continue
                    seen = by_key.get(key)
                    if seen is not None and seen[0] != text:
                        by_key[key] = (None, f"id {key!r} has several different targets in "
                                             f"{source}")
                    elif seen is None:
                        by_key[key] = (text, "")
        finally:
            if close:
                stream.close()
        return cls(source, id_field, by_key)

    def target_of(self, line: int, record: Mapping[str, Any]) -> str:
        """The target of the output on `line` (record `record`), or BadInput saying why not."""
        key: Any = _id_of(record, self.id_field) if self.id_field else line
        text, reason = self.by_key.get(key, (None, ""))
        if text is None:
            where = f"id {key!r}" if self.id_field else f"line {line}"
            raise BadInput("missing_field", reason or f"no target for {where} in {self.source}",
                           record)
        return text


def _id_of(record: Mapping[str, Any], id_field: str) -> str:
    """A record's id, as text: a string as it is, an integer in decimal; BadInput otherwise."""
    value = field_value(record, id_field)
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise BadInput("not_a_string", f"id field {id_field!r} is {_json_kind(value)}, not a "
                   "string or an integer", record)


#: Receives each chunk's per-record (alignment key, score contribution) pairs, in input order.
PerRecord: TypeAlias = Callable[[Sequence[tuple[Any, tuple[int, ...]]]], None]


class Writable(Protocol):
    """Where `--errors-out` lines go: anything with a binary write."""

    def write(self, data: bytes, /) -> int: ...


class BadInput(Exception):
    """A record that cannot be evaluated: `kind` (see report.INPUT_ERROR_KINDS) and `reason`."""

    def __init__(self, kind: str, reason: str, record: Any = None) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.record = record


def dumps(obj: Any) -> bytes:
    """Compact JSON as UTF-8 bytes, non-ASCII kept; lone surrogates escaped so it stays valid;
    NaN and infinities (not JSON) written as null."""
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:  # a non-finite float somewhere: JSON has no spelling for it
        text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # json.dumps leaves lone surrogates raw, and they only occur inside strings
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def _finite(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {key: _finite(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(value) for value in obj]
    return obj


def _no_constant(name: str) -> None:
    """NaN, Infinity and -Infinity are not JSON; Python's reader accepts them: read as null."""
    return None


def decode_line(raw: bytes, first: bool = False) -> dict[str, Any]:
    """One JSON Lines line as a dict, or BadInput saying why not. A byte-order mark is dropped
    on any line (files concatenated from several editors carry one per part)."""
    if _fast_loads is not None:
        # orjson accepts a subset of what json.loads accepts (no NaN, lone surrogates, infinite
        # floats or deep nesting) and reads strings, booleans, null and integers of up to 64
        # bits identically; anything it rejects, a line that is not an object and a record
        # holding a float (orjson reads a longer integer as one) get the standard path, which
        # gives the verdict and reason. The line break needs no cutting: it is whitespace to
        # orjson as to json.loads.
        try:
            record = _fast_loads(raw[len(_BOM) :] if raw.startswith(_BOM) else raw)
        except ValueError:
            pass
        else:
            if type(record) is dict and (
                _STR_ONLY.issuperset(map(type, record.values())) or not _holds_float(record)
            ):  # the usual record holds strings only: no walk
                return record
    raw = raw.rstrip(b"\r\n")
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput("invalid_utf8", f"not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise BadInput("blank_line", "blank line")
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise BadInput("invalid_json", f"not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise BadInput("invalid_json", "not valid JSON: nested too deeply") from None
    except ValueError as exc:  # an integer longer than Python converts (int_max_str_digits)
        reason = "an integer too long to read" if "digits" in str(exc) else str(exc)
        raise BadInput("invalid_json", f"not readable JSON: {reason}") from None
    if not isinstance(record, dict):
        raise BadInput("not_an_object", f"a JSON {_json_kind(record)}, not an object")
    return record


def _holds_float(record: dict[str, Any]) -> bool:
    """Whether a decoded record holds a float anywhere (a walk over its values, no recursion)."""
    stack: list[Any] = [record]
    while stack:
        node = stack.pop()
        for value in node.values() if type(node) is dict else node:
            kind = type(value)
            if kind is float:
                return True
            if kind is dict or kind is list:
                stack.append(value)
    return False


def _json_kind(value: Any) -> str:
    """The JSON name of a decoded value's type (null, not NoneType)."""
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), type(value).__name__)


def field_value(record: Mapping[str, Any], name: str) -> Any:
    """The value a field name or path names: a key of the record, else a dotted path of keys
    and list indices (``outputs.0.text`` for vLLM, ``response.body.choices.0.message.content``
    for OpenAI batch output). BadInput when it is not there."""
    if name in record:
        return record[name]
    node: Any = record
    for part in name.split("."):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and _is_index(part) and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            raise BadInput("missing_field", f"no {name!r} field", record)
    return node


def _is_index(part: str) -> bool:
    return part.isdigit() or (part.startswith("-") and part[1:].isdigit())


def _text_field(record: Mapping[str, Any], name: str, sample: int | None = None) -> str:
    value = field_value(record, name)
    if isinstance(value, list) and sample is not None:
        if not -len(value) <= sample < len(value):
            raise BadInput(
                "missing_field",
                f"field {name!r} holds {len(value)} samples, no sample {sample}",
                record,
            )
        value = value[sample]
    if not isinstance(value, str):
        if isinstance(value, list) and sample is None:
            reason = (f"field {name!r} is a list of {len(value)} samples: choose one with "
                      "--sample-index")
        else:
            reason = f"field {name!r} is {_json_kind(value)}, not a string"
        raise BadInput("not_a_string", reason, record)
    return value


def _as_record(item: Any, first: bool) -> Mapping[str, Any]:
    if isinstance(item, TooLong):
        raise BadInput(
            "line_too_long",
            f"a line of {item.size:,} bytes, over the limit of {item.limit:,} "
            "(--max-line-bytes)",
        )
    if isinstance(item, (bytes, bytearray)):
        return decode_line(bytes(item), first)
    if not isinstance(item, Mapping):
        raise BadInput("not_an_object", f"a {type(item).__name__}, not a mapping")
    return item


def _gold_reason(result: Any) -> str:
    bad = [d for d in result.diagnostics if d.severity is not Severity.INFO]
    codes = ", ".join(dict.fromkeys(d.code for d in bad))
    return f"target does not parse cleanly: {codes}"


#: Whether evaluate_chunk takes its shortcuts (plain records read by their fields directly;
#: the label indices of clean label outputs kept and counted together at the end of the chunk).
#: Off, every record takes the general path; the report is the same (tests compare).
FAST_PATHS = True


def evaluate_chunk(
    settings: Settings, chunk: Chunk
) -> tuple[Report, Any]:
    """Evaluate (line number, raw bytes or record) pairs into a partial report.

    Returns (report, None), or under strict_input (report so far, (line, reason)) at the
    first bad line, which the caller turns into an InputError.
    """
    s = settings
    report = s.empty_report()
    golds, gold_of, golds_setup = _gold_cache_for(s)
    if isinstance(chunk, Block):
        chunk = chunk.lines()
    parse_one = parser_for(s.task, s.design, s.profile).parse
    fast = FAST_PATHS
    # a record's fields read by name: no targets file, no stripping, no prediction-only mode
    plain = fast and s.targets is None and not s.strip and not s.predictions_only
    prediction_field, target_field = s.prediction_field, s.target_field
    wants_source = s.task.is_extraction and bool(s.input_field)
    # clean label outputs (no diagnostic, no format error): their gold and predicted label
    # indices, counted together at the end (ClassificationScorer.add_indexed)
    scorer = report.scorer
    tallied = (fast and isinstance(scorer, ClassificationScorer)
               and scorer.setup()[:2] == golds_setup and len(scorer.aspects) > 0)
    clean_golds: list[IndexedGold] = []
    clean_predicted: list[tuple[int, ...]] = []
    aspects = scorer.aspects if isinstance(scorer, ClassificationScorer) else ()
    width = len(aspects)
    pick = _picker(aspects)
    label_index = (scorer._label_index if isinstance(scorer, ClassificationScorer) else {}
                   ).__getitem__
    per_record, keep_errors = s.per_record, s.keep_errors
    try:
        for line, item in chunk:
            try:
                if type(item) is bytes:
                    record: Mapping[str, Any] = decode_line(item, line == 1)
                else:
                    record = _as_record(item, line == 1)
                if plain:
                    prediction = record.get(prediction_field)
                    if type(prediction) is not str:
                        prediction = s.prediction(record)
                    target: str | None = record.get(target_field)
                    if type(target) is not str:
                        target = s.target(line, record)
                else:
                    prediction = s.prediction(record)
                    target = None if s.predictions_only else s.target(line, record)
                source = s.input_text(record) if wants_source else None
            except BadInput as bad:
                if s.strict_input:
                    return report, (line, bad.reason)
                report.add_input_error(line, bad.kind, bad.reason)
                continue
            truth: Any = None
            indexed: IndexedGold | None = None
            if target is not None:
                truth, reason, indexed = golds.get(target) or gold_of(target)
                if reason is not None:
                    report.add_gold_error(line, reason)
                    continue
            result = parse_one(prediction, source)
            if tallied and indexed is not None and not result.diagnostics \
                    and not result.is_format_error and result.kind is TaskKind.CLASSIFICATION:
                labels = result.labels
                if len(labels) == width:  # then exactly the aspects, or pick raises KeyError
                    try:
                        predicted = tuple(map(label_index, pick(labels)))
                    except KeyError:  # not one known label per aspect: add says what is wrong
                        pass
                    else:
                        clean_golds.append(indexed)
                        clean_predicted.append(predicted)
                        if per_record:
                            report.scored_records.append(
                                (_align_key(s, record), record_row(scorer, truth, result, None)))
                        continue
            scorer = report.scorer  # an extraction row is the scorer's change: its counts before
            before = scorer.micro if per_record and isinstance(scorer, ExtractionScorer) else None
            report.add(line, result, truth, prediction)
            if per_record:
                report.scored_records.append(
                    (_align_key(s, record), record_row(scorer, truth, result, before))
                )
            if keep_errors and result.is_format_error:
                entry: dict[str, Any] = {"line": line, "prediction": prediction}
                if target is not None:
                    entry["target"] = target
                entry["parsed"] = result.to_dict()
                report.error_records.append(entry)
    finally:  # the clean outputs are counted whichever way the loop ends
        if clean_predicted:
            report.add_clean(clean_golds, clean_predicted)
    return report, None


def _align_key(settings: Settings, record: Mapping[str, Any]) -> bytes | None:
    """What aligns a record with its counterparts in other files: a digest of its id (the
    `align_field`) or of its input text; None when the record has neither."""
    if settings.align_field:
        try:
            return record_key(_id_of(record, settings.align_field))
        except BadInput:
            return None
    value = record.get(settings.input_field or "prompt")
    return record_key(value) if isinstance(value, str) else None


#: How many distinct targets a process keeps parsed (targets repeat heavily: a test set's
#: gold answers are few label maps); the cache is emptied whole when full, so it stays small.
GOLD_CACHE_SIZE = 4096
#: A parsed target: (gold labels or pairs, None, the labels as `ClassificationScorer.index_gold`
#: gives them, or None), or (None, reason, None) when it does not parse cleanly.
GoldEntry: TypeAlias = "tuple[Any, str | None, IndexedGold | None]"
_gold_cache: tuple[object, dict[str, GoldEntry]] = (None, {})


def _gold_cache_for(settings: Settings) -> tuple[
    dict[str, GoldEntry], Callable[[str], GoldEntry], tuple[Any, ...]
]:
    """The parsed-target cache of this (task, design), the function that fills it (see
    GoldEntry), and the (aspects, labels) the indices of its gold labels follow."""
    global _gold_cache
    task, design = settings.task, settings.design
    key = _gold_cache[0]
    if not (isinstance(key, tuple) and key[0] is task and key[1] is design):
        _gold_cache = ((task, design), {})  # by identity: a new setup starts a new cache
    cache = _gold_cache[1]
    extraction = task.is_extraction
    indexer = None if extraction else ClassificationScorer.for_task(task)

    def gold_of(target: str) -> GoldEntry:
        gold = parse(target, task, design, "strict")
        if gold.is_format_error:
            entry: GoldEntry = (None, _gold_reason(gold), None)
        elif indexer is None:
            entry = (gold.extractions, None, None)
        else:
            entry = (gold.labels, None, indexer.index_gold(gold.labels))
        if len(cache) >= GOLD_CACHE_SIZE:
            cache.clear()
        cache[target] = entry
        return entry

    return cache, gold_of, (() if indexer is None else indexer.setup()[:2])


def _picker(aspects: tuple[str, ...]) -> Callable[[Mapping[str, str]], tuple[str, ...]]:
    """A function giving a record's labels in aspect order (KeyError when one is missing)."""
    if len(aspects) == 1:
        only = aspects[0]
        return lambda labels: (labels[only],)
    if not aspects:
        return lambda labels: ()
    return itemgetter(*aspects)


def parse_chunk(
    settings: Settings, chunk: Chunk
) -> tuple[list[bytes], Any]:
    """`sdeparse parse`: one output JSON line per input line, bad lines carrying their error."""
    s = settings
    out: list[bytes] = []
    if isinstance(chunk, Block):
        chunk = chunk.lines()
    for line, item in chunk:
        try:
            record = _as_record(item, line == 1)
            prediction = s.prediction(record)
            source = s.input_text(record)
        except BadInput as bad:
            if s.strict_input:
                return out, (line, bad.reason)
            error = {"line": line, "kind": bad.kind, "reason": bad.reason}
            if bad.record is not None:
                out.append(dumps({**bad.record, "input_error": error}))
            elif isinstance(item, (bytes, bytearray)):
                raw = bytes(item).rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                out.append(dumps({"input_error": error, "raw": raw}))
            elif isinstance(item, TooLong):  # not kept: its size is in the reason
                out.append(dumps({"input_error": error}))
            else:
                out.append(dumps({"input_error": error, "raw": repr(item)}))
            continue
        result = parse(prediction, s.task, s.design, s.profile, source)
        parsed = result.to_dict()
        try:
            target = s.target(line, record)
        except BadInput:  # no target: the record is annotated without gold
            target = None
        if target is not None:
            parsed.update(_gold_marks(s, target, result))
        out.append(dumps({**record, "parsed": parsed}))
    return out, None


def _gold_marks(settings: Settings, target: str, result: Any) -> dict[str, Any]:
    """What `sdeparse parse` adds when a record has a target: the gold (labels, or [type, span]
    pairs) and whether the prediction is correct (every label right; the same pairs), or the
    reason the target is not gold (it does not parse cleanly)."""
    gold = parse(target, settings.task, settings.design, "strict")
    if gold.is_format_error:
        return {"gold_error": _gold_reason(gold)}
    if settings.task.is_extraction:
        pairs = sorted([kind, span] for kind, span in gold.extractions)
        mine = sorted([kind, span] for kind, span in result.extractions)
        return {"gold": pairs, "correct": mine == pairs and not result.unpaired}
    return {"gold": dict(gold.labels), "correct": dict(result.labels) == dict(gold.labels)}


# ---- running chunks, in this process or in a pool ---------------------------------------------
_worker_settings: Settings | None = None


def _init_worker(settings: Settings) -> None:
    """A worker ignores Ctrl-C (the terminal sends it to every process of the job): the main
    process alone decides to stop, and then ends the workers."""
    global _worker_settings
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_settings = settings


def _eval_in_worker(chunk: Chunk) -> tuple[Report, Any]:
    assert _worker_settings is not None
    return evaluate_chunk(_worker_settings, chunk)


def _parse_in_worker(chunk: Chunk) -> tuple[list[bytes], Any]:
    assert _worker_settings is not None
    return parse_chunk(_worker_settings, chunk)


ChunkFunc: TypeAlias = Callable[[Settings, Chunk], tuple[Any, Any]]

#: The worker-side stand-in of each chunk function (it reads the settings sent once per worker).
_IN_WORKER: dict[ChunkFunc, Callable[[Chunk], tuple[Any, Any]]] = {
    evaluate_chunk: _eval_in_worker,
    parse_chunk: _parse_in_worker,
}


#: Outputs that make the parser build what it builds on first need (the pairs scanner, the
#: JSON grammar, the unwrap stage's patterns): parsed once before forking workers.
_WARM_UP = (
    "食品评价：正面，，<think>x</think>",
    '{"方面": "食品评价", "情感": "正面"',
    "a: b\n**c**",
)


def _warm_up(settings: Settings) -> None:
    """Parse a few deviating outputs in this process (results discarded; parsing is pure)."""
    parser = parser_for(settings.task, settings.design, settings.profile)
    for text in _WARM_UP:
        parser.parse(text)


def run_chunks(
    func: ChunkFunc,
    settings: Settings,
    chunks: Iterable[Chunk],
    jobs: int = 1,
) -> Iterator[tuple[Any, Any]]:
    """Apply `func` to each chunk, in order; with jobs > 1 in a pool of that many processes.

    At most 2 x jobs chunks are in flight, so a fast reader never piles up the whole input.
    """
    if jobs <= 1:
        for chunk in chunks:
            yield func(settings, chunk)
        return
    context = multiprocessing.get_context()
    if context.get_start_method() == "fork":
        _warm_up(settings)  # forked workers inherit the built readers instead of each building
    # A process pool that survives its workers being killed (multiprocessing.Pool can
    # deadlock in terminate() when a worker dies holding its task queue's lock).
    executor = ProcessPoolExecutor(
        jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(settings,),
    )
    try:
        window: deque[Future[tuple[Any, Any]]] = deque()
        for chunk in chunks:
            window.append(executor.submit(_IN_WORKER[func], chunk))
            if len(window) >= 2 * jobs:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    except BaseException:  # interrupted, or the consumer stopped: end the workers now
        stop_workers()
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def stop_workers() -> None:
    """Kill this process's worker processes at once (their work is being thrown away), and
    reap them, so none is left behind even where no init process reaps orphans."""
    children = multiprocessing.active_children()
    for child in children:
        with contextlib.suppress(OSError, ValueError):
            child.kill()
    for child in children:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            child.join(timeout=1)


def chunked(
    items: Iterable[Any], first_line: int = 1, size: int = CHUNK_SIZE
) -> Iterator[list[tuple[int, Any]]]:
    """(line number, item) pairs in lists of `size`."""
    chunk: list[tuple[int, Any]] = []
    for line, item in enumerate(items, first_line):
        chunk.append((line, item))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---- progress -------------------------------------------------------------------------------
class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(enabled: bool, total: int | None, unit: str, desc: str) -> Any:
    """A tqdm bar on standard error when enabled and tqdm is installed, else a no-op."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm  # no stubs; optional
    except ImportError:
        return _NoBar()
    return tqdm(
        total=total,
        unit=unit,
        unit_scale=unit == "B",
        desc=desc,
        file=sys.stderr,
        leave=False,
        dynamic_ncols=True,
    )


# ---- public entry points ----------------------------------------------------------------------
def _records_of(records: Any) -> Iterable[Any]:
    # A pandas DataFrame iterates over its column names; take its rows as dicts instead.
    if hasattr(records, "to_dict") and hasattr(records, "columns"):
        return records.to_dict("records")
    return records


def check_setup(task: Task | str, design: Design | str, profile: str) -> tuple[Task, Design]:
    """The loaded task and design, after building their parser: a TaskError, DesignError or
    ProfileError (the paper profile on a design it cannot read) before any record is read."""
    loaded = load_task(task)
    chosen = loaded.design(design)
    parser_for(loaded, chosen, get_profile(profile).name)
    return loaded, chosen


def _settings(
    task: Task | str,
    design: Design | str,
    profile: str,
    prediction_field: str,
    target_field: str,
    strict_input: bool,
    samples: int,
    error_samples: int,
    source: str,
    input_field: str | None = None,
    strip: Sequence[str] = (),
    sample_index: int | None = None,
    predictions_only: bool = False,
    targets: Targets | None = None,
    keep_errors: bool = False,
    per_record: bool = False,
    align_field: str = "",
) -> Settings:
    loaded, chosen = check_setup(task, design, profile)
    if any(not isinstance(text, str) or not text for text in strip):
        raise ValueError("strip takes non-empty strings")
    return Settings(
        task=loaded,
        design=chosen,
        profile=get_profile(profile).name,
        prediction_field=prediction_field,
        target_field=target_field,
        strict_input=strict_input,
        samples=samples,
        error_samples=error_samples,
        source=source,
        input_field="prompt" if input_field is None else input_field,
        input_required=bool(input_field),
        strip=tuple(strip),
        sample_index=sample_index,
        predictions_only=predictions_only,
        targets=targets,
        design_given=design if isinstance(design, str) else "",
        keep_errors=keep_errors,
        per_record=per_record,
        align_field=align_field,
    )


def _collect(
    settings: Settings,
    chunks: Iterable[Chunk],
    jobs: int,
    bar: Any,
    sizes: deque[int] | None = None,
    errors_out: Writable | None = None,
    per_record: PerRecord | None = None,
    results: Iterable[tuple[Report, Any]] | None = None,
) -> Report:
    """Merge the partial reports in input order; advance the bar by records or by bytes;
    write the outputs with a format error in full to `errors_out` (one JSON line each);
    hand each partial report's per-record scores to `per_record`. `results` are the partial
    reports when computed elsewhere (a Dask cluster), else they are computed here."""
    report = settings.empty_report()
    if results is None:
        results = run_chunks(evaluate_chunk, settings, chunks, jobs)
    try:
        for partial, failure in results:
            if errors_out is not None:
                for entry in partial.error_records:
                    errors_out.write(dumps({"file": settings.source, **entry}) + b"\n")
            partial.error_records.clear()
            if per_record is not None:
                per_record(partial.scored_records)
            partial.scored_records.clear()
            report.update(partial)
            bar.update(sizes.popleft() if sizes is not None else partial.records)
            if failure is not None:
                line, reason = failure
                raise InputError(reason, line=line, source=settings.source)
    finally:
        bar.close()
    return report


def evaluate(
    records: Iterable[Mapping[str, Any]],
    task: Task | str,
    design: Design | str,
    profile: str = "strict",
    *,
    prediction_field: str = "prediction",
    target_field: str = "target",
    strict_input: bool = False,
    jobs: int = 1,
    first_line: int = 1,
    source: str = "",
    samples: int = DEFAULT_SAMPLES,
    error_samples: int = DEFAULT_ERROR_SAMPLES,
    progress: bool = False,
    input_field: str | None = None,
    strip: Sequence[str] = (),
    sample_index: int | None = None,
    predictions_only: bool = False,
    targets: Targets | None = None,
    errors_out: Writable | None = None,
    per_record: PerRecord | None = None,
    align_field: str = "",
) -> Report:
    """Evaluate records ({"prompt", "target", "prediction"} dicts) into a Report.

    `records` is any iterable of mappings: a list, a generator over a file, a pandas
    DataFrame, a Hugging Face dataset. Record k gets line number ``first_line + k``, so
    reports over consecutive slices merge into the report over the whole. A record that is
    not a mapping or lacks a string prediction or target is an input error (InputError is
    raised instead when `strict_input`).

    Extraction tasks are scored by (type, span) pairs: the gold is the strict reading of the
    target (in the same design), the prediction's pairs are the profile's, and the record's
    `input_field` (default ``prompt``, used when present; naming one makes it required; ""
    for none) is the input the parser checks spans against (ungrounded_span).

    `predictions_only` reads no target: the report has format errors and codes, no scores.
    `targets` (`Targets.load`) gives the targets from a separate file instead of the records.
    `errors_out`, a binary stream, receives every output with a format error as a JSON line.
    `per_record`, when given, receives each scored output's alignment key (a digest of its
    `align_field`, or of its input text when that is "") and score contribution
    (`sdeparse.compare.RecordScores` collects them); off by default, it costs nothing then.
    """
    settings = _settings(
        task,
        design,
        profile,
        prediction_field,
        target_field,
        strict_input,
        samples,
        error_samples,
        source,
        input_field,
        strip,
        sample_index,
        predictions_only,
        targets,
        errors_out is not None,
        per_record is not None,
        align_field,
    )
    items = _records_of(records)
    total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    bar = progress_bar(progress, total, "rec", source or "evaluating")
    return _collect(settings, chunked(items, first_line), jobs, bar, errors_out=errors_out,
                    per_record=per_record)


def open_input(path: str | Path) -> tuple[BinaryIO, int | None, bool]:
    """(binary stream, size in bytes if known, whether to close it); ``-`` is standard input."""
    if str(path) == "-":
        return sys.stdin.buffer, None, False
    if str(path).endswith(".gz"):  # the progress bar then counts records, not a total
        return gzip.open(path, "rb"), None, True  # type: ignore[return-value]
    stream = open(path, "rb")  # noqa: SIM115 - closed by the caller
    try:
        size = os.fstat(stream.fileno()).st_size
    except OSError:
        size = None
    return stream, size, True


def evaluate_file(
    path: str | Path,
    task: Task | str,
    design: Design | str,
    profile: str = "strict",
    *,
    prediction_field: str = "prediction",
    target_field: str = "target",
    strict_input: bool = False,
    jobs: int = 1,
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
) -> Report:
    """Evaluate a JSON Lines file (``-`` for standard input), streaming, into a Report
    (`predictions_only`, `targets`, `errors_out`, `per_record` and `align_field` as for
    `evaluate`)."""
    source = "<stdin>" if str(path) == "-" else str(path)
    settings = _settings(
        task,
        design,
        profile,
        prediction_field,
        target_field,
        strict_input,
        samples,
        error_samples,
        source,
        input_field,
        strip,
        sample_index,
        predictions_only,
        targets,
        errors_out is not None,
        per_record is not None,
        align_field,
    )
    stream, size, close = open_input(path)
    try:
        bar = progress_bar(progress, size, "B", source)
        sizes: deque[int] = deque()
        chunks = _measured_chunks(stream, sizes, max_line_bytes, source)
        return _collect(settings, chunks, jobs, bar, sizes, errors_out, per_record)
    finally:
        if close:
            stream.close()


@dataclass(frozen=True)
class TooLong:
    """Stands for a line longer than the reading limit: its size, and the limit."""

    size: int
    limit: int


@dataclass(frozen=True)
class Block:
    """Whole lines of a file as one bytes object, and the number of its first line.

    The reading process only cuts the file at line breaks near every megabyte and counts the
    breaks (both in C); splitting into lines happens in the worker, so the reader stays idle
    and one bytes object per chunk is all that crosses between processes. A line over the
    limit is kept only as its size (`too_long`: its index in the block, and that size).
    """

    first_line: int
    data: bytes
    limit: int = MAX_LINE_BYTES
    too_long: tuple[tuple[int, int], ...] = ()

    def lines(self) -> list[tuple[int, bytes | TooLong]]:
        parts: list[bytes | TooLong] = list(self.data.split(b"\n"))
        if parts[-1] == b"":
            parts.pop()
        for index, size in self.too_long:
            parts[index] = TooLong(size, self.limit)
        if len(self.data) <= self.limit:  # no line of it can be over the limit
            return list(enumerate(parts, self.first_line))
        for index, part in enumerate(parts):
            if isinstance(part, bytes) and len(part.rstrip(b"\r")) > self.limit:
                parts[index] = TooLong(len(part), self.limit)
        return list(enumerate(parts, self.first_line))


def _measured_chunks(
    stream: BinaryIO, sizes: deque[int], limit: int = MAX_LINE_BYTES, source: str = ""
) -> Iterator[Block]:
    """Blocks of whole lines; each block's byte count goes to `sizes` (for the progress bar).

    Memory stays within a block plus `limit`: the rest of a longer line is read and dropped,
    and the line is reported by its size. A file in UTF-16 is one InputError (not an error
    per line); a file whose lines end in a lone carriage return (no line feed in its first
    megabyte) is read line by line all the same.
    """
    line = 1
    carry = b""
    first = True
    carriage_returns = False
    while True:
        data = stream.read(BLOCK_SIZE)
        if first and data:
            first = False
            if data.startswith(_UTF16_STARTS):
                raise InputError(
                    "the file is UTF-16 encoded; sdeparse reads UTF-8 JSON Lines (convert "
                    "it first, e.g. iconv -f UTF-16 -t UTF-8)",
                    line=1,
                    source=source,
                )
            carriage_returns = b"\n" not in data and b"\r" in data
        if carriage_returns:  # no line feed: the lone CRs end the lines (JSON escapes any CR)
            data = data.replace(b"\r", b"\n")
        if not data:
            if carry:
                sizes.append(len(carry))
                yield Block(line, carry, limit)
            return
        buffer = carry + data
        cut = buffer.rfind(b"\n") + 1
        carry = buffer[cut:]
        if cut:
            sizes.append(cut)
            yield Block(line, buffer[:cut], limit)
            line += buffer.count(b"\n", 0, cut)
        if len(carry) > limit:  # a runaway line: drop the rest of it, keep its size
            size, carry = _skip_line(stream, len(carry), carriage_returns)
            sizes.append(size)
            yield Block(line, b"\n", limit, ((0, size),))
            line += 1


def _skip_line(stream: BinaryIO, size: int, carriage_returns: bool) -> tuple[int, bytes]:
    """Read past the end of an over-long line: its whole size, and the bytes after its end."""
    while True:
        data = stream.read(BLOCK_SIZE)
        if carriage_returns:
            data = data.replace(b"\r", b"\n")
        if not data:
            return size, b""
        at = data.find(b"\n")
        if at >= 0:
            return size + at, data[at + 1 :]
        size += len(data)


def parse_file(
    path: str | Path,
    task: Task | str,
    design: Design | str,
    profile: str = "strict",
    *,
    prediction_field: str = "prediction",
    strict_input: bool = False,
    jobs: int = 1,
    progress: bool = False,
    input_field: str | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    strip: Sequence[str] = (),
    sample_index: int | None = None,
    target_field: str = "target",
    targets: Targets | None = None,
) -> Iterator[bytes]:
    """The lines of `sdeparse parse` output (each ending in a newline), one per input line;
    a record with a target (its `target_field`, or its entry in `targets`) also gets the gold
    and whether the prediction is correct."""
    source = "<stdin>" if str(path) == "-" else str(path)
    settings = _settings(
        task, design, profile, prediction_field, target_field, strict_input, 0, 0, source,
        input_field, strip, sample_index, targets=targets,
    )
    stream, size, close = open_input(path)
    sizes: deque[int] = deque()
    bar = progress_bar(progress, size, "B", source)
    try:
        for lines, failure in run_chunks(
            parse_chunk, settings, _measured_chunks(stream, sizes, max_line_bytes, source), jobs
        ):
            for out in lines:
                yield out + b"\n"
            bar.update(sizes.popleft())
            if failure is not None:
                line, reason = failure
                raise InputError(reason, line=line, source=source)
    finally:
        bar.close()
        if close:
            stream.close()
