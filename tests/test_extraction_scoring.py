"""sdeparse.scoring.extraction: strict (one-to-one) TP/FP/FN, per type, mergeable, serializable."""

from __future__ import annotations

import json
from fractions import Fraction as F
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdeparse import Report
from sdeparse.result import ParseResult
from sdeparse.scoring import SCORERS, scorer_for_task
from sdeparse.scoring.extraction import (
    ExtractionScorer,
    Matching,
    Normalization,
    TypeCounts,
    as_pairs,
    strict_counts,
)

TYPES = ("Motion", "Causation", "Attack")


def scorer(**kw):
    return ExtractionScorer(types=TYPES, **kw)


def scored(records, **kw):
    s = scorer(**kw)
    for gold, pred in records:
        s.add(gold, pred)
    return s


def test_one_output_counted_by_hand():
    s = scored(
        [
            (
                [("Motion", "flew"), ("Causation", "led to"), ("Motion", "came")],
                [("motion", "FLEW"), ("Causation", "caused"), ("Attack", "hit")],
            )
        ]
    )
    assert s.by_type["Motion"] == TypeCounts(tp=1, fp=0, fn=1)
    assert s.by_type["Causation"] == TypeCounts(tp=0, fp=1, fn=1)
    assert s.by_type["Attack"] == TypeCounts(tp=0, fp=1, fn=0)
    assert s.micro == TypeCounts(tp=1, fp=2, fn=2)
    assert s.headline() == {"f1": F(1, 3), "precision": F(1, 3), "recall": F(1, 3)}


def test_each_gold_pair_is_matched_at_most_once():
    # three predictions of one gold pair given twice: 2 TP, 1 FP (the GENIA scorer's rule too)
    gold = [("Motion", "came"), ("Motion", "came")]
    pred = [("Motion", "came")] * 3
    assert strict_counts(gold, pred) == {"motion": TypeCounts(tp=2, fp=1, fn=0)}
    # and a single gold pair is claimed once, whatever the case of the predictions
    counts = strict_counts([("Attack", "hit")], [("attack", "HIT"), ("ATTACK", "hit")])
    assert counts == {"attack": TypeCounts(tp=1, fp=1, fn=0)}


def test_normalizations():
    gold, pred = [("Motion", "Straße")], [("motion", "STRASSE")]
    assert strict_counts(gold, pred, Normalization.CASEFOLD)["motion"].tp == 1
    assert strict_counts(gold, pred, Normalization.LOWER)["motion"].tp == 0
    exact = strict_counts(gold, [("Motion", "straße")], Normalization.EXACT)
    assert exact == {"Motion": TypeCounts(tp=0, fp=1, fn=1)}


def test_undeclared_types_count_in_micro_only():
    s = scored([([("Motion", "flew")], [("Flight", "flew"), ("Motion", "flew")])])
    assert s.other == TypeCounts(fp=1) and s.micro == TypeCounts(tp=1, fp=1)
    assert "Flight" not in s.to_dict()["counts_by_type"]


def test_open_scorer_lists_every_type_met():
    s = ExtractionScorer()
    s.add([("Motion", "flew")], [("Flight", "flew")])
    assert s.type_order() == ["flight", "motion"]
    assert s.to_dict()["counts_by_type"]["flight"] == {"tp": 0, "fp": 1, "fn": 0}


def test_spans_by_type_are_accepted_too():
    assert as_pairs({"Motion": ["flew", "came"], "Attack": "hit"}) == [
        ("Motion", "flew"),
        ("Motion", "came"),
        ("Attack", "hit"),
    ]
    a = scored([({"Motion": ["flew"]}, {"Motion": ["flew"], "Attack": []})])
    b = scored([([("Motion", "flew")], [("Motion", "flew")])])
    assert a == b


def test_to_dict_has_the_keys_of_eval_json():
    s = scored([([("Motion", "flew")], [("Motion", "flew"), ("Attack", "hit")])])
    d = json.loads(json.dumps(s.to_dict()))
    for key in ("precision", "recall", "f1"):
        assert set(d[key]) == {"all", "by_type"}
        assert list(d[key]["by_type"]) == list(TYPES)
    assert d["precision"]["all"] == 0.5 and d["recall"]["all"] == 1.0
    assert d["f1"]["all"] == pytest.approx(2 / 3)
    assert d["precision"]["by_type"] == {"Motion": 1.0, "Causation": 0.0, "Attack": 0.0}
    assert (d["tp"], d["fp"], d["fn"]) == (1, 1, 0)
    assert all(type(d[k]) is int for k in ("tp", "fp", "fn"))
    assert d["counts_by_type"]["Attack"] == {"tp": 0, "fp": 1, "fn": 0}
    assert (d["types"], d["normalization"], d["matching"]) == (list(TYPES), "casefold", "strict")


def test_zero_where_a_denominator_is_zero():
    s = scorer()
    assert s.headline() == {"f1": 0, "precision": 0, "recall": 0}
    s.add([], [("Motion", "flew")])  # nothing in the gold: recall 0, precision 0
    d = s.to_dict()
    assert (d["precision"]["all"], d["recall"]["all"], d["f1"]["all"]) == (0.0, 0.0, 0.0)


