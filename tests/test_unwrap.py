"""The unwrap stage (sdeparse/unwrap.py): chat tokens, reasoning blocks and markdown decoration
removed before the layout reads the answer, with diagnostics pointing into the original text."""

from __future__ import annotations

import random
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sdeparse
import sdeparse.parser as parser_module
from sdeparse import Design, Parser
from sdeparse.schemas import schema_for
from sdeparse.testing import CORRUPTIONS
from sdeparse.unwrap import MAX_FINDINGS, NOTES_PER_KIND, unwrap

CLASSIFICATION = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
EXTRACTION = {name: sdeparse.load_task(name) for name in ("maven-ed", "genia-ner")}
MASA = CLASSIFICATION["masa-d1"]
EN = CLASSIFICATION["restaurant-en"]
UNWRAP_CODES = {"special_token", "reasoning_block", "markdown"}

ANSWER = (
    "食品评价：正面，饮品评价：未提及，价格水平：负面，卫生情况：未提及，服务人员态度：正面，"
    "停车方便程度：未提及。"
)
TRUTH = {"食品评价": "正面", "价格水平": "负面", "服务人员态度": "正面"}
NUMERIC_LINES = (
    "食品评价：1\n饮品评价：-2\n价格水平：-1\n"
    "卫生情况：-2\n服务人员态度：1\n停车方便程度：-2"
)


def _unwrap_of(text: str, task=MASA, design: str = "natural"):
    design_ = task.design(design)
    return unwrap(text, task, design_, schema_for(task, design_))


def _spans(result, codes=UNWRAP_CODES):
    """(code, severity, start, end) of the unwrap diagnostics of a parse."""
    return [
        (d.code.value, d.severity.value, d.start, d.end)
        for d in result.diagnostics
        if d.code.value in codes
    ]


def _mentioned(result, task=MASA):
    return {a: v for a, v in result.labels.items() if v != task.placeholder}


# ---- unit examples with exact spans ------------------------------------------------------------


