"""Results people can use (issue 11, items 9 and 10): targets in another file, prediction-only
runs, one --json shape with metadata, every format-error line and --errors-out, the view where
a format error counts as wrong and coverage, gold and correct in `parse` output, design names
as given, float figures with exact fractions, `to_text` and a one-line repr."""

from __future__ import annotations

import json
import random
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import evaluate
from sdeparse.cli import main

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "generations.jsonl"
MAVEN_EXAMPLE = ROOT / "examples" / "maven_generations.jsonl"
RECORDS = [json.loads(line) for line in EXAMPLE.read_text(encoding="utf-8").splitlines()]
SETUP = ["--task", "masa-d1", "--design", "lines", "-q"]
TASK = sdeparse.load_task("masa-d1")


def cli(capsys, *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_jsonl(path: Path, records) -> str:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return str(path)


def split_files(tmp_path: Path, order=None) -> tuple[str, str]:
    """The example as a predictions file (with ids) and a targets file (optionally reordered)."""
    preds = [{"id": f"r{i}", "prediction": r["prediction"]} for i, r in enumerate(RECORDS)]
    targets = [{"id": f"r{i}", "target": r["target"]} for i, r in enumerate(RECORDS)]
    if order is not None:
        targets = [targets[i] for i in order]
    return write_jsonl(tmp_path / "p.jsonl", preds), write_jsonl(tmp_path / "t.jsonl", targets)


def reports(out: str) -> list[dict]:
    return json.loads(out)["reports"]


def without_volatile(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "file"}


# ---- item 9: targets from a separate file ------------------------------------------------------
def test_targets_file_joined_by_line_gives_the_inline_report(tmp_path, capsys):
    preds, targets = split_files(tmp_path)
    _, inline, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP, "--json")
    status, joined, _ = cli(capsys, "eval", preds, "--targets", targets, *SETUP, "--json")
    assert status == 0
    assert without_volatile(reports(joined)[0]) == without_volatile(reports(inline)[0])
    assert json.loads(joined)["options"]["targets"] == targets


def test_targets_file_joined_by_id_in_any_order(tmp_path, capsys):
    order = list(range(len(RECORDS)))
    random.Random(3).shuffle(order)
    preds, targets = split_files(tmp_path, order)
    _, inline, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP, "--json")
    status, joined, _ = cli(
        capsys, "eval", preds, "--targets", targets, "--id-field", "id", *SETUP, "--json"
    )
    assert status == 0
    assert without_volatile(reports(joined)[0]) == without_volatile(reports(inline)[0])
    # by line number the shuffled targets belong to other outputs: the scores differ
    _, by_line, _ = cli(capsys, "eval", preds, "--targets", targets, *SETUP, "--json")
    assert reports(by_line)[0]["accuracy"] != reports(inline)[0]["accuracy"]


def test_an_id_with_two_targets_is_never_resolved(tmp_path, capsys):
    preds, _ = split_files(tmp_path)
    targets = [{"id": f"r{i}", "target": r["target"]} for i, r in enumerate(RECORDS)]
    targets.append({"id": "r0", "target": RECORDS[1]["target"]})  # r0 again, other labels
    if RECORDS[1]["target"] == RECORDS[0]["target"]:
        pytest.skip("the example's first two targets are equal")
    path = write_jsonl(tmp_path / "t2.jsonl", targets)
    status, out, _ = cli(capsys, "eval", preds, "--targets", path, "--id-field", "id", *SETUP,
                         "--json")
    report = reports(out)[0]
    assert status == 0 and report["n"] == len(RECORDS) - 1
    assert report["input_error_samples"][0]["line"] == 1
    assert "several different targets" in report["input_error_samples"][0]["reason"]


