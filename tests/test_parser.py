"""The compiled Parser, its value-keyed cache, the layout registry and detection."""

from __future__ import annotations

import pytest

import sdeparse
from sdeparse import Design, Parser, load_task, render
from sdeparse.diagnostics import Code
from sdeparse.layouts import LAYOUTS, Shape, layout_for
from sdeparse.parser import _cached_parser, parser_for
from sdeparse.profiles import FormatErrorRule, LabelSource, Profile

TASK_TOML = """
name = "tiny"
placeholder = "none"
[punctuation]
key_value = ": "
pair_separator = ", "
terminator = "."
[[aspects]]
name = "food"
[[aspects]]
name = "service"
[[labels]]
name = "good"
code = 1
[[labels]]
name = "none"
code = 0
"""


def test_parser_object_gives_what_parse_gives() -> None:
    parser = Parser("masa-d1", "lines")
    for text in ("食品评价：正面", "食品评价:中性\n饮品评价：积极\n价格", ""):
        assert parser.parse(text) == sdeparse.parse(text, "masa-d1", "lines")
    assert "masa-d1" in repr(parser) and "lines" in repr(parser)


def test_equal_tasks_share_one_cached_parser(tmp_path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(TASK_TOML, encoding="utf-8")
    _cached_parser.cache_clear()
    first = parser_for(load_task(path), "natural")
    for _ in range(200):  # a fresh, equal Task object each time (it used to leak per object)
        assert parser_for(load_task(path), "natural") is first
    assert _cached_parser.cache_info().currsize == 1
    assert sdeparse.parse("food: good.", load_task(path), "natural").labels == {
        "food": "good",
        "service": "none",
    }


def test_every_design_format_has_one_registered_layout() -> None:
    for design in Design.all():
        layout = layout_for(design)
        assert layout is LAYOUTS[layout.name]
        assert design.format in layout.formats


def test_render_goes_through_the_layout_of_the_design() -> None:
    task = load_task("masa-d1")
    for design in Design.all():
        text = render({"食品评价": "正面"}, task, design)
        joiner, ending = layout_for(design).joiner(task, design)
        assert text.endswith(ending)
        assert len(text.split(joiner)) == (1 if design.omit_unmentioned else 6)


@pytest.mark.parametrize(
    ("text", "design", "shape"),
    [
        ("食品评价：中性\n饮品评价：未提及", "natural", Shape.PAIRS_ON_LINES),
        ("食品评价：中性，饮品评价：未提及", "lines", Shape.PAIRS_JOINED),
        ('[{"方面": "食品评价", "情感": "中性"}]', "json", Shape.JSON_ARRAY),
    ],
)
def test_detection_reports_one_format_mismatch_per_shape(text, design, shape) -> None:
    res = sdeparse.parse(text, "masa-d1", design)
    mismatches = [d for d in res.diagnostics if d.code is Code.FORMAT_MISMATCH]
    assert len(mismatches) == 1
    assert (mismatches[0].start, mismatches[0].end) == (0, len(text))


def test_a_profile_is_plain_data() -> None:
    mixed = Profile("mixed", "paper labels, strict verdict", LabelSource.PAPER)
    assert mixed.format_error is FormatErrorRule.ANY_WARNING and mixed.uses_paper
    text = "食品评价：积极，饮品评价：未提及。"  # paper maps 积极; strict flags the synonym
    res = sdeparse.parse(text, "masa-d1", "natural+omit", mixed)
    assert res.labels["食品评价"] == "正面"
    assert res.is_format_error
    assert res.profile == "mixed"


@pytest.mark.parametrize("design", ["natural", "lines", "json", "cot"])
@pytest.mark.parametrize("profile", ["strict", "paper"])
def test_an_answer_after_a_long_reasoning_block_is_read_whole(design, profile) -> None:
    task = load_task("masa-d1")
    labels = {"食品评价": "正面", "停车方便程度": "负面"}
    descriptions = dict.fromkeys(task.aspect_names, "描述" * 8000)  # CoT: 96K+ characters
    answer = render(labels, task, design, descriptions)
    text = "<think>" + "想" * 200_000 + "</think>\n" + answer + "\n"
    res = sdeparse.parse(text, task, design, profile)
    assert res.labels == {a: labels.get(a, task.placeholder) for a in task.aspect_names}
    assert Code.TRUNCATED not in res.codes


def test_a_long_cot_output_with_a_trailing_newline_is_not_truncated() -> None:
    task = load_task("masa-d1")
    answer = render({"食品评价": "正面"}, task, "cot", {"食品评价": "好" * 72_000})
    res = sdeparse.parse(answer + "\n", task, "cot")
    assert res.labels["食品评价"] == "正面"
    assert res.descriptions["食品评价"] == "好" * 72_000
    assert [str(d.code) for d in res.diagnostics] == ["punctuation"]
