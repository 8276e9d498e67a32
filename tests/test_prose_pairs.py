"""Pairs written as prose (食品评价为正面, the food is positive), pairs joined by words (和, and)
and pairs merged into the next key (食品评价正面饮品评价：负面), in the pairs reader."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Code, Design, Severity
from sdeparse.layouts import LAYOUTS
from sdeparse.records import Diagnostics
from sdeparse.schemas.slots import SlotSchema

MASA = sdeparse.load_task("masa-d1")
EN = sdeparse.load_task("restaurant-en")
TASKS = {"masa-d1": MASA, "restaurant-en": EN}


def _records(text: str, task=MASA, design: str = "natural"):
    """(key, value, key span, value span) of each record, and the diagnostics, of a reading."""
    d = Design.parse(design)
    diags = Diagnostics()
    reading = LAYOUTS[d.format.value].read(text, task, d, SlotSchema(task, d), diags, True)
    out = [
        (
            r.key.text,
            None if r.value is None else r.value.text,
            (r.key.start, r.key.end),
            None if r.value is None else (r.value.start, r.value.end),
        )
        for r in reading.records
    ]
    return out, [(x.code, x.severity, x.start, x.end) for x in diags]


# (task, design, text, records as (key, value, key span, value span), reader diagnostics)
TABLE = [
    (
        "masa-d1",
        "natural",
        "食品评价为正面，服务人员态度是正面的",
        [("食品评价", "正面", (0, 4), (5, 7)), ("服务人员态度", "正面的", (8, 14), (15, 18))],
        [(Code.PROSE_PAIR, Severity.WARNING, 4, 5), (Code.PROSE_PAIR, Severity.WARNING, 14, 15)],
    ),
    (
        "masa-d1",
        "natural",
        "食品评价：正面和饮品评价：负面。",
        [("食品评价", "正面", (0, 4), (5, 7)), ("饮品评价", "负面", (8, 12), (13, 15))],
        [(Code.PROSE_PAIR, Severity.WARNING, 7, 8)],
    ),
    (
        "masa-d1",
        "natural",
        "食品评价：正面以及饮品评价为负面。",
        [("食品评价", "正面", (0, 4), (5, 7)), ("饮品评价", "负面", (9, 13), (14, 16))],
        [(Code.PROSE_PAIR, Severity.WARNING, 7, 9), (Code.PROSE_PAIR, Severity.WARNING, 13, 14)],
    ),
    (
        "masa-d1",
        "natural",
        "食品评价正面饮品评价：负面。",
        [("食品评价", "正面", (0, 4), (4, 6)), ("饮品评价", "负面", (6, 10), (11, 13))],
        [(Code.PUNCTUATION, Severity.WARNING, 6, 6)],
    ),
    (
        "masa-d1",
        "lines+numeric",
        "食品评价为1\n价格水平：-1",
        [("食品评价", "1", (0, 4), (5, 6)), ("价格水平", "-1", (7, 11), (12, 14))],
        [(Code.PROSE_PAIR, Severity.WARNING, 4, 5)],
    ),
    (
        "restaurant-en",
        "natural",
        "The food is positive, service: positive and price: negative.",
        [
            ("food", "positive", (4, 8), (12, 20)),
            ("service", "positive", (22, 29), (31, 39)),
            ("price", "negative", (44, 49), (51, 59)),
        ],
        [(Code.PROSE_PAIR, Severity.WARNING, 8, 12), (Code.PROSE_PAIR, Severity.WARNING, 40, 43)],
    ),
    (
        "restaurant-en",
        "natural",
        "food -> positive & price: negative.",
        [("food", "positive", (0, 4), (8, 16)), ("price", "negative", (19, 24), (26, 34))],
        [(Code.PROSE_PAIR, Severity.WARNING, 4, 8), (Code.PROSE_PAIR, Severity.WARNING, 17, 18)],
    ),
    (
        "restaurant-en",
        "lines",
        "food positive price: negative",
        [("food", "positive", (0, 4), (5, 13)), ("price", "negative", (14, 19), (21, 29))],
        [(Code.PUNCTUATION, Severity.WARNING, 13, 13)],
    ),
    # never split inside a value, nor a key naming two aspects
    (
        "masa-d1",
        "natural",
        "食品评价：正面和负面。",
        [("食品评价", "正面和负面", (0, 4), (5, 10))],
        [],
    ),
    (
        "masa-d1",
        "natural",
        "食品评价和饮品评价：正面。",
        [("食品评价和饮品评价", "正面", (0, 9), (10, 12))],
        [],
    ),
]


@pytest.mark.parametrize(("task", "design", "text", "records", "diags"), TABLE)
def test_records_and_spans(task, design, text, records, diags):
    got, got_diags = _records(text, TASKS[task], design)
    assert got == records
    for key, value, (ks, ke), vspan in got:
        assert text[ks:ke] == key
        if vspan is not None:
            assert text[vspan[0] : vspan[1]] == value
    assert [d for d in got_diags if d[0] in (Code.PROSE_PAIR, Code.PUNCTUATION)] == diags


@pytest.mark.parametrize(
    ("task", "text", "labels"),
    [
        (
            "masa-d1",
            "食品评价为正面，服务人员态度是正面的",
            {"食品评价": "正面", "服务人员态度": "正面"},
        ),
        ("masa-d1", "食品评价：正面和饮品评价：负面", {"食品评价": "正面", "饮品评价": "负面"}),
        ("masa-d1", "食品评价正面饮品评价：负面", {"食品评价": "正面", "饮品评价": "负面"}),
        (
            "restaurant-en",
            "food is positive, service: positive",
            {"food": "positive", "service": "positive"},
        ),
        (
            "restaurant-en",
            "food: positive and price: negative",
            {"food": "positive", "price": "negative"},
        ),
        # the value before a joiner names no label: the placeholder, not the next pair's label
        ("masa-d1", "食品评价：好吃和饮品评价是负面", {"饮品评价": "负面"}),
        ("restaurant-en", "food is great and price is negative", {"price": "negative"}),
        # prose that does not start with an aspect spelling is never read as a pair
        ("restaurant-en", "I think the food is positive", {}),
        ("restaurant-en", "seafood is positive", {}),
    ],
)
def test_labels_measured_cases(task, text, labels):
    t = TASKS[task]
    result = sdeparse.parse(text, t, "natural")
    mentioned = {a: v for a, v in result.labels.items() if v != t.placeholder}
    assert mentioned == labels


def test_prose_pair_is_a_registered_warning():
    assert Code.PROSE_PAIR in sdeparse.CODES
    assert Code.PROSE_PAIR.severity is Severity.WARNING


def test_semicolon_and_line_break_between_pairs_recovers():
    """``；`` then a line break in a Natural design: the pairs come back (format_mismatch, as
    for any pairs on several lines)."""
    result = sdeparse.parse("食品评价：正面；\n饮品评价：负面。", MASA, "natural")
    assert result.labels["食品评价"] == "正面" and result.labels["饮品评价"] == "负面"


def _writings(task, labels, rng_choice):
    """A canonical Natural output's pairs, some written as sentences, some joined by words."""
    zh = task is MASA
    copulas = ["为", "是", "属于", "算是", "评价为"] if zh else [" is ", " was ", " = ", " -> "]
    joiners = ["和", "及", "以及", "与", "还有"] if zh else [" and ", " & ", " plus ", " / "]
    pieces = []
    used = 0  # how many sentences and joiners were written
    for i, (aspect, label) in enumerate(labels.items()):
        how = rng_choice[i % len(rng_choice)]
        if how == 1:
            pieces.append(f"{aspect}{copulas[i % len(copulas)]}{label}")
            used += 1
        else:
            pieces.append(f"{aspect}{task.punctuation.key_value}{label}")
    text = pieces[0]
    for i, piece in enumerate(pieces[1:], 1):
        joined = rng_choice[(i + 3) % len(rng_choice)] == 2
        used += joined
        text += (joiners[i % len(joiners)] if joined else task.punctuation.pair_separator) + piece
    return text + task.punctuation.terminator, used


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    task_name=st.sampled_from(sorted(TASKS)),
    choice=st.lists(st.integers(0, 2), min_size=1, max_size=8),
)
def test_prose_writing_parses_back_to_the_truth(data, task_name, choice):
    """For random label maps, a canonical output written partly as prose or joined by words
    gives back the truth, with prose_pair warnings, and never another label."""
    task = TASKS[task_name]
    labels = data.draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    text, used = _writings(task, labels, choice)
    result = sdeparse.parse(text, task, "natural")
    assert result.labels == labels, text
    prose = [d for d in result.diagnostics if d.code is Code.PROSE_PAIR]
    assert len(prose) == used, text
    assert all(d.severity is Severity.WARNING for d in prose)
    assert all(d.severity is not Severity.ERROR for d in result.diagnostics), text


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    task_name=st.sampled_from(sorted(TASKS)),
    filler=st.text(alphabet=st.sampled_from("和及与 and&/是为is正面负面xy：:"), max_size=20),
)
def test_never_a_wrong_label(data, task_name, filler):
    """Random prose around and between pairs: each aspect gets its truth or the placeholder."""
    task = TASKS[task_name]
    labels = data.draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    pieces = [f"{a}{task.punctuation.key_value}{v}" for a, v in labels.items()]
    at = data.draw(st.integers(0, len(pieces) - 1))
    pieces[at] = pieces[at] + filler
    text = task.punctuation.pair_separator.join(pieces)
    result = sdeparse.parse(text, task, "natural")
    for aspect in task.aspect_names:
        assert result.labels[aspect] in (labels[aspect], task.placeholder), (aspect, text)


def test_long_prose_is_linear():
    """A long piece of joined sentences reads in time linear in its length."""

    def took(n: int) -> float:
        text = "x and food is great and price is negative " * n
        start = time.perf_counter()
        sdeparse.parse(text, EN, "natural")
        return time.perf_counter() - start

    took(100)
    small, big = took(2_000), took(20_000)
    assert big < 30 * max(small, 0.01)