EXAMPLES = [
    # (task, design, text, the unwrap notes as (code, severity, the text each covers) in text
    # order, every diagnostic code of the parse)
    (
        MASA,
        "natural",
        "<think>让我想想，食品评价应该是正面</think>" + ANSWER,
        [("reasoning_block", "info", "<think>让我想想，食品评价应该是正面</think>")],
        {"reasoning_block"},
    ),
    (
        MASA,
        "natural",
        "让我想想，食品评价：负面？\n</think>\n\n" + ANSWER,
        [("reasoning_block", "info", "让我想想，食品评价：负面？\n</think>")],
        {"reasoning_block"},
    ),
    (
        MASA,
        "natural",
        "<think>\n" + ANSWER,
        [("reasoning_block", "warning", "<think>")],
        {"reasoning_block"},
    ),
    (
        MASA,
        "natural",
        ANSWER + "</s>",
        [("special_token", "info", "</s>")],
        {"special_token"},
    ),
    (
        MASA,
        "lines+numeric",
        NUMERIC_LINES + "</s>",
        [("special_token", "info", "</s>")],
        {"special_token"},
    ),
    (
        MASA,
        "lines+numeric",
        "<|im_start|>assistant\n" + NUMERIC_LINES + "<|im_end|>\n<|endoftext|>",
        [
            ("special_token", "info", "<|im_start|>assistant"),
            ("special_token", "info", "<|im_end|>"),
            ("special_token", "info", "<|endoftext|>"),
        ],
        {"special_token"},
    ),
    (
        MASA,
        "natural",
        "<|start_header_id|>assistant<|end_header_id|>\n\n" + ANSWER + "<|eot_id|>",
        [
            ("special_token", "info", "<|start_header_id|>assistant<|end_header_id|>"),
            ("special_token", "info", "<|eot_id|>"),
        ],
        {"special_token"},
    ),
    (
        MASA,
        "natural",
        "[/INST] " + ANSWER + "</s>",
        [("special_token", "info", "[/INST]"), ("special_token", "info", "</s>")],
        {"special_token"},
    ),
    (
        MASA,
        "lines+omit",
        "- 食品评价：正面\n* 价格水平：负面\n• 服务人员态度：正面",
        [
            ("markdown", "warning", "- "),
            ("markdown", "warning", "* "),
            ("markdown", "warning", "• "),
        ],
        {"markdown"},
    ),
    (
        MASA,
        "lines+omit",
        "1. 食品评价：正面\n2) 价格水平：负面\n(3) 服务人员态度：正面",
        [
            ("markdown", "warning", "1. "),
            ("markdown", "warning", "2) "),
            ("markdown", "warning", "(3) "),
        ],
        {"markdown"},
    ),
    (
        MASA,
        "natural+omit",
        "**食品评价**：正面，__价格水平__：*负面*，`服务人员态度`：正面。",
        [
            ("markdown", "warning", "**食品评价**"),
            ("markdown", "warning", "__价格水平__"),
            ("markdown", "warning", "*负面*"),
            ("markdown", "warning", "`服务人员态度`"),
        ],
        {"markdown"},
    ),
    (
        MASA,
        "lines+omit",
        "| 方面 | 情感 |\n|---|---|\n| 食品评价 | 正面 |\n| 价格水平 | 负面 |\n"
        "| 服务人员态度 | 正面 |",
        [
            (
                "markdown",
                "warning",
                "| 方面 | 情感 |\n|---|---|\n| 食品评价 | 正面 |\n| 价格水平 | 负面 |\n"
                "| 服务人员态度 | 正面 |",
            )
        ],
        {"markdown"},
    ),
    (  # the label column is found by its cells, wherever it is
        MASA,
        "natural+omit",
        "| 方面 | 描述 | 情感 |\n|:---|:---|---:|\n| 食品评价 | 好吃 | 正面 |\n"
        "| 价格水平 | 贵 | 负面 |\n| 服务人员态度 | 热情 | 正面 |",
        [
            (
                "markdown",
                "warning",
                "| 方面 | 描述 | 情感 |\n|:---|:---|---:|\n| 食品评价 | 好吃 | 正面 |\n"
                "| 价格水平 | 贵 | 负面 |\n| 服务人员态度 | 热情 | 正面 |",
            )
        ],
        {"markdown"},
    ),
    (
        MASA,
        "json+omit",
        '{"方面": "**食品评价**", "情感": "正面"}\n{"方面": "价格水平", "情感": "负面"}\n'
        '{"方面": "服务人员态度", "情感": "`正面`"}<|im_end|>',
        [
            ("markdown", "warning", "**食品评价**"),
            ("markdown", "warning", "`正面`"),
            ("special_token", "info", "<|im_end|>"),
        ],
        {"markdown", "special_token"},
    ),
]


@pytest.mark.parametrize(
    ("task", "design", "text", "expected", "codes"),
    EXAMPLES,
    ids=[f"{i}-{case[1]}" for i, case in enumerate(EXAMPLES)],
)
def test_examples(task, design, text, expected, codes):
    """Exact spans of the notes in the original text (each at the next occurrence of the text
    it covers); the answer is read as if unwrapped."""
    result = sdeparse.parse(text, task, design)
    spans = []
    at = 0
    for code, severity, covered in expected:
        start = text.index(covered, at)
        at = start + len(covered)
        spans.append((code, severity, start, at))
    assert _spans(result) == spans
    assert set(result.codes) == codes, result.diagnostics
    assert _mentioned(result, task) == TRUTH


def test_english_bold_table_and_eos():
    table = "| aspect | sentiment |\n|---|---|\n| **food** | positive |\n| price | negative |"
    text = table + "\n</s>"
    result = sdeparse.parse(text, EN, "lines+omit")
    assert _mentioned(result, EN) == {"food": "positive", "price": "negative"}
    end = len(table)
    assert _spans(result) == [
        ("markdown", "warning", 0, end),
        ("special_token", "info", end + 1, end + 5),
    ]


def test_heading_marks_go_and_the_title_is_read_as_text():
    text = "## 结果\n食品评价：正面\n价格水平：负面"
    result = sdeparse.parse(text, MASA, "lines+omit")
    assert _mentioned(result) == {"食品评价": "正面", "价格水平": "负面"}
    assert _spans(result, {"markdown", "extra_text"}) == [
        ("markdown", "warning", 0, 3),
        ("extra_text", "warning", 3, 5),
    ]


