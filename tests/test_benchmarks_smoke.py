"""The benchmark harness runs end to end on a tiny corpus (no timing is asserted)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("sdeparse.testing")
    spec = importlib.util.spec_from_file_location("sdeparse_bench_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_quick_run_writes_results(bench, tmp_path, capsys):
    out = tmp_path / "latest.json"
    status = bench.main(
        [
            "--quick",
            "--skip-eval",
            "--designs",
            "natural,lines+omit,json,rcot+numeric",
            "--n",
            "40",
            "--adv-sizes",
            "300,3000",
            "--out",
            str(out),
        ]
    )
    assert status == 0
    printed = capsys.readouterr().out
    assert "machine:" in printed and "HEADLINE" in printed and "TARGETS" in printed
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["designs"]) == {"natural", "lines+omit", "json", "rcot+numeric"}
    json_parse = results["designs"]["json"]["parse"]
    assert set(json_parse["corpora"]) == {"0%", "10%", "100%", "broken"}
    assert json_parse["corpora"]["broken"]["corrupted"] == json_parse["corpora"]["broken"]["n"]
    for per in results["designs"].values():
        assert per["parse"]["parsers"]["sdeparse"]["0%"]["n"] == 40
        cases = per["adversarial"]
        assert set(cases) == {"unclosed_brackets", "repeated_separators", "giant_item"}
    assert all(isinstance(t["pass"], bool) for t in results["targets"])


def test_adversarial_texts_have_the_requested_size(bench):
    import corpus  # put on sys.path by run.py

    from sdeparse import Design, load_task

    task = load_task("masa-d1")
    for design in Design.all():
        for case in corpus.ADVERSARIAL_CASES:
            text = corpus.adversarial_text(task, design, case, 10_000)
            assert 9_000 <= len(text.encode()) <= 10_100, (design.name, case)


def test_baselines_read_canonical_output(bench):
    import baselines  # put on sys.path by run.py

    from sdeparse import Design, load_task, render

    task = load_task("masa-d1")
    labels = dict(
        zip(task.aspect_names, ["正面", "中性", "负面", "未提及", "正面", "中性"], strict=True)
    )
    for design in Design.all():
        text = render(labels, task, design)
        expected = {
            a: v for a, v in labels.items() if not (design.omit_unmentioned and v == "未提及")
        }
        assert baselines.naive(task, design)(text) == expected, design.name


def test_missing_eval_cli_is_a_clear_message(bench, monkeypatch, capsys):
    monkeypatch.setattr(bench, "eval_cli_available", lambda: "`sdeparse eval` is not available")
    with pytest.raises(SystemExit) as exc:
        bench.main(["--quick", "--designs", "lines", "--skip-parse", "--skip-adversarial"])
    assert exc.value.code == 2
    assert "--skip-eval" in capsys.readouterr().err
