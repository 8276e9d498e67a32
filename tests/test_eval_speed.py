"""Eval's shortcuts change no result: reports, per-record rows, error records and CLI output are
the same with `evaluation.FAST_PATHS` on and off, over files mixing canonical and corrupted
outputs, gold errors and every kind of bad input line, under --jobs 2 and merged in parts; and
the counting a chunk's clean label outputs together (`ClassificationScorer.add_indexed`) equals
counting each with `add`."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import evaluation
from sdeparse.cli import main
from sdeparse.compare import RecordScores
from sdeparse.evaluation import Block, decode_line, evaluate, evaluate_file
from sdeparse.report import Report
from sdeparse.scoring import ClassificationScorer, ExtractionScorer
from sdeparse.testing import CORRUPTIONS, combine, corrupt

MASA = sdeparse.load_task("masa-d1")
RESTAURANT = sdeparse.load_task("restaurant-en")
MAVEN = sdeparse.load_task("maven-ed")
GENIA = sdeparse.load_task("genia-ner")

#: (task, design) pairs the files are made for: label tasks over pairs and JSON layouts, and
#: the two extraction tasks (whose scorer the shortcut leaves alone)
SETUPS = [
    (MASA, "lines"),
    (MASA, "natural+omit"),
    (MASA, "json"),
    (RESTAURANT, "natural"),
    (MAVEN, "tuples"),
    (GENIA, "json"),
]

#: input lines no record comes from: bad UTF-8 and JSON, blank, not an object, floats, NaN,
#: long integers, fields missing or not strings, samples, a byte-order mark
BAD_LINES = [
    b"\xff\xfe not utf-8",
    b"{not json",
    b"",
    b"   ",
    b"[1, 2]",
    b'"a string"',
    b'{"prediction": "x"}',
    b'{"target": "x"}',
    b'{"prediction": 1, "target": "x"}',
    b'{"prediction": null, "target": "x"}',
    b'{"prediction": ["a", "b"], "target": "x"}',
    b'{"prediction": "x", "target": 1.5}',
    b'{"prediction": "x", "target": NaN}',
    b'{"prediction": "x", "target": ' + b"1" * 30 + b"}",
    b'{"prediction": "x", "target": "y", "a": ' + b"1" * 5000 + b"}",
]


def _labels(task: Any, rng: random.Random) -> Any:
    """Random gold: labels of every aspect, or a few (type, span) pairs."""
    if task.is_extraction:
        kinds = list(task.type_names) if hasattr(task, "type_names") else ["Motion"]
        return [(rng.choice(kinds), rng.choice(["flew", "IL-2 gene", "came", "led to"]))
                for _ in range(rng.randint(0, 3))]
    return {a: rng.choice(task.label_names) for a in task.aspect_names}


def _prompt(gold: Any) -> str:
    return "input: " + " ".join(span for _, span in gold) if isinstance(gold, list) else "p"


def make_lines(task: Any, design: str, n: int, seed: int) -> list[bytes]:
    """`n` JSON lines: mostly canonical outputs (some right, some wrong), corrupted ones (one
    operator or several), gold errors, bad lines, floats beside good fields, BOMs and CRLFs."""
    rng = random.Random(seed)
    chosen = task.design(design)
    golds = [_labels(task, rng) for _ in range(6)]
    out: list[bytes] = []
    for i in range(n):
        gold = rng.choice(golds)
        target = sdeparse.render(gold, task, chosen)
        pick = rng.random()
        if pick < 0.5:
            prediction = target
        elif pick < 0.65:
            prediction = sdeparse.render(rng.choice(golds), task, chosen)
        elif pick < 0.8:
            done = corrupt(target, task, chosen, rng)
            prediction = done[0] if done else target
        elif pick < 0.85:
            both = combine(target, task, chosen, rng)
            prediction = both.text if both else target
        elif pick < 0.9:
            prediction, target = target, "乱码 garbage"
        else:
            out.append(rng.choice(BAD_LINES))
            continue
        record: dict[str, Any] = {"prompt": _prompt(gold), "target": target,
                                  "prediction": prediction, "id": i % 7}
        if rng.random() < 0.1:
            record["score"] = rng.choice([0.5, 1e300, -0.0, 3])
        raw = json.dumps(record, ensure_ascii=False).encode()
        if rng.random() < 0.05:
            raw = b"\xef\xbb\xbf" + raw
        if rng.random() < 0.1:
            raw += b"\r"
        out.append(raw)
    return out


@contextmanager
def fast_paths(on: bool) -> Iterator[None]:
    kept = evaluation.FAST_PATHS
    evaluation.FAST_PATHS = on
    try:
        yield
    finally:
        evaluation.FAST_PATHS = kept


def both_ways(run: Callable[[], Any]) -> tuple[Any, Any]:
    """`run()` with the shortcuts on, then off."""
    with fast_paths(True):
        fast = run()
    with fast_paths(False):
        slow = run()
    return fast, slow


def _write(tmp_path: Path, lines: list[bytes]) -> Path:
    path = tmp_path / "outputs.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _everything(path: Path, task: Any, design: str, jobs: int = 1, **options: Any) -> Any:
    """The report dict, the per-record rows and the error records of one run."""
    scores = RecordScores()
    errors = io.BytesIO()
    report = evaluate_file(path, task, design, jobs=jobs, per_record=scores,
                           errors_out=errors, **options)
    return report.to_dict(), (scores.keys, list(scores.groups), scores.rows), errors.getvalue()


@pytest.mark.parametrize(("task", "design"), SETUPS, ids=[f"{t.name}-{d}" for t, d in SETUPS])
def test_file_reports_agree(tmp_path, task, design):
    path = _write(tmp_path, make_lines(task, design, 400, seed=len(design)))
    fast, slow = both_ways(lambda: _everything(path, task, design))
    assert fast == slow
    report = fast[0]
    assert report["input_errors"] > 0 and report["gold_errors"] > 0 and report["n"] > 0
    assert report["format_errors"] > 0


@pytest.mark.parametrize("profile", ["strict", "paper"])
def test_profiles_and_options_agree(tmp_path, profile):
    path = _write(tmp_path, make_lines(MASA, "lines", 300, seed=7))
    for options in ({}, {"align_field": "id"}, {"sample_index": 0},
                    {"strip": ["<|im_end|>"]}, {"predictions_only": True}):
        fast, slow = both_ways(lambda options=options: _everything(  # noqa: B023
            path, MASA, "lines", profile=profile, **options))
        assert fast == slow, options


def _readable(raw: bytes) -> bool:
    """Whether a line is a record with a string prediction and target."""
    try:
        record = decode_line(raw)
    except evaluation.BadInput:
        return False
    return isinstance(record.get("prediction"), str) and isinstance(record.get("target"), str)


def test_strict_input_stops_at_the_same_line(tmp_path):
    lines = [raw for raw in make_lines(MASA, "lines", 240, seed=3) if _readable(raw)]
    lines.insert(150, b"{broken")
    path = _write(tmp_path, lines)

    def run() -> Any:
        with pytest.raises(sdeparse.InputError) as caught:
            evaluate_file(path, MASA, "lines", strict_input=True)
        return str(caught.value)

    fast, slow = both_ways(run)
    assert fast == slow and "151" in fast


def test_chunk_stopped_by_strict_input_counts_the_clean_outputs_before():
    """A chunk cut short by a bad line still holds every clean output before it."""
    good = json.dumps({"target": sdeparse.render({}, MASA, "lines"),
                       "prediction": sdeparse.render({}, MASA, "lines")}).encode()
    chunk = [(1, good), (2, good), (3, b"{"), (4, good)]
    settings = evaluation._settings(MASA, "lines", "strict", "prediction", "target", True,
                                    5, 20, "")
    outcomes = both_ways(lambda: evaluation.evaluate_chunk(settings, chunk))
    (fast, fast_stop), (slow, slow_stop) = outcomes
    assert fast.to_dict() == slow.to_dict() and fast.n == 2
    assert fast_stop == slow_stop and fast_stop[0] == 3


def test_two_jobs_agree_with_one(tmp_path):
    path = _write(tmp_path, make_lines(MASA, "natural+omit", 2500, seed=11))
    with fast_paths(True):
        two = _everything(path, MASA, "natural+omit", jobs=2)
    with fast_paths(False):
        one = _everything(path, MASA, "natural+omit", jobs=1)
    assert two == one


def test_dask_partitions_agree():
    """Partitions evaluated on a (threaded) Dask cluster with the shortcuts give the report of
    one process without them."""
    db = pytest.importorskip("dask.bag")
    distributed = pytest.importorskip("distributed")
    from sdeparse.dask import evaluate as dask_evaluate

    lines = [raw + b"\n" for raw in make_lines(MASA, "lines", 300, seed=21)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None, timeout=60) as cluster, \
            distributed.Client(cluster, timeout=60) as client, fast_paths(True):
        got = dask_evaluate(db.from_sequence(lines, npartitions=3), MASA, "lines",
                            client=client)
    with fast_paths(False):
        expected = evaluate(lines, MASA, "lines")
    assert got.to_dict() == expected.to_dict() and expected.n > 0


def test_parts_merge_to_the_whole():
    """Records evaluated in parts (each part's shortcut counts folded separately) merge into
    the report over all of them, made without the shortcuts."""
    lines = make_lines(MASA, "lines", 600, seed=5)
    with fast_paths(True):
        parts = [evaluate(lines[i:i + 170], MASA, "lines", first_line=i + 1)
                 for i in range(0, len(lines), 170)]
    merged = parts[0]
    for part in parts[1:]:
        merged.update(part)
    with fast_paths(False):
        whole = evaluate(lines, MASA, "lines")
    assert merged.to_dict() == whole.to_dict()


def test_mapping_records_agree():
    """Records given as mappings (a DataFrame's rows), some with odd values, as from a list."""
    rng = random.Random(2)
    records: list[Any] = []
    for raw in make_lines(MASA, "lines", 300, seed=9):
        try:
            records.append(decode_line(raw))
        except evaluation.BadInput:
            records.append(rng.choice([None, 3, "text", {"prediction": "x"}]))
    fast, slow = both_ways(lambda: evaluate(records, MASA, "lines").to_dict())
    assert fast == slow


@pytest.mark.parametrize("design", ["lines", "natural"])
def test_cli_output_agrees(tmp_path, capsys, design):
    path = _write(tmp_path, make_lines(MASA, design, 300, seed=13))
    outputs = []
    for on in (True, False):
        with fast_paths(on):
            for extra in ([], ["--json"]):
                assert main(["eval", str(path), "--task", "masa-d1", "--design", design,
                             "-q", *extra]) in (0, 1)
                outputs.append(capsys.readouterr().out)
    assert outputs[:2] == outputs[2:]
    assert json.loads(outputs[1])["reports"][0]["n"] > 0


@pytest.mark.parametrize(("task", "design"), SETUPS[:4],
                         ids=[f"{t.name}-{d}" for t, d in SETUPS[:4]])
def test_every_operator_agrees(task, design):
    """Each corruption operator alone, applied to several targets, gives the same report."""
    rng = random.Random(17)
    chosen = task.design(design)
    records = []
    for name, op in CORRUPTIONS.items():
        if not op.applies_to(chosen):
            continue
        for _ in range(3):
            target = sdeparse.render(_labels(task, rng), task, chosen)
            done = corrupt(target, task, chosen, rng, [name])
            records.append({"target": target, "prediction": done[0] if done else target})
            records.append({"target": target, "prediction": target})
    fast, slow = both_ways(lambda: evaluate(records, task, chosen).to_dict())
    assert fast == slow
    assert fast["format_errors"] > 0 and fast["n"] == len(records)


# ---- hypothesis: any mix of records ----------------------------------------------------------

RECORDS = st.lists(
    st.tuples(
        st.sampled_from(range(6)),
        st.sampled_from(range(6)),
        st.sampled_from(["same", "other", "corrupt", "text", "bad"]),
        st.integers(0, 2**16),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None)
@given(RECORDS, st.text(max_size=20))
def test_any_mix_agrees(spec, free_text):
    rng = random.Random(0)
    golds = [_labels(MASA, rng) for _ in range(6)]
    records: list[Any] = []
    for gold, other, kind, seed in spec:
        target = sdeparse.render(golds[gold], MASA, "lines")
        prediction = {"same": target, "other": sdeparse.render(golds[other], MASA, "lines"),
                      "text": free_text}.get(kind)
        if kind == "corrupt":
            done = corrupt(target, MASA, MASA.design("lines"), random.Random(seed))
            prediction = done[0] if done else target
        records.append({"target": target, "prediction": prediction} if prediction is not None
                       else {"target": target})
    fast, slow = both_ways(lambda: evaluate(records, MASA, "lines").to_dict())
    assert fast == slow


# ---- the scorer's counting in bulk -------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 3), min_size=6, max_size=6),
                          st.lists(st.integers(0, 3), min_size=6, max_size=6)), max_size=30))