def test_think_block_content_is_never_read():
    """A closed block naming aspects and labels is removed whole: nothing in it is read."""
    text = "<think>食品评价：负面，价格水平：正面</think>食品评价：正面"
    result = sdeparse.parse(text, MASA, "natural+omit")
    assert _mentioned(result) == {"食品评价": "正面"}


def test_stray_closing_tag_is_a_warning():
    text = "<think>a</think>食品评价：正面</think>"
    result = sdeparse.parse(text, MASA, "natural+omit")
    assert _spans(result) == [
        ("reasoning_block", "info", 0, 16),
        ("reasoning_block", "warning", 23, 31),
    ]
    assert result.is_format_error


@pytest.mark.parametrize(
    "text",
    [
        NUMERIC_LINES,  # -1 / -2 are labels, not bullets
        "食品评价：-1，价格水平：1。",
        "```\n食品评价：正面\n```",  # code fences are the readers' business (extra_text)
        '{"方面": "食品评价", "描述": "**很好** `x` <|y|> </s> <think>", "情感": "正面"}',
        "食品评价：正面，价格|水平：负面",
        "食品评价：正面 * 价格水平：负面",
        "食品评价：1.5",
    ],
)
def test_left_alone(text):
    """Labels with a minus, code fences, JSON description strings, lone pipes or stars and
    decimals are no decoration."""
    assert _unwrap_of(text, MASA, "cot") is None
    assert _unwrap_of(text, MASA, "lines+numeric") is None


def test_nothing_found_is_exactly_the_old_path():
    parser = Parser(MASA, "natural")
    for text in ("食品评价：正面", "食品评价：正面 | 价格水平", "a*b", "x__y"):
        assert parser.diagnose(text) == parser._diagnose(text)


def test_paper_profile_reads_the_raw_text(monkeypatch):
    """The released code's reading (paper_decide) gets the output as written."""
    seen = []
    real = parser_module.paper_decide

    def spy(text, task, design):
        seen.append(text)
        return real(text, task, design)

    monkeypatch.setattr(parser_module, "paper_decide", spy)
    text = ANSWER + "</s>"
    result = Parser(MASA, "natural", "paper").parse(text)
    assert seen == [text]
    assert "special_token" in result.codes


def test_extraction_outputs_are_unwrapped():
    task = EXTRACTION["maven-ed"]
    result = sdeparse.parse('<think>hm</think>["Motion", "flew"]</s>', task, "tuples")
    assert list(result.extractions) == [("Motion", "flew")]
    assert _spans(result) == [
        ("reasoning_block", "info", 0, 17),
        ("special_token", "info", 35, 39),
    ]
    assert not result.is_format_error


def test_many_findings_share_notes():
    """Past NOTES_PER_KIND of one kind, the rest of that kind is one note."""
    text = "\n".join("- 食品评价：正面" for _ in range(NOTES_PER_KIND + 30))
    found = _unwrap_of(text, MASA, "lines")
    assert found is not None
    assert len(found.notes) == NOTES_PER_KIND + 1
    assert found.notes[-1].message.startswith("30 more")
    assert found.notes[-1].end == text.rindex("- ") + 2


# ---- canonical outputs: nothing to unwrap --------------------------------------------------------

DESCRIPTION = st.text(alphabet=st.sampled_from('味道 "\\\n*_`|#<>-1.ab:'), max_size=16)
SPAN = st.text(alphabet=st.sampled_from("abcXYZ é漢-.()"), min_size=1, max_size=8).filter(
    lambda s: s.strip() == s and s != "NONE"
)


@pytest.mark.parametrize("task_name", sorted(CLASSIFICATION))
@pytest.mark.parametrize("design", Design.all(), ids=str)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_canonical_classification_is_left_alone(task_name, design, data):
    """Whatever the labels and descriptions (markdown and token characters included), a
    canonical output has nothing to unwrap."""
    task = CLASSIFICATION[task_name]
    labels = data.draw(
        st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})
    )
    descriptions = {a: data.draw(DESCRIPTION) for a in task.aspect_names}
    text = sdeparse.render(labels, task, design, descriptions)
    assert _unwrap_of(text, task, design.name) is None


