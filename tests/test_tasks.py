"""Custom tasks from TOML and JSON files, and the errors bad task files give."""

from __future__ import annotations

import json

import pytest

import sdeparse
from sdeparse import Design, TaskError
from sdeparse.task import AspectHow

EVENT = {
    "name": "event-types",
    "placeholder": "none",
    "punctuation": {"key_value": "=", "pair_separator": " | ", "terminator": ""},
    "json_keys": {"aspect": "slot", "label": "type", "description": "why"},
    "aspects": [
        {"name": "trigger", "keywords": ["trig"]},
        {"name": "victim", "aliases": ["target"]},
        {"name": "place"},
    ],
    "labels": [
        {"name": "attack", "code": 1, "synonyms": ["assault"]},
        {"name": "transport", "code": 2},
        {"name": "none", "code": 0},
    ],
}

EVENT_TOML = """
name = "event-types"
placeholder = "none"
[punctuation]
key_value = "="
pair_separator = " | "
terminator = ""
[json_keys]
aspect = "slot"
label = "type"
description = "why"
[[aspects]]
name = "trigger"
keywords = ["trig"]
[[aspects]]
name = "victim"
aliases = ["target"]
[[aspects]]
name = "place"
[[labels]]
name = "attack"
code = 1
synonyms = ["assault"]
[[labels]]
name = "transport"
code = 2
[[labels]]
name = "none"
code = 0
"""


@pytest.fixture(params=["toml", "json"])
def event_task(request, tmp_path):
    path = tmp_path / f"event.{request.param}"
    text = EVENT_TOML if request.param == "toml" else json.dumps(EVENT)
    path.write_text(text, encoding="utf-8")
    return sdeparse.load_task(str(path))


def test_custom_task_loads(event_task):
    assert event_task.aspect_names == ("trigger", "victim", "place")
    assert event_task.punctuation.key_value == "="
    assert event_task.json_keys.label == "type"
    assert event_task.placeholder == "none"


@pytest.mark.parametrize("design", Design.all(), ids=str)
def test_custom_task_round_trips(event_task, design):
    labels = {"trigger": "attack", "victim": "none", "place": "transport"}
    text = sdeparse.render(labels, event_task, design, {"trigger": 'a "quoted" why'})
    result = sdeparse.parse(text, event_task, design)
    assert result.labels == labels and result.diagnostics == []
    slow_labels, _, slow_diags = sdeparse.diagnose(text, event_task, design)
    assert slow_labels == labels and slow_diags == []


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("trigger=assault | victim = none | place=transport", {"label_synonym", "punctuation"}),
        ("trigger=attack | target=none | place=transport", {"aspect_alias"}),
        ("trigger=attack\nvictim=none\nplace=transport", {"format_mismatch"}),
        ("trigger=attack | victim=none | place=trans", {"truncated"}),
    ],
)
def test_custom_punctuation_is_read_by_the_full_parser(event_task, text, codes):
    """The task's own = and | work as colon and separator off the fast path too."""
    result = sdeparse.parse(text, event_task, "natural")
    assert set(result.codes) == codes
    assert result.labels["trigger"] == "attack" and result.labels["victim"] == "none"


def _write(tmp_path, data, suffix=".json"):
    path = tmp_path / f"task{suffix}"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _without(key):
    return {k: v for k, v in EVENT.items() if k != key}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (_without("aspects"), "aspects"),
        (_without("labels"), "labels"),
        (_without("placeholder"), "placeholder"),
        ({**EVENT, "aspects": []}, "aspects"),
        ({**EVENT, "aspects": [{"name": "a"}, {"name": "a"}]}, "aspects"),
        ({**EVENT, "aspects": [{"keywords": ["x"]}]}, "aspects[0].name"),
        ({**EVENT, "labels": EVENT["labels"] + [{"name": "attack", "code": 9}]}, "labels"),
        ({**EVENT, "labels": [{"name": "a", "code": "x"}, {"name": "b", "code": 2}]}, "code"),
        ({**EVENT, "placeholder": "nothing"}, "placeholder"),
        ({**EVENT, "kappa_weights": [[1.0, 0.0], [0.0, 1.0]]}, "kappa_weights"),
        ({**EVENT, "template_pattern": "(unclosed"}, "template_pattern"),
        ({**EVENT, "json_keys": {"aspect": "x", "label": "x", "description": "y"}}, "json_keys"),
        ({**EVENT, "punctuation": {"key_value": " "}}, "punctuation.key_value"),
    ],
)
def test_bad_task_names_file_and_field(tmp_path, data, field):
    path = _write(tmp_path, data)
    with pytest.raises(TaskError) as info:
        sdeparse.load_task(str(path))
    assert str(path) in str(info.value)
    assert field in str(info.value)