def test_add_indexed_equals_add(pairs):
    one = ClassificationScorer.for_task(MASA)
    bulk = ClassificationScorer.for_task(MASA)
    labels, aspects = one.labels, one.aspects
    golds, predicted = [], []
    hits = sentences = 0
    for g, p in pairs:
        gold = {a: labels[i] for a, i in zip(aspects, g, strict=True)}
        pred = {a: labels[i] for a, i in zip(aspects, p, strict=True)}
        one.add(gold, pred)
        indexed = bulk.index_gold(gold)
        assert indexed is not None and indexed.indices == tuple(g)
        golds.append(indexed)
        predicted.append(tuple(p))
        hits += sum(x == y for x, y in zip(g, p, strict=True))
        sentences += g == p
    assert bulk.add_indexed(golds, predicted) == (hits, sentences)
    assert bulk.to_dict() == one.to_dict()


def test_index_gold_refuses_what_add_cannot_take_in_bulk():
    scorer = ClassificationScorer.for_task(MASA)
    full = {a: MASA.label_names[0] for a in MASA.aspect_names}
    assert scorer.index_gold(full) is not None
    assert scorer.index_gold({**full, "extra": MASA.label_names[0]}) is None
    assert scorer.index_gold(dict(list(full.items())[1:])) is None
    assert scorer.index_gold({**full, MASA.aspect_names[0]: "no such label"}) is None
    with pytest.raises(ValueError):
        scorer.add_indexed([scorer.index_gold(full)], [])  # type: ignore[list-item]