@pytest.mark.parametrize("task_name", sorted(EXTRACTION))
@pytest.mark.parametrize("design", Design.extraction(), ids=str)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_canonical_extraction_is_left_alone(task_name, design, data):
    """Canonical extraction outputs (spans of words, hyphens, periods, brackets) too."""
    task = EXTRACTION[task_name]
    types = [t.name for t in task.spans.types]
    pairs = data.draw(st.lists(st.tuples(st.sampled_from(types), SPAN), max_size=5))
    text = sdeparse.render(pairs, task, design)
    assert _unwrap_of(text, task, design.name) is None


# ---- positions --------------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "<think>", "</think>", "<|im_end|>", "</s>", "<|im_start|>assistant\n", "**", "*", "__",
        "`", "|", "|---|---|", "\n", "- ", "1. ", "(2) ", "## ", " ", "食品评价", "：", "正面",
        "，", '{"方面": "', '", "情感": "', '"}', "价格水平", "-1",
    ]
)
JUNK = st.lists(PIECES, max_size=30).map("".join)


@pytest.mark.parametrize(
    ("task", "design"),
    [(MASA, "natural"), (MASA, "lines+numeric"), (MASA, "cot"), (EN, "json+omit"),
     (EXTRACTION["maven-ed"], "tuples"), (EXTRACTION["genia-ner"], "lines")],
    ids=str,
)
@settings(max_examples=150, deadline=None)
@given(text=JUNK)
def test_positions_stay_inside_the_text(task, design, text):
    """Mapped back, every position of the unwrapped text is inside the original, in order,
    and every diagnostic of the parse spans the original text."""
    found = _unwrap_of(text, task, design)
    if found is not None:
        mapped = [found.position(p) for p in range(len(found.text) + 1)]
        assert all(0 <= p <= len(text) for p in mapped)
        assert mapped == sorted(mapped)
        for note in found.notes:
            assert 0 <= note.start < note.end <= len(text)
    result = sdeparse.parse(text, task, design)
    for d in result.diagnostics:
        assert 0 <= d.start <= d.end <= len(text), (d, text)
    if not task.is_extraction:  # never a confident wrong label on this junk either
        assert set(result.labels) == set(task.aspect_names)


# ---- operators ----------------------------------------------------------------------------------

OPERATORS = (
    "think_block", "think_unclosed", "eos_token", "chat_tokens", "bullets", "numbering",
    "bold_names", "bold_labels", "backticks", "heading", "markdown_table", "list_marker",
)


@pytest.mark.parametrize("name", OPERATORS)
@pytest.mark.parametrize("task_name", ["masa-d1", "restaurant-en"])
def test_operators_give_the_truth_back(name, task_name):
    """Each unwrap operator, on every design it applies to, parses back to the truth under
    strict and raises its code (tests/test_corruptions.py samples the same more widely)."""
    op, task = CORRUPTIONS[name], CLASSIFICATION[task_name]
    assert op.recoverable and op.code in UNWRAP_CODES
    rng = random.Random(11)
    applied = 0
    for design in Design.all():
        if not op.applies_to(design):
            continue
        for _ in range(4):
            labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
            text = sdeparse.render(labels, task, design, dict.fromkeys(labels, "ok"))
            out = op.apply(text, task, design, rng)
            if out is None:
                continue
            applied += 1
            result = sdeparse.parse(out, task, design)
            assert op.code in result.codes, (out, result.diagnostics)
            assert result.labels == labels, out
    assert applied


@pytest.mark.parametrize("task_name", sorted(EXTRACTION))
@pytest.mark.parametrize("design", Design.extraction(), ids=str)
def test_wrapped_extraction_gives_the_truth_back(task_name, design):
    task = EXTRACTION[task_name]
    kind = task.spans.types[0].name
    pairs = [(kind, "flew away")]
    text = sdeparse.render(pairs, task, design)
    for wrapped in (
        "<think>\nlet me see\n</think>\n\n" + text,
        "<|im_start|>assistant\n" + text + "<|im_end|>",
        text + "\n<|eot_id|>",
        "\n".join("- " + line for line in text.split("\n")),
    ):
        result = sdeparse.parse(wrapped, task, design)
        assert list(result.extractions) == pairs, (wrapped, result.diagnostics)
        assert set(result.codes) & UNWRAP_CODES


