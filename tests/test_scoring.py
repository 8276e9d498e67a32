"""sdeparse.scoring: the classification scorer, and a second scorer plugged into a Report."""

import json
import random
from collections import Counter
from fractions import Fraction as F

import pytest

import sdeparse
from sdeparse import Report
from sdeparse.render_text import render_summary, render_text
from sdeparse.result import ParseResult
from sdeparse.scoring import SCORERS, ClassificationScorer, Scorer, scorer_class, scorer_for_task

TASK = sdeparse.load_task("masa-d1")
ASPECTS, LABELS = TASK.aspect_names, TASK.label_names


def random_records(count, seed=0):
    """(gold, predicted) label maps; predictions mostly right so every figure is non-trivial."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        gold = {a: rng.choice(LABELS) for a in ASPECTS}
        pred = {a: g if rng.random() < 0.7 else rng.choice(LABELS) for a, g in gold.items()}
        out.append((gold, pred))
    return out


def scored(records):
    scorer = ClassificationScorer.for_task(TASK)
    for gold, pred in records:
        scorer.add(gold, pred)
    return scorer


def test_counts_of_one_record():
    gold = dict.fromkeys(ASPECTS, "未提及") | {"食品评价": "正面"}
    pred = gold | {"食品评价": "负面"}
    s = scored([(gold, pred), (gold, gold)])
    assert s.n == 2 and s.sentence_correct == 1
    assert s.confusion["食品评价"][0] == [1, 0, 1, 0]
    assert s.accuracy == F(11, 12) and s.sentence_accuracy == F(1, 2)
    assert s.headline() == {"kappa": s.kappa, "accuracy": F(11, 12), "sentence_accuracy": F(1, 2)}


def test_empty_scorer_figures_are_none():
    s = ClassificationScorer.for_task(TASK)
    assert s.headline() == {"kappa": None, "accuracy": None, "sentence_accuracy": None}
    assert s.to_dict()["per_class"]["all"]["正面"]["precision"] is None


@pytest.mark.parametrize("parts", [2, 3, 7])
def test_merge_over_any_split_is_exact(parts):
    records = random_records(200)
    whole = scored(records)
    rng = random.Random(parts)
    cuts = sorted(rng.sample(range(1, len(records)), parts - 1))
    pieces = [records[i:j] for i, j in zip([0, *cuts], [*cuts, len(records)], strict=True)]
    merged = sum(scored(p) for p in pieces)
    assert merged == whole and merged.to_dict() == whole.to_dict()
    # exact, not merely close: the Fractions themselves agree
    assert merged.kappa == whole.kappa and merged.accuracy == whole.accuracy
    assert all(merged.aspect_kappa(a) == whole.aspect_kappa(a) for a in ASPECTS)


def test_merge_is_order_free_and_leaves_operands_alone():
    a, b = scored(random_records(30, 1)), scored(random_records(40, 2))
    before = a.to_dict()
    assert a + b == b + a
    assert a.to_dict() == before
    c = a.copy()
    c.update(b)
    assert c == a + b and a.to_dict() == before


def test_round_trip_through_json():
    s = scored(random_records(50))
    back = ClassificationScorer.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s and back.kappa == s.kappa
    back.add(*random_records(1, 9)[0])
    assert back.n == s.n + 1  # the copy's counts are its own


def test_reads_its_part_of_a_report_dict():
    report = Report.for_task(TASK, "lines", "strict")
    gold = dict.fromkeys(ASPECTS, "未提及")
    report.add(1, sdeparse.parse("食品评价：积极", TASK, "lines"), gold)
    s = ClassificationScorer.from_dict(report.to_dict())
    assert s == report.scorer and s.pooled == report.pooled


def test_merging_different_setups_fails():
    a = ClassificationScorer.for_task(TASK)
    size = len(LABELS)
    identity = tuple(tuple(float(i == j) for j in range(size)) for i in range(size))
    plain = ClassificationScorer(a.aspects, a.labels, identity)
    with pytest.raises(ValueError):
        a + plain
    with pytest.raises(TypeError):
        a + 1


def test_registry():
    assert SCORERS["classification"] is ClassificationScorer
    assert isinstance(scorer_for_task(TASK), ClassificationScorer)
    with pytest.raises(ValueError, match="classification"):
        scorer_class("no-such-kind")


# ---- a second scorer plugs into the same Report --------------------------------------------
class SpanSetScorer(Scorer[list]):
    """A minimal extraction scorer (SPEC §6.3, one-to-one matching): TP/FP/FN per type."""

    kind = "test-span-set"

    def __init__(self, types, counts=None):
        self.types = tuple(types)
        self.counts = {
            t: dict(counts[t]) if counts else {"tp": 0, "fp": 0, "fn": 0} for t in self.types
        }

    @classmethod
    def for_task(cls, task):
        return cls(task.types)

    def add(self, gold, predicted):
        for t in self.types:
            g, p = Counter(gold.get(t, [])), Counter(predicted.get(t, []))
            tp = sum((g & p).values())
            self.counts[t]["tp"] += tp
            self.counts[t]["fp"] += sum(p.values()) - tp
            self.counts[t]["fn"] += sum(g.values()) - tp

    def setup(self):
        return self.types

    def _add_counts(self, other):
        for t in self.types:
            for k in ("tp", "fp", "fn"):
                self.counts[t][k] += other.counts[t][k]

    def headline(self):
        tp = sum(c["tp"] for c in self.counts.values())
        fp = sum(c["fp"] for c in self.counts.values())
        fn = sum(c["fn"] for c in self.counts.values())
        p = F(tp, tp + fp) if tp + fp else None
        r = F(tp, tp + fn) if tp + fn else None
        f1 = 2 * p * r / (p + r) if p is not None and r is not None and p + r else None
        return {"f1": f1, "precision": p, "recall": r}

    def to_dict(self):
        micro = {k: v if v is None else float(v) for k, v in self.headline().items()}
        return {"types": list(self.types), "counts": self.counts, "micro": micro}

    @classmethod
    def from_dict(cls, data):
        return cls(data["types"], data["counts"])


def span_result(spans, error=False):
    return ParseResult(spans, [], error)


def span_report():
    task = type("Extraction", (), {"name": "toy-events", "types": ("Motion", "Causation")})()
    return Report.for_task(task, "lines", "strict", "e.jsonl", scorer=SpanSetScorer.for_task(task))


def test_a_set_scorer_plugs_into_the_report():
    a, b = span_report(), span_report()
    a.add(1, span_result({"Motion": ["flew"]}), {"Motion": ["flew"], "Causation": ["led to"]})
    b.add(2, span_result({"Causation": ["led", "to"]}, error=True), {"Causation": ["led to"]})
    m = a + b
    assert m.n == 2 and m.format_errors == 1 and m.format_error_lines == [2]
    assert m.scorer.counts["Causation"] == {"tp": 0, "fp": 2, "fn": 2}
    assert m.scorer.headline()["precision"] == F(1, 3)
    d = json.loads(json.dumps(m.to_dict()))
    assert d["scorer"] == "test-span-set" and "confusion" not in d
    back = Report.from_dict(d)
    assert isinstance(back.scorer, SpanSetScorer) and back == m
    with pytest.raises(AttributeError):
        m.kappa  # noqa: B018 - the classification figures are not there
    same_run = Report("toy-events", "lines", "strict", ClassificationScorer.for_task(TASK))
    with pytest.raises(ValueError):
        m + same_run  # same task, design and profile, another kind of scorer


def test_a_report_with_an_unregistered_scorer_renders_its_headline():
    r = span_report()
    r.add(1, span_result({"Motion": ["flew"]}), {"Motion": ["flew"], "Causation": ["led to"]})
    text = render_text(r)
    assert "  f1                 0.6667" in text and "  recall             0.5000" in text
    assert "Confusion" not in text and "Diagnostics: none" in text and not text.endswith("\n\n")
    summary = render_summary([r, r])
    assert "wrong format" in summary and "precision" in summary and "kappa" not in summary
