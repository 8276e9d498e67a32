"""The habits corpus (benchmarks/habits.py): its own sanity (seeded, gold consistent with the
text, canonical without habits), and the never-guess property over it: no confident wrong
label under strict, per habit and with habits combined."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

import pytest

import sdeparse
from sdeparse import Design

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "habits.py"
_spec = importlib.util.spec_from_file_location("sdeparse_bench_habits", SCRIPT)
assert _spec is not None and _spec.loader is not None
habits = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = habits
_spec.loader.exec_module(habits)

TASKS = {name: sdeparse.load_task(name) for name in habits.TASKS}


def test_corpus_is_seeded():
    first = habits.corpus(80, 7)
    assert first == habits.corpus(80, 7)
    assert [s.text for s in first] != [s.text for s in habits.corpus(80, 8)]


def test_without_habits_the_writer_is_the_renderer():
    """The draft writer gives exactly what sdeparse.render writes when no habit applies, so
    every deviation in the corpus comes from the habits."""
    for task in TASKS.values():
        for design in Design.all():
            for seed in range(8):
                rng = random.Random(seed)
                gold = {a: rng.choice(task.label_names) for a in task.aspect_names}
                draft = habits.draft_for(task, design, gold, rng)
                descriptions = {it.aspect: it.description for it in draft.items}
                assert habits.write(draft) == sdeparse.render(gold, task, design, descriptions)


def test_gold_is_consistent_with_the_text():
    """Gold covers every aspect with a label; a recoverable aspect that is mentioned appears in
    the text with its label (or code); only never-guess habits make aspects unrecoverable; an
    output holds 1 to 3 distinct habits, each known."""
    counts = set()
    for s in habits.corpus(600, 3):
        task = TASKS[s.task]
        design = Design.parse(s.design)
        assert list(s.gold) == list(task.aspect_names)
        assert set(s.gold.values()) <= set(task.label_names)
        assert 1 <= len(s.habits) <= 3 and len(set(s.habits)) == len(s.habits)
        assert set(s.habits) <= set(habits.HABITS)
        counts.add(len(s.habits))
        assert s.recoverable <= set(task.aspect_names)
        if not set(s.habits) & set(habits.NEVER_GUESS):
            assert s.recoverable == set(task.aspect_names), s
        text = s.text.lower()
        for aspect in s.recoverable:
            label = s.gold[aspect]
            if design.omit_unmentioned and label == task.placeholder:
                continue
            spelling = str(task.code_by_label[label]) if design.numeric_labels else label
            assert aspect.lower() in text and spelling.lower() in text, (aspect, s)
        for aspect in set(task.aspect_names) - s.recoverable:
            assert aspect.lower() in text
        assert s.text != sdeparse.render(s.gold, task, design)
    assert counts == {1, 2, 3}


def test_every_habit_occurs_in_both_tasks():
    seen: dict[str, set[str]] = {}
    for s in habits.corpus(1500, 5):
        for h in s.habits:
            seen.setdefault(h, set()).add(s.task)
    assert set(seen) == set(habits.HABITS)
    english_only = {"case"}  # no letter case in Chinese names and labels
    for h, tasks in seen.items():
        assert tasks == set(habits.TASKS) or (h in english_only and tasks == {"restaurant-en"})


def test_score_counts_wrong_and_guessed_labels():
    task = TASKS["restaurant-en"]
    gold = dict.fromkeys(task.aspect_names, "positive")
    s = habits.Sample(
        "restaurant-en", "lines", "", gold, frozenset(task.aspect_names) - {"food", "price"}, ()
    )
    got = dict(gold, drinks="unmentioned", service="negative", food="positive", price="neutral")
    t = habits.score(s, got, True, task.placeholder)
    assert (t.recoverable, t.recovered, t.wrong, t.guessed, t.flagged) == (4, 2, 2, 1, 1)


def test_the_report_prints_every_habit_row(capsys):
    report = habits.run(60, 1)
    out = capsys.readouterr().out
    for h in report["by_habit"]:
        assert h in out
    assert report["overall"]["outputs"] == 60
    assert sum(d["outputs"] for d in report["by_count"].values()) == 60
    habits.run(20, 1, as_json=True)
    assert '"by_habit"' in capsys.readouterr().out


def _never_guess(names: list[str], n: int, seed: int) -> None:
    report = habits.measure(habits.corpus(n, seed, names=names))
    assert report["overall"]["outputs"] == n
    assert report["overall"]["wrong"] == 0, report["wrong_examples"][:3]


@pytest.mark.parametrize(
    "habit",
    list(habits.HABITS),
)
def test_never_guess_per_habit(habit):
    """One habit at a time, both tasks, every design it applies to: no confident wrong label."""
    _never_guess([habit], 60, 11)


def test_never_guess_over_the_whole_corpus():
    """Every habit, the never-guess ones included, one to three at once."""
    _never_guess(list(habits.HABITS), 400, 13)
