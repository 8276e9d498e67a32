"""Canonical renderings parse back exactly, with no diagnostics, on the fast path and off it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
DESIGNS = Design.all()

# Descriptions a CoT model may write: quotes, backslashes, newlines, control and non-BMP chars.
_TRICKY = st.sampled_from(
    [
        '"',
        "\\",
        "\n",
        "\r\n",
        "\t",
        "\x00",
        "\x1f",
        "'",
        "{",
        "}",
        "：",
        "，",
        "\u2028",
        "😀",
        "𝄞",
        "\\n",
        '\\"',
        "情感",
        "方面",
        " ",
        "}, {",
    ]
)
DESCRIPTION = st.one_of(
    st.text(max_size=40),
    st.lists(st.one_of(_TRICKY, st.text(max_size=4)), max_size=12).map("".join),
)


def _labels(task):
    return st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})


@st.composite
def _case(draw, task_name, design):
    task = TASKS[task_name]
    labels = draw(_labels(task))
    descriptions = {}
    if design.has_description:
        descriptions = {a: draw(DESCRIPTION) for a in task.aspect_names}
    return labels, descriptions


def _expected_descriptions(task, design, labels, descriptions):
    if not design.has_description:
        return {}
    return {
        a: descriptions[a]
        for a in task.aspect_names
        if not (design.omit_unmentioned and labels[a] == task.placeholder)
    }


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("design", DESIGNS, ids=str)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_render_parse_round_trip(task_name, design, data):
    task = TASKS[task_name]
    labels, descriptions = data.draw(_case(task_name, design))
    text = sdeparse.render(labels, task, design, descriptions)
    want_desc = _expected_descriptions(task, design, labels, descriptions)
    for profile in ("strict", "paper"):
        result = sdeparse.parse(text, task, design, profile=profile)
        assert result.labels == labels, profile
        assert result.diagnostics == [], profile
        # the paper's script counts the empty OU answer as an "empty output" error (SPEC §3.1)
        assert result.is_format_error == (profile == "paper" and text == ""), profile
    strict = sdeparse.parse(text, task, design)
    assert strict.descriptions == want_desc
    # the full parser, bypassing the fast path, agrees
    slow_labels, slow_desc, slow_diags = sdeparse.diagnose(text, task, design)
    assert slow_diags == []
    assert slow_labels == labels
    assert slow_desc == want_desc


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("design", DESIGNS, ids=str)
def test_all_placeholder_round_trip(task_name, design):
    """The edge case of nothing mentioned: OU renders the empty string, PU every placeholder."""
    task = TASKS[task_name]
    labels = dict.fromkeys(task.aspect_names, task.placeholder)
    text = sdeparse.render(labels, task, design)
    assert (text == "") == design.omit_unmentioned
    result = sdeparse.parse(text, task, design)
    assert result.labels == labels and result.diagnostics == [] and not result.is_format_error
    assert sdeparse.diagnose(text, task, design)[2] == []


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("design", DESIGNS, ids=str)
def test_render_is_deterministic_and_ordered(task_name, design):
    """Aspects come out in the task's order whatever the order of the mapping given."""
    task = TASKS[task_name]
    labels = {
        a: task.mentioned_labels[i % len(task.mentioned_labels)]
        for i, a in enumerate(task.aspect_names)
    }
    backwards = dict(reversed(list(labels.items())))
    assert sdeparse.render(labels, task, design) == sdeparse.render(backwards, task, design)
    text = sdeparse.render(labels, task, design)
    positions = [text.index(a) for a in task.aspect_names]
    assert positions == sorted(positions)
