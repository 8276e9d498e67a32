"""Hostile or careless task files: each is one TaskError naming the file and the field, never
a crash at load time, a crash at the end of a run or a parser that silently misreads."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

import pytest

import sdeparse
from sdeparse import TaskError

BASE: dict[str, Any] = {
    "name": "tiny",
    "placeholder": "none",
    "punctuation": {"key_value": ": ", "pair_separator": ", ", "terminator": "."},
    "aspects": [{"name": "food", "keywords": ["food"]}, {"name": "price"}],
    "labels": [
        {"name": "good", "code": 1},
        {"name": "bad", "code": 0},
        {"name": "none", "code": -1},
    ],
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """BASE with the dotted `path` (list indices as numbers) set to `value`."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def _load(tmp_path: Path, data: dict[str, Any] | str, suffix: str = ".json") -> sdeparse.Task:
    path = tmp_path / f"task{suffix}"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return sdeparse.load_task(path)


def test_the_base_task_loads(tmp_path: Path) -> None:
    assert _load(tmp_path, BASE).aspect_names == ("food", "price")


@pytest.mark.parametrize(
    ("text", "suffix"),
    [
        ("[" * 100_000, ".json"),
        ('{"a":' * 100_000, ".json"),
        ("x = " + "[" * 100_000, ".toml"),
        ("".join(f"[{'a.' * i}b]\n" for i in range(1, 40)) + "[" + "t." * 5000 + "x]\n",
         ".toml"),
        ('{"name": "t", "n": ' + "9" * 5000 + "}", ".json"),
        ("name = 't'\nn = " + "9" * 5000 + "\n", ".toml"),
    ],
    ids=["json-arrays", "json-objects", "toml-arrays", "toml-tables", "json-int", "toml-int"],
)
def test_unreadable_files_are_task_errors(tmp_path: Path, text: str, suffix: str) -> None:
    with pytest.raises(TaskError) as info:
        _load(tmp_path, text, suffix)
    assert str(tmp_path) in str(info.value)


SIZE = 3
PERFECT = [[1.0 if i == j else 0.5 for j in range(SIZE)] for i in range(SIZE)]


@pytest.mark.parametrize(
    ("row", "column", "weight"),
    [(0, 1, float("nan")), (0, 1, float("inf")), (1, 0, -0.5), (2, 0, 1e308 * 10), (1, 2, 7.0),
     (1, 1, 0.0), (0, 0, 0.5)],
)
def test_kappa_weights_are_agreements(tmp_path: Path, row: int, column: int, weight: float) -> None:
    weights = copy.deepcopy(PERFECT)
    weights[row][column] = weight
    data = {**BASE, "kappa_weights": weights}
    text = json.dumps(data)  # writes NaN / Infinity, which Python's reader accepts
    with pytest.raises(TaskError, match="kappa_weights"):
        _load(tmp_path, text)


def test_valid_weights_give_kappa_one_for_perfect_predictions(tmp_path: Path) -> None:
    task = _load(tmp_path, {**BASE, "kappa_weights": PERFECT})
    records = [
        {"target": "food: good, price: bad.", "prediction": "food: good, price: bad."},
        {"target": "food: bad, price: none.", "prediction": "food: bad, price: none."},
    ]
    report = sdeparse.evaluate(records, task, "natural")
    assert report.to_dict()["kappa"]["all"] == 1.0


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("aspects.0.name", "food: taste", "aspects[0].name"),
        ("aspects.0.name", "food, taste", "aspects[0].name"),
        ("aspects.0.name", "food.", "aspects[0].name"),
        ("aspects.0.name", " food", "aspects[0].name"),
        ("aspects.0.name", "food\nx", "aspects[0].name"),
        ("aspects.0.name", "食品：味道", "aspects[0].name"),
        ("aspects.0.keywords", ["  "], "aspects[0].keywords"),
        ("aspects.0.keywords", [" food"], "aspects[0].keywords"),
        ("aspects.0.keywords", ["fo:od"], "aspects[0].keywords[0]"),
        ("labels.0.name", "good, really", "labels[0].name"),
        ("labels.0.name", "good ", "labels[0].name"),
        ("labels.1.name", "1", "labels[1].name"),
        ("labels.0", {"name": "good", "code": 1, "synonyms": ["ok:"]}, "labels[0].synonyms[0]"),
        ("punctuation.pair_separator", ": ", "punctuation.pair_separator"),
        ("punctuation.terminator", ":", "punctuation.terminator"),
        ("punctuation.key_value", " is ", "punctuation.key_value"),
        ("punctuation.pair_separator", " and ", "punctuation.pair_separator"),
        ("punctuation.key_value", "1", "punctuation.key_value"),
    ],
)
def test_spellings_that_would_misread(tmp_path: Path, path: str, value: Any, field: str) -> None:
    with pytest.raises(TaskError) as info:
        _load(tmp_path, _with(path, value))
    message = str(info.value)
    assert field in message and str(tmp_path) in message


def test_nested_repetition_is_fast_with_the_regex_package(tmp_path: Path) -> None:
    """(a+)+ took 0.75 s on 24 characters with the standard library's re; the regex package
    matches it at once, so such a pattern is accepted."""
    for pattern in ("^(a+)+$", "^(\\w+\\s?)*$"):
        task = _load(tmp_path, {**BASE, "template_pattern": pattern})
        start = time.monotonic()
        assert not task.is_template("a" * 24 + "!")
        sdeparse.parse("food: good, " + "a" * 5000 + "!: bad.", task, "natural")
        assert time.monotonic() - start < 2


def test_a_catastrophic_template_pattern_is_refused(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(TaskError, match="template_pattern"):
        _load(tmp_path, {**BASE, "template_pattern": "^(a|aa)+$"})
    assert time.monotonic() - start < 2


def test_a_slow_template_on_one_text_does_not_hang_parsing(tmp_path: Path) -> None:
    """A pattern that passes the load-time probes but is slow on some output times out
    there: that text is not read as the template, and parsing goes on."""
    task = _load(tmp_path, {**BASE, "template_pattern": "^(x|xx)+y$"})
    start = time.monotonic()
    result = sdeparse.parse("food: good, " + "x" * 60 + ": bad.", task, "natural")
    assert time.monotonic() - start < 5
    assert result.labels["food"] == "good"


def test_invalid_template_pattern(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="template_pattern"):
        _load(tmp_path, {**BASE, "template_pattern": "(unclosed"})
