"""The extraction readers' scanners (their hot paths) against lark's parse of the same grammars:
the same records, shapes and diagnostics on random strings over the grammars' marks, on the
output of every extraction corruption operator, and on every fixture output."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_extraction_fixtures import FILES, split_file

import sdeparse
from sdeparse import Design
from sdeparse.layouts.tuples import RUN_FROM, read_tuples
from sdeparse.records import Diagnostics
from sdeparse.testing import EXTRACTION_CORRUPTIONS

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "layouts"
TASKS = {name: sdeparse.load_task(name) for name in ("maven-ed", "genia-ner")}
EXAMPLES = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

PIECES = [
    "[", "]", "[[", "]]", ",", ", ", ",,", " , ,", '"', "'", '"Motion"', "'Motion'", '"flew"',
    '"led to"', "Motion", "flew", "1", "-2", "3.5", " ", "  ", "\t", "\n", "\n\n", "\r", ":",
    ": ", ";", "; ", "：", "；", "，", '\\"', "\\", "NONE", "''", '""', "```", "<think>", "x y",
    "\u3000", "Output", "Motion: ", "DNA", "- ", "1. ", "[" * RUN_FROM, "]" * RUN_FROM,
    "[ " * (RUN_FROM + 1),
]  # fmt: skip
TEXTS = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=30).map("".join)


def tuples_result(text: str, task: sdeparse.Task, engine: str, expected: bool = True):
    diags = Diagnostics()
    reading = read_tuples(text, task, diags, expected, engine)
    return reading.records, reading.shapes, list(diags)


def _corrupted() -> list[tuple[str, str, str]]:
    """(task, design, output) for every extraction operator on a few canonical outputs."""
    rng = random.Random(11)
    out = []
    for name, task in TASKS.items():
        types = [t.name for t in task.spans.types]
        for design in Design.extraction():
            for _ in range(6):
                pairs = [
                    (rng.choice(types), rng.choice(["flew", "led to", "IL-2 gene", "5' end"]))
                    for _ in range(rng.randint(0, 3))
                ]
                canonical = sdeparse.render(pairs, task, design)
                out.append((name, design.name, canonical))
                for op in EXTRACTION_CORRUPTIONS.values():
                    if op.applies_to(design):
                        bad = op.apply(canonical, task, design, rng)
                        if bad is not None:
                            out.append((name, design.name, bad))
    return out


CORRUPTED = _corrupted()


def _fixture_outputs() -> list[tuple[str, str]]:
    out = []
    for file in FILES:
        _, cases = split_file((FIXTURES / file).read_text(encoding="utf-8"), file)
        out += [(case.task, case.output) for case in cases]
    return out


FIXTURE_OUTPUTS = _fixture_outputs()


# ---- tuples ------------------------------------------------------------------------------------


@EXAMPLES
@given(text=TEXTS, task=st.sampled_from(sorted(TASKS)), expected=st.booleans())
def test_tuples_scanner_reads_as_lark_on_random_text(text, task, expected):
    task_ = TASKS[task]
    assert tuples_result(text, task_, "scanner", expected) == tuples_result(
        text, task_, "lark", expected
    )


@pytest.mark.parametrize("case", range(len(CORRUPTED)))
def test_tuples_scanner_reads_as_lark_on_corrupted_outputs(case):
    task, _, text = CORRUPTED[case]
    assert tuples_result(text, TASKS[task], "scanner") == tuples_result(text, TASKS[task], "lark")


def test_tuples_scanner_reads_as_lark_on_fixtures():
    for task, text in FIXTURE_OUTPUTS:
        assert tuples_result(text, TASKS[task], "scanner") == tuples_result(
            text, TASKS[task], "lark"
        ), text


def test_runs_of_lone_brackets_give_one_diagnostic():
    task = TASKS["maven-ed"]
    records, _, diags = tuples_result("[" * 1000 + "\n" + "]" * 1000 + "\n[x", task, "scanner")
    assert records == []
    assert [(d.code.value, d.start, d.end) for d in diags] == [
        ("json_syntax", 0, 1000),
        ("json_syntax", 1001, 2001),
        ("truncated", 2002, 2004),
    ]
    short = tuples_result("[" * (RUN_FROM - 1) + "\nx", task, "scanner")[2]
    assert [d.message for d in short] == ["a lone ["] * (RUN_FROM - 1) + [
        "text outside the tuples: 'x'"
    ]


# ---- span pairs (Natural, Lines) -----------------------------------------------------------------


def pairs_result(text: str, task: sdeparse.Task, fmt: str, engine: str, expected: bool = True):
    from sdeparse.layouts.spanpairs import read_span_pairs
    from sdeparse.schemas.spans import SpanSchema

    design = Design.parse(fmt)
    vocabulary = SpanSchema(task, design)
    diags = Diagnostics()
    reading = read_span_pairs(text, fmt, task, vocabulary, diags, expected, engine)
    return reading.records, reading.shapes, reading.lines_with_pairs, list(diags)


@EXAMPLES
@given(
    text=TEXTS,
    task=st.sampled_from(sorted(TASKS)),
    fmt=st.sampled_from(["natural", "lines"]),
    expected=st.booleans(),
)
def test_span_pairs_scanner_reads_as_lark_on_random_text(text, task, fmt, expected):
    task_ = TASKS[task]
    assert pairs_result(text, task_, fmt, "scanner", expected) == pairs_result(
        text, task_, fmt, "lark", expected
    )


@pytest.mark.parametrize("case", range(len(CORRUPTED)))
def test_span_pairs_scanner_reads_as_lark_on_corrupted_outputs(case):
    task, design, text = CORRUPTED[case]
    fmt = "lines" if design.startswith("lines") else "natural"
    assert pairs_result(text, TASKS[task], fmt, "scanner") == pairs_result(
        text, TASKS[task], fmt, "lark"
    )


def test_span_pairs_scanner_reads_as_lark_on_fixtures():
    for task, text in FIXTURE_OUTPUTS:
        for fmt in ("natural", "lines"):
            assert pairs_result(text, TASKS[task], fmt, "scanner") == pairs_result(
                text, TASKS[task], fmt, "lark"
            ), text


# ---- grounding ---------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    haystack=st.text(alphabet="abc é\n", max_size=60),
    needles=st.lists(st.text(alphabet="abcd é\n", max_size=6), max_size=20),
)
def test_grounds_answer_as_a_search(haystack, needles):
    from sdeparse.schemas.spans import _Grounds

    grounds = _Grounds(haystack)
    grounds.searched = 10**9  # the index from the first span on
    assert [grounds.holds(n) for n in needles] == [n in haystack for n in needles]