def test_round_trip_copy_and_merge():
    a = scored([([("Motion", "flew")], [("Motion", "flew")])])
    b = scored([([("Attack", "hit")], [("Causation", "hit"), ("X", "y")])])
    back = ExtractionScorer.from_dict(json.loads(json.dumps((a + b).to_dict())))
    assert back == a + b and back.n == 2 and back.other == TypeCounts(fp=1)
    before = a.to_dict()
    c = a.copy()
    c.update(b)
    assert c == a + b == b + a and a.to_dict() == before
    assert sum([a, b]) == a + b


def test_merging_other_setups_fails():
    with pytest.raises(ValueError):
        scorer() + scorer(normalization=Normalization.EXACT)
    with pytest.raises(ValueError):
        scorer() + scorer(matching=Matching.PAPER)
    with pytest.raises(ValueError):
        scorer() + ExtractionScorer(types=("Motion",))


def test_registry_and_task():
    assert SCORERS["extraction"] is ExtractionScorer
    task = SimpleNamespace(kind="extraction", name="toy", types=("Motion", "Attack"))
    made = scorer_for_task(task)
    assert isinstance(made, ExtractionScorer) and made.types == ("Motion", "Attack")
    assert made.normalization is Normalization.CASEFOLD
    named = SimpleNamespace(types=[SimpleNamespace(name="DNA")], span_normalization="exact")
    made = ExtractionScorer.for_task(named, matching=Matching.PAPER)
    assert made.types == ("DNA",) and made.normalization is Normalization.EXACT
    assert made.matching is Matching.PAPER


def test_plugs_into_a_report():
    task = SimpleNamespace(kind="extraction", name="toy-events", types=TYPES)
    a = Report.for_task(task, "tuples", "strict", "e.jsonl")
    b = Report.for_task(task, "tuples", "strict", "e.jsonl")
    a.add(1, ParseResult({"Motion": ["flew"]}, [], False), {"Motion": ["flew"]})
    b.add(2, ParseResult({"Attack": ["hit"]}, [], True), {"Causation": ["led to"]})
    m = a + b
    d = json.loads(json.dumps(m.to_dict()))
    assert d["scorer"] == "extraction" and d["n"] == 2 and d["format_errors"] == 1
    assert (d["tp"], d["fp"], d["fn"]) == (1, 1, 1)
    back = Report.from_dict(d)
    assert back == m and isinstance(back.scorer, ExtractionScorer)
    assert "f1" in m.to_text()


# ---- properties ----------------------------------------------------------------------------------
PAIR = st.tuples(
    st.sampled_from(["Motion", "motion", "Attack", "Killing"]),
    st.sampled_from(["flew", "Flew", "hit", "led to", "x"]),
)
OUTPUT = st.tuples(st.lists(PAIR, max_size=5), st.lists(PAIR, max_size=5))


@settings(max_examples=200, deadline=None)
@given(st.lists(OUTPUT, max_size=12), st.data(), st.sampled_from(list(Matching)))
def test_merge_equals_scoring_the_concatenation(records, data, matching):
    cut = data.draw(st.integers(0, len(records)))
    whole = scored(records, matching=matching)
    merged = scored(records[:cut], matching=matching) + scored(records[cut:], matching=matching)
    assert merged == whole and merged.headline() == whole.headline()


@settings(max_examples=300, deadline=None)
@given(st.lists(OUTPUT, max_size=12), st.sampled_from(list(Normalization)))
def test_strict_bounds(records, normalization):
    s = scorer(normalization=normalization)
    for gold, pred in records:
        one = strict_counts(gold, pred, normalization)
        tp = sum(c.tp for c in one.values())
        assert 0 <= tp <= min(len(gold), len(pred))
        assert all(c.tp >= 0 and c.fp >= 0 and c.fn >= 0 for c in one.values())
        s.add(gold, pred)
    m = s.micro
    assert m.tp + m.fp == sum(len(p) for _, p in records)
    assert m.tp + m.fn == sum(len(g) for g, _ in records)
    assert all(0 <= value <= 1 for value in s.headline().values())
    d = s.to_dict()
    for key in ("precision", "recall", "f1"):
        assert all(0 <= value <= 1 for value in [d[key]["all"], *d[key]["by_type"].values()])


def test_a_report_page_shows_the_figures_by_type():
    task = SimpleNamespace(kind="extraction", name="toy-events", types=TYPES)
    r = Report.for_task(task, "tuples", "strict", "e.jsonl")
    r.add(1, ParseResult({"Motion": ["flew"], "Flight": ["x"]}, [], False), {"Motion": ["flew"]})
    text = r.to_text()
    assert "  tp / fp / fn       1 / 1 / 0" in text and "(strict matching)" in text
    assert "By type" in text and "(other types)" in text
    motion = next(line for line in text.splitlines() if line.lstrip().startswith("Motion"))
    assert motion.split() == ["Motion", "1.0000", "1.0000", "1.0000", "1", "0", "0"]