def test_add_clean_needs_a_label_scorer():
    report = Report.for_task(MAVEN, MAVEN.design("tuples"), "strict")
    assert isinstance(report.scorer, ExtractionScorer)
    with pytest.raises(TypeError):
        report.add_clean([], [])


def test_a_label_outside_the_scorer_still_raises():
    """A clean result with a label the scorer does not know takes `add`, which says so."""
    settings_ = evaluation._settings(MASA, "lines", "strict", "prediction", "target", False,
                                     5, 20, "")
    canonical = sdeparse.render({}, MASA, "lines")
    chunk = [(1, {"target": canonical, "prediction": canonical})]
    real = sdeparse.parser.Parser.parse

    def odd(self: Any, text: str, source: str | None = None) -> Any:
        result = real(self, text, source)
        result.labels = {**result.labels, MASA.aspect_names[0]: "no such label"}
        return result

    for on in (True, False):
        with fast_paths(on), pytest.MonkeyPatch.context() as patch:
            patch.setattr(sdeparse.parser.Parser, "parse", odd)
            with pytest.raises(KeyError):
                evaluation.evaluate_chunk(settings_, chunk)


# ---- reading lines -------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [
    b'\xef\xbb\xbf{"a": "b"}\r\n', b'{"a": "b"} \r', b'{"a": "b"}\r\r', b'\xef\xbb\xbf',
    b'\xef\xbb\xbf\xef\xbb\xbf{"a": 1}', b'{"a": {"b": [1, 2.5]}}\r', b'{"a": [[{"b": 1e5}]]}',
])
def test_decode_line_as_the_standard_reader(raw, monkeypatch):
    def read() -> Any:
        try:
            return decode_line(raw)
        except evaluation.BadInput as bad:
            return bad.kind, bad.reason

    fast = read()
    monkeypatch.setattr(evaluation, "_fast_loads", None)
    assert json.dumps(read()) == json.dumps(fast)


def test_block_lines_over_the_limit_are_still_found():
    """A block within the limit skips the per-line check; one over it still finds long lines."""
    data = b"a" * 10 + b"\n" + b"b" * 3 + b"\r\n"
    short = Block(5, data, limit=100).lines()
    assert short == [(5, b"a" * 10), (6, b"b" * 3 + b"\r")]
    cut = Block(5, data, limit=5).lines()
    assert isinstance(cut[0][1], evaluation.TooLong) and cut[1] == (6, b"b" * 3 + b"\r")