@pytest.mark.parametrize(
    ("suffix", "raw", "needle"),
    [
        (".toml", b'name = "x\n[[aspects]', "TOML"),
        (".json", b'{"name": "x",', "JSON"),
        (".toml", b"name = '\xff\xfe'", "UTF-8"),
        (".json", b"[1, 2]", "top level"),
    ],
)
def test_unreadable_task_files(tmp_path, suffix, raw, needle):
    path = tmp_path / f"bad{suffix}"
    path.write_bytes(raw)
    with pytest.raises(TaskError) as info:
        sdeparse.load_task(path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_unknown_task_name_lists_builtins():
    with pytest.raises(TaskError) as info:
        sdeparse.load_task("masa-d3")
    for name in sdeparse.BUILTIN_TASKS:
        assert name in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(TaskError) as info:
        sdeparse.load_task(tmp_path / "nope.toml")
    assert "nope.toml" in str(info.value)


@pytest.mark.parametrize("name", sdeparse.BUILTIN_TASKS)
def test_builtin_tasks_are_consistent(name):
    task = sdeparse.load_task(name)
    assert task.placeholder in task.label_names
    for aspect in task.aspects:
        assert task.resolve_aspect(aspect.name).how == AspectHow.EXACT
        for alias in aspect.aliases:
            assert task.resolve_aspect(alias).aspects == (aspect.name,)
    for label in task.labels:
        assert task.resolve_label(label.name, False).label == label.name
        assert task.resolve_label(str(label.code), True).label == label.name
        for synonym in label.synonyms:
            assert task.resolve_label(synonym, False).label == label.name


ARROW_TASK = """
name = "events"
placeholder = "none"
[punctuation]
key_value = " -> "
pair_separator = "; "
terminator = ""
[[aspects]]
name = "attack"
keywords = ["attack"]
[[aspects]]
name = "e-mail"
keywords = ["mail"]
[[labels]]
name = "yes"
code = 1
[[labels]]
name = "none"
code = 0
"""


@pytest.mark.parametrize(
    ("text", "labels", "codes"),
    [
        ("attack -> yes; e-mail -> yes", {"attack": "yes", "e-mail": "yes"}, []),
        ("attack->yes; e-mail -> yes", {"attack": "yes", "e-mail": "yes"}, ["punctuation"]),
        ("attack : yes; e-mail -> yes", {"attack": "yes", "e-mail": "yes"}, ["punctuation"]),
        ("attack -> yes;; e-mail -> none", {"attack": "yes", "e-mail": "none"}, ["empty_item"]),
        ("attack -> yes; e-mail", {"attack": "yes", "e-mail": "none"}, ["truncated"]),
    ],
)
def test_a_colon_of_several_characters_is_read_by_the_full_parser(tmp_path, text, labels, codes):
    path = tmp_path / "events.toml"
    path.write_text(ARROW_TASK, encoding="utf-8")
    task = sdeparse.load_task(path)
    result = sdeparse.parse(text, task, "natural")
    assert result.labels == labels
    assert [d.code for d in result.diagnostics] == codes
    full_labels, _, full_diagnostics = sdeparse.diagnose(text, task, Design.parse("natural"))
    assert full_labels == labels
    assert [d.code for d in full_diagnostics] == codes