def test_missing_targets_and_bad_options(tmp_path, capsys):
    preds, _ = split_files(tmp_path)
    short = write_jsonl(tmp_path / "short.jsonl", [{"target": RECORDS[0]["target"]}])
    status, out, _ = cli(capsys, "eval", preds, "--targets", short, *SETUP, "--json")
    report = reports(out)[0]
    assert status == 0 and report["n"] == 1 and report["input_errors"] == len(RECORDS) - 1
    assert "no target for line 2" in report["input_error_samples"][0]["reason"]
    assert cli(capsys, "eval", preds, "--id-field", "id", *SETUP)[0] == 2
    assert cli(capsys, "eval", preds, "--targets", str(tmp_path / "none.jsonl"), *SETUP)[0] == 2
    assert cli(capsys, "eval", preds, "--targets", short, "--predictions-only", *SETUP)[0] == 2


# ---- item 9: prediction-only mode --------------------------------------------------------------
def test_predictions_only_counts_format_errors_and_codes_no_scores(tmp_path, capsys):
    preds, _ = split_files(tmp_path)
    status, text, _ = cli(capsys, "eval", preds, "--predictions-only", *SETUP)
    assert status == 0
    assert "predictions only" in text and "wrong format       11  (22.00%)" in text
    assert "accuracy" not in text and "kappa" not in text and "Confusion" not in text
    status, out, _ = cli(capsys, "eval", preds, "--predictions-only", *SETUP, "--json")
    report = reports(out)[0]
    assert status == 0 and report["predictions_only"] is True
    assert report["n"] == 50 and report["format_errors"] == 11 and report["coverage"] == 0.78
    for key in ("accuracy", "kappa", "confusion", "precision", "format_error_as_wrong"):
        assert key not in report
    inline = evaluate(RECORDS, TASK, "lines")
    assert report["codes"] == inline.to_dict()["codes"]
    # the same in Python, and it reads back and merges with its own kind only
    alone = evaluate([{"prediction": r["prediction"]} for r in RECORDS], TASK, "lines",
                     predictions_only=True)
    assert alone.predictions_only and alone.n == 50 and alone.format_errors == 11
    assert sdeparse.Report.from_dict(alone.to_dict()) == alone
    with pytest.raises(ValueError):
        alone + inline


def test_without_targets_the_failure_names_the_two_ways(tmp_path, capsys):
    preds, _ = split_files(tmp_path)
    status, out, err = cli(capsys, "eval", preds, *SETUP)
    assert status == 1 and "--predictions-only" in out and "--targets" in out


# ---- item 10: --json, one shape with metadata ----------------------------------------------------
def test_json_is_one_object_with_metadata_whatever_the_number_of_files(capsys, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    _, one, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP, "--json")
    _, two, _ = cli(capsys, "eval", str(EXAMPLE), str(EXAMPLE), *SETUP, "--json")
    for out, count in ((one, 1), (two, 2)):
        data = json.loads(out)
        assert isinstance(data, dict) and len(data["reports"]) == count
        assert data["sdeparse"] == sdeparse.__version__ and data["time"] == "1970-01-01T00:00:00Z"
        assert (data["task"], data["profile"]) == ("masa-d1", "strict")
        assert data["options"]["design"] == "lines" and data["options"]["strip"] == []
    assert json.loads(one)["reports"][0] == json.loads(two)["reports"][1]


def test_json_lists_every_format_error_line(capsys):
    _, out, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP, "--json")
    report = reports(out)[0]
    expected = [
        line for line, r in enumerate(RECORDS, 1)
        if sdeparse.parse(r["prediction"], TASK, "lines").is_format_error
    ]
    assert report["format_errors"] == len(expected) > 5
    assert report["format_error_lines"] == expected


def test_errors_out_writes_each_format_error_in_full(tmp_path, capsys):
    errors = tmp_path / "errors.jsonl"
    errors.write_text("old\n")
    status, out, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP, "--json", "--errors-out",
                         str(errors))
    assert status == 0
    rows = [json.loads(line) for line in errors.read_text(encoding="utf-8").splitlines()]
    assert [row["line"] for row in rows] == reports(out)[0]["format_error_lines"]
    for row in rows:
        record = RECORDS[row["line"] - 1]
        assert row["prediction"] == record["prediction"] and row["target"] == record["target"]
        assert row["parsed"]["is_format_error"] and row["parsed"]["diagnostics"]
    # never the input itself
    assert cli(capsys, "eval", str(EXAMPLE), *SETUP, "--errors-out", str(EXAMPLE))[0] == 2


