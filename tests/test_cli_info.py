"""The discovery commands: ``tasks``, ``codes`` and ``render`` (canonical targets)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sdeparse
from sdeparse import ALL_CODES


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sdeparse", *args], input=stdin, capture_output=True, timeout=120
    )


def test_tasks_lists_every_builtin_task() -> None:
    p = run("tasks", "--json")
    assert p.returncode == 0, p.stderr
    names = [t["name"] for t in json.loads(p.stdout)]
    assert names == list(sdeparse.BUILTIN_TASKS + sdeparse.BUILTIN_EXTRACTION_TASKS)
    text = run("tasks").stdout.decode()
    assert all(name in text for name in names)


def test_tasks_shows_one_tasks_slots_and_labels() -> None:
    p = run("tasks", "restaurant-en", "--json")
    data = json.loads(p.stdout)
    aspects = sdeparse.load_task("restaurant-en").aspect_names
    assert [a["name"] for a in data["aspects"]] == list(aspects)
    assert {lab["name"]: lab["code"] for lab in data["labels"]}["negative"] == -1
    text = run("tasks", "masa-d1").stdout.decode()
    assert "食品评价" in text and "未提及  (placeholder)" in text
    extraction = json.loads(run("tasks", "maven-ed", "--json").stdout)
    assert extraction["types"][0] == {"name": "Catastrophe", "code": 0, "aliases": []}


def test_tasks_unknown_name_is_a_usage_error() -> None:
    p = run("tasks", "no-such-task")
    assert p.returncode == 2 and b"unknown task" in p.stderr


def test_codes_lists_every_code() -> None:
    rows = json.loads(run("codes", "--json").stdout)
    assert [r["code"] for r in rows] == [c.value for c in ALL_CODES]
    assert all(r["severity"] in ("info", "warning", "error") and r["summary"] for r in rows)
    text = run("codes").stdout.decode()
    assert all(code.value in text for code in ALL_CODES)


def test_render_writes_targets_that_parse_back(tmp_path: Path) -> None:
    labels = [{"food": "positive", "price": "negative"}, {"service": "neutral"}]
    data = tmp_path / "labels.jsonl"
    data.write_text("".join(json.dumps({"labels": x}) + "\n" for x in labels) + "oops\n")
    for design in ("natural", "lines+numeric", "json", "cot"):
        p = run("render", str(data), "--task", "restaurant-en", "--design", design)
        assert p.returncode == 0, p.stderr
        rows = [json.loads(line) for line in p.stdout.splitlines()]
        assert len(rows) == 3 and rows[2]["input_error"]["kind"] == "invalid_json"
        for row, wanted in zip(rows[:2], labels, strict=True):
            result = sdeparse.parse(row["target"], "restaurant-en", design)
            assert not result.diagnostics
            assert {k: v for k, v in result.labels.items() if v != "unmentioned"} == wanted


def test_render_extraction_and_bad_labels(tmp_path: Path) -> None:
    data = tmp_path / "pairs.jsonl"
    data.write_text(
        json.dumps({"labels": [["Motion", "flew"]]}) + "\n"
        + json.dumps({"labels": {"food": "yummy"}}) + "\n"
    )
    p = run("render", str(data), "--task", "maven-ed", "--design", "tuples")
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert rows[0]["target"] == '["Motion", "flew"]'
    assert rows[1]["input_error"]["kind"] == "cannot_render"
    out = tmp_path / "out.jsonl"
    p = run("render", str(data), "--task", "maven-ed", "--design", "tuples", "-o", str(out))
    assert p.returncode == 0 and len(out.read_text().splitlines()) == 2
