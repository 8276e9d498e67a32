"""Every corruption operator raises its code; recoverable ones give back the truth under
strict; none yields a confident wrong label; the fast path never accepts a corrupted text."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import CODES, Design
from sdeparse.testing import CORRUPTIONS, applicable, corrupt

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
DESCRIPTION = st.text(alphabet=st.sampled_from('味道不错好 "\\\n😀ab,:'), max_size=12)


def _fits(op, task, design) -> bool:
    """Whether the operator produces something for this task and design on some labels."""
    rng = random.Random(0)
    for _ in range(60):
        labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
        text = sdeparse.render(labels, task, design, dict.fromkeys(labels, "描述 x"))
        if op.apply(text, task, design, rng) is not None:
            return True
    return False


CASES = [
    pytest.param(op.name, design, fitting, id=f"{op.name}-{design}")
    for op in CORRUPTIONS.values()
    for design in Design.all()
    if op.applies_to(design)
    for fitting in [tuple(t for t, task in TASKS.items() if _fits(op, task, design))]
    if fitting
]


def test_registry_covers_every_code():
    assert {op.code for op in CORRUPTIONS.values()} == set(CODES)
    for op in CORRUPTIONS.values():
        assert op.code in CODES and op.doc
    assert len(CORRUPTIONS) >= 50


def test_every_operator_has_cases():
    """Each operator applies to some design of some task (so its tests below exist)."""
    covered = {case.values[0] for case in CASES}
    assert covered == set(CORRUPTIONS)


def test_operators_are_task_generic():
    """Most operators work on the English task too (its own punctuation, keys and words)."""
    english = {case.values[0] for case in CASES if "restaurant-en" in case.values[2]}
    assert len(english) >= len(CORRUPTIONS) - 2


@st.composite
def _truth(draw, task, design):
    labels = draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    descriptions = (
        {a: draw(DESCRIPTION) for a in task.aspect_names} if design.has_description else {}
    )
    return labels, descriptions


def _cases(fmt: str) -> list:
    """The cases whose design writes this format.

    The cases are split over several test functions because Hypothesis's pytest plugin adds
    one settings level per parametrized case of a function; under its CI profile
    (``database=None``) reading a setting walks every level, which overflows the stack near
    950 cases (see ``tests/conftest.py``).
    """
    return [case for case in CASES if case.values[1].format.value == fmt]


SETTINGS = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


def _corruption_test(fmt: str):
    """The corruption test over the cases of one format."""

    @pytest.mark.parametrize(("op_name", "design", "task_names"), _cases(fmt))
    @SETTINGS
    @given(data=st.data(), seed=st.integers(0, 2**32 - 1))
    def test(op_name, design, task_names, data, seed):
        _check_corruption(op_name, design, task_names, data, seed)

    return test


FORMATS = ("natural", "lines", "json", "cot", "rcot")
test_corruption_natural = _corruption_test("natural")
test_corruption_lines = _corruption_test("lines")
test_corruption_json = _corruption_test("json")
test_corruption_cot = _corruption_test("cot")
test_corruption_rcot = _corruption_test("rcot")


def test_cases_are_split_without_loss():
    """The functions above run every case once."""
    split = [case for fmt in FORMATS for case in _cases(fmt)]
    assert sorted(case.id for case in split) == sorted(case.id for case in CASES)


def _check_corruption(op_name, design, task_names, data, seed):
    op, task = CORRUPTIONS[op_name], TASKS[data.draw(st.sampled_from(task_names))]
    labels, descriptions = data.draw(_truth(task, design))
    text = sdeparse.render(labels, task, design, descriptions)
    corrupted = op.apply(text, task, design, random.Random(seed))
    assume(corrupted is not None)
    assert corrupted != text
    result = sdeparse.parse(corrupted, task, design)
    assert op.code in result.codes, (corrupted, result.codes)
    if op.recoverable:
        assert result.labels == labels, corrupted
    # never a confident wrong label: each aspect gets its truth or the safe placeholder
    for aspect in task.aspect_names:
        assert result.labels[aspect] in (labels[aspect], task.placeholder), (aspect, corrupted)
    # the fast path does not accept it, and agrees with the full parser
    slow_labels, _, slow_diags = sdeparse.diagnose(corrupted, task, design)
    assert slow_labels == result.labels
    assert result.diagnostics == slow_diags and slow_diags
    # a warning or worse makes it a format error under strict
    worst = max(d.severity.rank for d in result.diagnostics)
    assert result.is_format_error == (worst >= 1)
    # and the paper profile copes with it
    paper = sdeparse.parse(corrupted, task, design, profile="paper")
    assert set(paper.labels) == set(task.aspect_names)
    assert set(paper.labels.values()) <= set(task.label_names)


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("design", Design.all(), ids=str)
def test_corrupt_helper(task_name, design):
    """corrupt() picks an applicable operator and reports which one it used."""
    task = TASKS[task_name]
    rng = random.Random(7)
    labels = {
        a: task.label_names[i % len(task.label_names)] for i, a in enumerate(task.aspect_names)
    }
    text = sdeparse.render(labels, task, design)
    used = set()
    for _ in range(40):
        out = corrupt(text, task, design, rng)
        assert out is not None
        corrupted, op = out
        assert op.applies_to(design) and corrupted != text
        assert op.code in sdeparse.parse(corrupted, task, design).codes
        used.add(op.name)
    assert len(used) >= 10
    names = [op.name for op in applicable(design) if op.recoverable]
    corrupted, op = corrupt(text, task, design, rng, names=names)
    assert op.recoverable and sdeparse.parse(corrupted, task, design).labels == labels


def test_corrupt_returns_none_when_nothing_applies():
    task = TASKS["masa-d1"]
    design = Design.parse("natural")
    text = sdeparse.render({}, task, design)
    assert corrupt(text, task, design, random.Random(0), names=["unexpected_placeholder"]) is None


def test_reordering_items_that_are_all_equal_gives_nothing() -> None:
    """Equal items cannot be put out of order: the operator declines instead of looping."""
    task = TASKS["masa-d1"]
    design = Design.parse("lines")
    line = sdeparse.render({task.aspect_names[0]: task.label_names[0]}, task, "lines+omit")
    text = "\n".join([line] * 3)
    assert CORRUPTIONS["aspect_order"].apply(text, task, design, random.Random(0)) is None