def test_errors_out_is_the_same_with_jobs(tmp_path, capsys):
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    big = write_jsonl(tmp_path / "big.jsonl", RECORDS * 50)  # several chunks
    cli(capsys, "eval", big, *SETUP, "--errors-out", str(one))
    cli(capsys, "eval", big, *SETUP, "--errors-out", str(two), "--jobs", "2")
    assert one.read_bytes() == two.read_bytes() and len(one.read_bytes().splitlines()) == 550


# ---- item 10: both views and coverage ----------------------------------------------------------
def _as_wrong_by_hand(records) -> tuple[Fraction, Fraction]:
    pairs = sentences = 0
    for r in records:
        gold = sdeparse.parse(r["target"], TASK, "lines").labels
        got = sdeparse.parse(r["prediction"], TASK, "lines")
        if got.is_format_error:
            continue
        right = sum(got.labels[a] == gold[a] for a in gold)
        pairs += right
        sentences += right == len(gold)
    return Fraction(pairs, 6 * len(records)), Fraction(sentences, len(records))


def test_the_view_where_a_format_error_counts_as_wrong(capsys):
    report = evaluate(RECORDS, TASK, "lines")
    accuracy, sentence = _as_wrong_by_hand(RECORDS)
    assert report.exact.as_wrong() == {"accuracy": accuracy, "sentence_accuracy": sentence}
    assert report.coverage == 39 / 50
    assert report.as_wrong()["accuracy"] < report.accuracy  # the repairs count for something
    _, text, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP)
    assert "coverage 78.00%" in text
    assert f"format error=wrong accuracy {float(accuracy) * 100:.2f}%" in text
    _, rows, _ = cli(capsys, "eval", str(EXAMPLE), str(EXAMPLE), *SETUP)
    assert "accuracy (error=wrong)" in rows


def test_extraction_as_wrong_moves_the_true_positives_of_format_errors(capsys):
    records = [json.loads(x) for x in MAVEN_EXAMPLE.read_text(encoding="utf-8").splitlines()]
    report = evaluate(records, "maven-ed", "heuristic")
    m = report.scorer.micro
    task = sdeparse.load_task("maven-ed")
    clean_tp = 0
    for r in records:
        got = sdeparse.parse(r["prediction"], task, "heuristic", source=r["prompt"])
        if not got.is_format_error:
            gold = sdeparse.parse(r["target"], task, "heuristic").extractions
            single = evaluate([r], "maven-ed", "heuristic")
            clean_tp += single.scorer.micro.tp
            assert len(gold) >= single.scorer.micro.tp
    lost = m.tp - clean_tp
    wrong = report.exact.as_wrong()
    assert wrong["precision"] == Fraction(clean_tp, m.tp + m.fp)
    assert wrong["recall"] == Fraction(clean_tp, m.tp + m.fn)
    assert lost > 0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 49), min_size=0, max_size=30), st.integers(0, 30))
def test_new_counts_merge_exactly(picks, cut):
    records = [RECORDS[i] for i in picks]
    whole = evaluate(records, TASK, "lines")
    cut = min(cut, len(records))
    a = evaluate(records[:cut], TASK, "lines")
    b = evaluate(records[cut:], TASK, "lines", first_line=cut + 1)
    assert (a + b).to_dict() == whole.to_dict() == (b + a).to_dict()
    assert whole.exact.as_wrong() == (a + b).exact.as_wrong()


# ---- item 10: parse carries the gold ------------------------------------------------------------
def test_parse_output_carries_gold_and_correct(tmp_path, capsys):
    out = tmp_path / "out.jsonl"
    assert cli(capsys, "parse", str(EXAMPLE), *SETUP, "-o", str(out))[0] == 0
    rows = [json.loads(x)["parsed"] for x in out.read_text(encoding="utf-8").splitlines()]
    report = evaluate(RECORDS, TASK, "lines")
    assert sum(row["correct"] for row in rows) == report.sentence_correct
    for row, record in zip(rows, RECORDS, strict=True):
        assert row["gold"] == sdeparse.parse(record["target"], TASK, "lines").labels
        assert row["correct"] == (row["labels"] == row["gold"])
    # targets from another file; a record without a target gets no gold
    preds, targets = split_files(tmp_path)
    assert cli(capsys, "parse", preds, "--targets", targets, *SETUP, "-o", str(out))[0] == 0
    joined = [json.loads(x)["parsed"] for x in out.read_text(encoding="utf-8").splitlines()]
    assert joined == rows
    assert cli(capsys, "parse", preds, *SETUP, "-o", str(out))[0] == 0
    assert all("gold" not in json.loads(x)["parsed"] for x in out.read_text().splitlines())


