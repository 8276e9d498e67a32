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
            "--long-sizes",
            "300,1000,3000",
            "--long-designs",
            "natural,cot",
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
    assert "=== long outputs" in printed


def test_quick_run_has_a_long_output_row_per_case(bench, tmp_path, capsys):
    import corpus  # put on sys.path by run.py

    out = tmp_path / "latest.json"
    argv = ["--quick", "--skip-eval", "--skip-parse", "--skip-adversarial", "--designs", "json"]
    argv += ["--long-sizes", "300,1000,3000", "--long-designs", "lines,json", "--out", str(out)]
    assert bench.main(argv) == 0
    printed = capsys.readouterr().out
    long = json.loads(out.read_text(encoding="utf-8"))["long_outputs"]
    assert long["sizes"] == [300, 1000, 3000]
    assert long["profiles"] == ["strict", "paper"]
    rows = {(r["case"], r["design"], r["profile"]) for r in long["rows"]}
    assert rows == {
        (case, design, profile)
        for case in corpus.LONG_CASES
        for design in ("lines", "json")
        for profile in ("strict", "paper")
    }
    assert len(long["rows"]) == len(rows)
    for row in long["rows"]:
        assert set(row["runs"]) == {"300", "1000", "3000"}
        assert all(
            run["status"] in ("ok", "timeout", "skipped", "error", "crashed")
            for run in row["runs"].values()
        )
        assert isinstance(row["pass"], bool)
        expected = (
            {"time", "ratio", "labels"} if row["case"] == "think_preamble" else {"time", "ratio"}
        )
        assert set(row["checks"]) == expected
        small = row["runs"]["300"]
        if row["case"] in ("think_preamble", "many_pairs") and small["status"] == "ok":
            assert isinstance(small["labels_equal"], bool)
            assert small["aspects"] == 6
        if row["case"] not in ("think_preamble", "many_pairs"):
            assert "labels_equal" not in small
        assert row["pass"] == all(row["checks"].values())
    targets = json.loads(out.read_text(encoding="utf-8"))["targets"]
    long_targets = [t for t in targets if t["target"].startswith("long ")]
    assert len(long_targets) == 2 * len(long["rows"]) + 4  # time and ratio, + labels for think
    for case in corpus.LONG_CASES:
        assert f"  {case} " in printed
    assert "long outputs: 9 cases x lines, json x strict, paper" in printed
    assert "of 4 (design, profile) pairs pass" in printed


def test_skip_long_leaves_no_long_section(bench, tmp_path):
    out = tmp_path / "latest.json"
    argv = ["--quick", "--skip-eval", "--skip-parse", "--skip-adversarial", "--skip-long"]
    assert bench.main([*argv, "--designs", "natural", "--out", str(out)]) == 0
    assert "long_outputs" not in json.loads(out.read_text(encoding="utf-8"))


def test_long_texts_have_the_requested_size_and_truth(bench):
    import corpus

    from sdeparse import Design, load_task

    task = load_task("masa-d1")
    for design in Design.all():
        for case in corpus.LONG_CASES:
            long = corpus.long_text(task, design, case, 10_000)
            assert 9_000 <= len(long.text.encode()) <= 10_100, (design.name, case)
            has_truth = case in ("think_preamble", "many_pairs")
            assert (long.truth is not None) == has_truth, (design.name, case)
    think = corpus.long_text(task, Design.parse("cot"), "think_preamble", 10_000).text
    assert think.startswith("<think>") and "</think>" in think


def test_child_runs_a_gated_job_only_below_its_threshold(bench):
    import timing

    base = {"kind": "long", "design": "lines", "case": "giant_item", "parser": "sdeparse"}
    jobs = [
        {**base, "profile": "strict", "size": 300},
        {**base, "profile": "strict", "size": 600, "only_if_below": {"id": 0, "seconds": 0.0}},
        {**base, "profile": "paper", "size": 600, "only_if_below": {"id": 0, "seconds": 1e9}},
    ]
    results = timing.run_jobs(jobs, "masa-d1", 1, 1.0, 60.0, lambda message: None)
    assert results[0]["status"] == "ok" and results[0]["bytes"] >= 300
    assert results[1]["status"] == "skipped" and "not run" in results[1]["reason"]
    assert results[2]["status"] == "ok"


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


def test_extraction_recovery_runs(capsys):
    script = SCRIPT.with_name("extraction_recovery.py")
    spec = importlib.util.spec_from_file_location("sdeparse_extraction_recovery", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.main(["--per-design", "3", "--seed", "1"])
    out = capsys.readouterr().out
    assert "recoverable operators:" in out and "invented pairs: 0" in out
    assert out.count("invented pairs: 0") == 2
    assert "strict vs paper" in out and "per operator" in out
