"""Two or three corruption operators at once (`testing.combine`): never a confident wrong label
under strict, the verdict follows the worst diagnostic, and a text that is wrongly formatted stays
so when further slips are added. Mirrors the single-operator properties of test_corruptions."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design
from sdeparse.testing import CORRUPTIONS, Combined, applicable, combine

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
DESIGNS = Design.all()
DESCRIPTION = st.text(alphabet=st.sampled_from('味道不错好 "\\\n😀ab,:'), max_size=8)


@st.composite
def combined(draw) -> tuple[sdeparse.Task, Design, dict[str, str], Combined]:
    """A task, a design, the true labels and 2 or 3 operators applied to their rendering."""
    task = TASKS[draw(st.sampled_from(sorted(TASKS)))]
    design = draw(st.sampled_from(DESIGNS))
    labels = draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    descriptions = (
        {a: draw(DESCRIPTION) for a in task.aspect_names} if design.has_description else {}
    )
    text = sdeparse.render(labels, task, design, descriptions)
    k = draw(st.sampled_from((2, 3)))
    out = combine(text, task, design, random.Random(draw(st.integers(0, 2**32 - 1))), k)
    assume(out is not None and len(out.ops) >= 2)
    assert out is not None
    return task, design, labels, out


SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


@SETTINGS
@given(case=combined())
def test_never_a_confident_wrong_label(case):
    """Whatever slips are combined, each aspect gets its truth or the placeholder."""
    task, design, labels, out = case
    result = sdeparse.parse(out.text, task, design)
    for aspect in task.aspect_names:
        assert result.labels[aspect] in (labels[aspect], task.placeholder), (
            aspect,
            out.names,
            out.text,
        )
    # the fast path agrees with the full parser, as for one operator
    slow_labels, _, slow_diags = sdeparse.diagnose(out.text, task, design)
    assert slow_labels == result.labels
    assert result.diagnostics == slow_diags


@SETTINGS
@given(case=combined())
def test_verdict_follows_the_diagnostics(case):
    """A warning or worse makes a format error under strict; a text that was a format error
    after one slip stays one after the next (a further slip never makes it well formatted)."""
    task, design, _, out = case
    result = sdeparse.parse(out.text, task, design)
    assert result.diagnostics, out.names
    worst = max(d.severity.rank for d in result.diagnostics)
    assert result.is_format_error == (worst >= 1)
    flagged = [sdeparse.parse(step, task, design).is_format_error for step in out.steps]
    if any(flagged):
        assert result.is_format_error, (out.names, flagged, out.text)
    # and the paper profile copes with it
    paper = sdeparse.parse(out.text, task, design, profile="paper")
    assert set(paper.labels) == set(task.aspect_names)
    assert set(paper.labels.values()) <= set(task.label_names)


@pytest.mark.parametrize("design", DESIGNS, ids=str)
def test_combine_applies_several_operators(design):
    """combine() applies 2 or 3 distinct operators in turn, each changing the text."""
    task = TASKS["masa-d1"]
    rng = random.Random(3)
    labels = {a: task.label_names[i % 4] for i, a in enumerate(task.aspect_names)}
    text = sdeparse.render(labels, task, design)
    sizes = set()
    for _ in range(30):
        out = combine(text, task, design, rng, k=3)
        assert out is not None
        assert len(set(out.names)) == len(out.ops) <= 3
        assert out.steps[-1] == out.text and len(out.steps) == len(out.ops)
        assert len({text, *out.steps}) == len(out.steps) + 1
        assert all(op.applies_to(design) for op in out.ops)
        sizes.add(len(out.ops))
    assert 3 in sizes


def test_combine_keeps_to_the_names_and_is_seeded():
    task = TASKS["restaurant-en"]
    design = Design.parse("lines")
    text = sdeparse.render({"food": "positive", "price": "negative"}, task, design)
    names = [op.name for op in applicable(design) if op.recoverable]
    first = combine(text, task, design, random.Random(5), k=2, names=names)
    again = combine(text, task, design, random.Random(5), k=2, names=names)
    assert first == again and first is not None
    assert set(first.names) <= set(names) and first.recoverable
    assert combine(text, task, design, random.Random(5), names=["unexpected_placeholder"]) is None


def test_later_slips_do_not_erase_earlier_ones():
    """An operator that writes its output from nothing (the empty output, only whitespace, the
    template echo or added items once the text no longer reads as canonical) is used only
    first: after it, nothing of the earlier slips would be left."""
    task = TASKS["masa-d1"]
    for design in DESIGNS:
        text = sdeparse.render(dict.fromkeys(task.aspect_names, "正面"), task, design)
        for seed in range(20):
            out = combine(text, task, design, random.Random(seed), k=3)
            assert out is not None
            for op, step in zip(out.ops[1:], out.steps[1:], strict=True):
                assert step.strip(), (op.name, out.names)
                if op.name == "template_prefix":  # the echo, then what it read
                    assert any(a in step for a in task.aspect_names), (out.names, step)
    assert "template_prefix" in CORRUPTIONS