def test_parse_output_gold_for_extraction(capsys):
    status, out, _ = cli(capsys, "parse", str(MAVEN_EXAMPLE), "--task", "maven-ed", "--design",
                         "heuristic", "-q")
    rows = [json.loads(x) for x in out.splitlines()]
    assert status == 0 and all("correct" in r["parsed"] or "gold_error" in r["parsed"]
                               for r in rows)
    right = [r for r in rows if r["parsed"].get("correct")]
    assert right and all(sorted(r["parsed"]["extractions"]) == r["parsed"]["gold"]
                         for r in right)


# ---- item 10: paper mode names stay visible ------------------------------------------------------
def test_design_names_as_given_stay_visible(capsys):
    _, rows, _ = cli(capsys, "eval", f"{EXAMPLE}::lines-output", f"{EXAMPLE}::lines",
                     "--task", "masa-d1", "-q")
    assert "lines-output (lines)" in rows
    _, out, _ = cli(capsys, "eval", f"{EXAMPLE}::lines-output", f"{EXAMPLE}::lines",
                    "--task", "masa-d1", "-q", "--json")
    first, second = reports(out)
    assert first["design_given"] == "lines-output" and first["design"] == "lines"
    assert "design_given" not in second
    assert evaluate(RECORDS, TASK, "Lines-Output").design_given == "Lines-Output"


# ---- item 10: Report in Python ------------------------------------------------------------------
def test_report_figures_are_floats_with_exact_fractions_available(capsys):
    report = evaluate(RECORDS, TASK, "lines", source=str(EXAMPLE))
    for name in ("kappa", "accuracy", "sentence_accuracy", "format_error_rate", "coverage"):
        value, exact = getattr(report, name), getattr(report.exact, name)
        assert isinstance(value, float) and isinstance(exact, Fraction)
        assert value == float(exact)
    assert isinstance(report.aspect_kappa("食品评价"), float)
    assert isinstance(report.exact.aspect_kappa("食品评价"), Fraction)
    _, text, _ = cli(capsys, "eval", str(EXAMPLE), *SETUP)
    assert report.to_text() == text


def test_repr_is_one_short_line():
    report = evaluate(RECORDS * 20, TASK, "lines")
    text = repr(report)
    assert "\n" not in text and len(text) < 160
    assert text.startswith("<Report ") and "n=1000" in text and "kappa=0.9657" in text


# ---- the README shows what the command prints ---------------------------------------------------
def test_readme_first_output_is_what_eval_prints(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(examples/[^\n]*\n.*?)```", readme, re.S)
    _, text, _ = cli(capsys, "eval", "examples/generations.jsonl", *SETUP)
    assert blocks[0] == text
    _, text, _ = cli(capsys, "eval", "examples/maven_generations.jsonl", "--task", "maven-ed",
                     "--design", "heuristic", "-q")
    assert blocks[1] == text


def test_a_report_dict_from_before_the_view_gives_none_not_zero():
    old = evaluate(RECORDS, TASK, "lines").to_dict()
    del old["clean_hits"], old["clean_sentences"], old["format_error_as_wrong"]
    back = sdeparse.Report.from_dict(old)
    assert back.as_wrong() == {"accuracy": None, "sentence_accuracy": None}
    merged = back + evaluate(RECORDS[:3], TASK, "lines")
    assert merged.as_wrong()["accuracy"] is None  # unknown stays unknown after merging
    assert "format error=wrong accuracy n/a" in back.to_text()
    assert sdeparse.Report.from_dict(merged.to_dict()) == merged