# ---- linear time --------------------------------------------------------------------------------

MEGABYTE = 1 << 20


@pytest.mark.parametrize(
    "junk",
    [
        "".join(random.Random(0).choice("<*|#`-\n _>") for _ in range(MEGABYTE)),
        "*" * MEGABYTE,
        "**a" * (MEGABYTE // 3),
        "`" * MEGABYTE,
        "|" * MEGABYTE,
        "#" * MEGABYTE,
        "<" * MEGABYTE,
        "<|a|>" * (MEGABYTE // 5),
        "|-|-|\n" * (MEGABYTE // 6),
        "- \n" * (MEGABYTE // 3),
        "</think>" * (MEGABYTE // 8),
        '{"a": "' + '**x**", "' * (MEGABYTE // 9),
    ],
    ids=lambda junk: repr(junk[:8]),
)
def test_a_megabyte_of_junk_is_unwrapped_quickly(junk):
    """Every pattern is bounded and findings are capped: one megabyte within a few seconds."""
    started = time.perf_counter()
    found = _unwrap_of(junk, MASA, "natural")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, elapsed
    if found is not None:
        assert len(found.notes) <= 3 * (NOTES_PER_KIND + 1) + 3
        assert sum(1 for _ in found.notes) < MAX_FINDINGS


def test_a_token_glued_to_the_last_table_row():
    """`| 停车方便程度 | 中性 |<|eot_id|>`: the token is no cell, and the table is still read."""
    text = "| 方面 | 情感 |\n|---|---|\n| 食品评价 | 正面 |\n| 停车方便程度 | 中性 |<|eot_id|>"
    result = sdeparse.parse(text, "masa-d1", "lines+omit")
    assert result.labels["食品评价"] == "正面" and result.labels["停车方便程度"] == "中性"
    codes = [(d.code.value, text[d.start : d.end]) for d in result.diagnostics]
    assert ("special_token", "<|eot_id|>") in codes
    assert [c for c, _ in codes].count("markdown") == 1


def test_bold_cells_in_a_table_and_bold_after_a_chinese_character():
    table = "| Aspect | Sentiment |\n|---|---|\n| **food** | **-1** |\n| **drinks** | **1** |"
    result = sdeparse.parse(table, "restaurant-en", "natural+numeric+omit")
    assert result.labels["food"] == "negative" and result.labels["drinks"] == "positive"
    prose = "食品评价为**-2**\n饮品评价为**1**\n价格水平为**1**"
    result = sdeparse.parse(prose, "masa-d1", "lines+numeric+omit")
    assert result.labels["饮品评价"] == "正面" and result.labels["价格水平"] == "正面"
    assert "markdown" in result.codes


def test_a_closed_block_inside_an_unclosed_one_goes_whole():
    """`<think>` never closed around a closed `<reasoning>` block: the block's pairs are
    reasoning, never the answer (they once gave 卫生情况 a confident wrong label)."""
    text = (
        "<think>\n<reasoning>评论提到了卫生情况，可能是中性。检查一下：卫生情况：中性</reasoning>\n"
        "食品评价：负面，停车方便程度：正面。"
    )
    result = sdeparse.parse(text, "masa-d1", "natural+omit")
    assert result.labels["卫生情况"] == "未提及" and result.labels["食品评价"] == "负面"
    notes = [(d.severity.value, text[d.start : d.end]) for d in result.diagnostics
             if d.code.value == "reasoning_block"]
    assert notes[0] == ("warning", "<think>") and notes[1][1].startswith("<reasoning>")


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<|>[]/*_`#•·(（)+-.．)）、0123456789 \n\tsaeINSTthk")),
        max_size=40,
    )
)
def test_the_cheap_prefilter_never_hides_a_trigger(text):
    """unwrap first looks for a character every trigger match contains; where it finds none,
    the full trigger finds nothing either (so skipping it changes no reading)."""
    from sdeparse import unwrap as module

    if module._MAYBE.search(text) is None:
        assert module._TRIGGER.search(text) is None
