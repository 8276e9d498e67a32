"""Whatever the text, parse() returns a complete, well-formed result and never raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Design, Severity

TASKS = {name: sdeparse.load_task(name) for name in sdeparse.BUILTIN_TASKS}
DESIGNS = Design.all()
SEVERITIES = set(Severity)

_PIECES = st.sampled_from(
    [
        "：",
        ":",
        "，",
        ",",
        "；",
        "、",
        "。",
        ".",
        "\n",
        "\n\n",
        " ",
        "{",
        "}",
        "[",
        "]",
        '"',
        "'",
        "\\",
        "```",
        "方面",
        "情感",
        "描述",
        "aspect",
        "sentiment",
        "输出：",
        "方面1",
        "情感类别",
        "True",
        "None",
        "-2",
        "-1",
        "0",
        "1",
        "\x00",
        "\ud800",
        "😀",
        "…",
        "...",
        "负面偏正面",
    ]
)


def _words(task):
    names = list(task.aspect_names) + [a for x in task.aspects for a in x.aliases]
    labels = list(task.label_names) + [s for lab in task.labels for s in lab.synonyms]
    return st.sampled_from(names + labels)


def _junk(task):
    mixture = st.lists(st.one_of(_PIECES, _words(task), st.text(max_size=3)), max_size=40)
    return st.one_of(
        st.text(alphabet=st.characters(exclude_categories=()), max_size=200),  # surrogates too
        st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=100),
        mixture.map("".join),
    )


def check(result, text, task):
    assert isinstance(result, sdeparse.ParseResult)
    assert list(result.labels) == list(task.aspect_names)
    assert set(result.labels.values()) <= set(task.label_names)
    assert isinstance(result.is_format_error, bool)
    for d in result.diagnostics:
        assert 0 <= d.start <= d.end <= len(text), d
        assert d.severity in SEVERITIES
        assert d.code in sdeparse.CODES
        assert isinstance(d.message, str) and d.message
    if result.profile == "strict":
        worst = max((d.severity.rank for d in result.diagnostics), default=-1)
        assert result.is_format_error == (worst >= 1)
    for aspect, description in result.descriptions.items():
        assert aspect in task.aspect_names and isinstance(description, str)


@pytest.mark.parametrize("task_name", sorted(TASKS))
@pytest.mark.parametrize("design", DESIGNS, ids=str)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_junk_never_raises(task_name, design, data):
    task = TASKS[task_name]
    text = data.draw(_junk(task))
    for profile in ("strict", "paper"):
        check(sdeparse.parse(text, task, design, profile=profile), text, task)
    labels, _, diags = sdeparse.diagnose(text, task, design)
    assert labels == sdeparse.parse(text, task, design).labels or not diags


N = 1_000_000
ADVERSARIAL = {
    "open_braces": "{" * N,
    "array_of_open_objects": "[{" * (N // 2),
    "close_braces": "}" * N,
    "brackets": "[" * N,
    "separators": "，" * N,
    "ascii_separators": ",;." * (N // 3),
    "colons": "：" * N,
    "many_colons": "食品评价" + ":" * N + "正面",
    "newlines": "\n" * N,
    "quotes": '"' * N,
    "giant_item": "食品评价：" + "好" * N,
    "giant_key": "食" * N + "：正面",
    "giant_unclosed_string": '{"方面": "食品评价", "描述": "' + "啊" * N,
    "giant_object": '{"方面": "食品评价", "情感": "' + "中" * N + '"}',
    "repeated_items": "食品评价：中性，" * (N // 8),
    "repeated_objects": '{"方面": "食品评价", "情感": "中性"}\n' * (N // 30),
    "nested_arrays": "[" * (N // 2) + "]" * (N // 2),
    "backslashes": '{"描述": "' + "\\" * N,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
@pytest.mark.parametrize("design", ["natural", "lines+omit", "json+numeric", "rcot+omit"])
def test_adversarial_megabyte(name, design):
    text = ADVERSARIAL[name]
    task = TASKS["masa-d1"]
    for profile in ("strict", "paper"):
        result = sdeparse.parse(text, task, design, profile=profile)
        check(result, text, task)
    assert result.diagnostics


@pytest.mark.parametrize("value", [None, b"\xe9\xa3\x9f", 42, ["食品评价：中性"], bytearray(b"x")])
def test_non_str_raises_type_error(value):
    with pytest.raises(TypeError):
        sdeparse.parse(value, "masa-d1", "natural")


def test_surrogates_and_controls():
    task = TASKS["masa-d1"]
    text = "食品评价：\ud800正面\x00，饮品\udfff评价：中性。"
    for design in DESIGNS:
        check(sdeparse.parse(text, task, design), text, task)
