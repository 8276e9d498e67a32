"""Bootstrap intervals (`sdeparse.compare`, `eval --bootstrap`): known cases, a slow reference
implementation, and the numpy and pure-Python engines against each other."""

from __future__ import annotations

import csv
import io
import json
import statistics
from fractions import Fraction
from pathlib import Path

import pytest

from sdeparse import parse, render
from sdeparse.cli import main
from sdeparse.compare import (
    Engine,
    RecordScores,
    _numpy,
    _numpy_indices,
    compare,
    resample_indices,
)
from sdeparse.evaluation import evaluate_file
from sdeparse.scoring.classification import ClassificationScorer
from sdeparse.scoring.extraction import ExtractionScorer, TypeCounts, f1
from sdeparse.task import load_task

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "generations.jsonl"
MAVEN = ROOT / "examples" / "maven_generations.jsonl"
TASK = "masa-d1"
SHIFT = {"正面": "负面", "负面": "中性", "中性": "未提及", "未提及": "正面"}


def records(path: Path = EXAMPLE) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return str(path)


def run(paths, task=TASK, design="lines", align_field=""):
    out = []
    for path in paths:
        scores = RecordScores()
        report = evaluate_file(path, task, design, per_record=scores, align_field=align_field)
        out.append((str(path), report, scores))
    return out


@pytest.fixture(scope="module")
def perfect(tmp_path_factory) -> str:
    rows = records()
    return write(tmp_path_factory.mktemp("cmp") / "perfect.jsonl",
                 [{**r, "prediction": r["target"]} for r in rows])


@pytest.fixture(scope="module")
def all_wrong(tmp_path_factory) -> str:
    """Every slot of every record wrong, in canonical form (no format error)."""
    rows = []
    for r in records():
        gold = parse(r["target"], TASK, "lines").labels
        rows.append({**r, "prediction": render({a: SHIFT[v] for a, v in gold.items()},
                                               TASK, "lines")})
    return write(tmp_path_factory.mktemp("cmp") / "wrong.jsonl", rows)


# ---- the index generator -----------------------------------------------------------------------
@pytest.mark.skipif(_numpy() is None, reason="numpy not installed")
@pytest.mark.parametrize(("seed", "resample", "n"), [(0, 0, 1), (0, 3, 50), (7, 999, 1234),
                                                     (2**64 - 1, 5, 17), (12345, 0, 100_003)])
def test_numpy_indices_are_the_reference_generator(seed, resample, n):
    np = _numpy()
    assert _numpy_indices(np, seed, resample, n).tolist() == resample_indices(seed, resample, n)


def test_indices_are_in_range_and_look_uniform():
    counts = [0] * 10
    for b in range(200):
        for i in resample_indices(3, b, 10):
            counts[i] += 1
    assert sum(counts) == 2000 and all(150 < c < 250 for c in counts)
    assert resample_indices(0, 0, 50) != resample_indices(1, 0, 50)
    assert resample_indices(0, 0, 50) != resample_indices(0, 1, 50)


# ---- known cases -------------------------------------------------------------------------------
def test_identical_files_differ_by_exactly_zero(tmp_path):
    shuffled = write(tmp_path / "shuffled.jsonl", records()[::-1])
    result = compare(run([EXAMPLE, shuffled]), resamples=200)
    (diff,) = result.differences
    assert diff.aligned and diff.paired == 50
    assert set(diff.scores) == {"kappa", "accuracy", "sentence_accuracy", "format_error_rate"}
    for interval in diff.scores.values():
        assert (interval.estimate, interval.low, interval.high) == (0, 0, 0)
        assert interval.defined == 200


def test_better_on_every_record_gives_an_interval_above_zero(perfect, all_wrong):
    result = compare(run([perfect, all_wrong]), resamples=300, seed=4)
    (diff,) = result.differences
    assert diff.scores["accuracy"].low == diff.scores["accuracy"].high == 1.0
    assert diff.scores["sentence_accuracy"].low == 1.0
    assert diff.scores["kappa"].low > 0 and diff.scores["kappa"].excludes_zero
    assert diff.scores["format_error_rate"].estimate == 0


def test_estimates_are_the_reports_figures(perfect):
    runs = run([EXAMPLE, perfect])
    result = compare(runs, resamples=20)
    for (_, report, _), intervals in zip(runs, result.files, strict=True):
        assert intervals.n == report.n
        assert intervals.scores["kappa"].estimate == report.kappa
        assert intervals.scores["accuracy"].estimate == report.accuracy
        assert intervals.scores["sentence_accuracy"].estimate == report.sentence_accuracy
        assert intervals.scores["format_error_rate"].estimate == report.format_error_rate
    diff = result.differences[0].scores["kappa"]
    assert diff.estimate == pytest.approx(runs[0][1].kappa - runs[1][1].kappa)
    iv = result.files[0].scores["kappa"]
    assert iv.low < iv.estimate < iv.high


def test_same_seed_same_intervals_other_seed_others(perfect):
    runs = run([EXAMPLE, perfect])
    a = compare(runs, resamples=100, seed=1).to_dict()
    assert a == compare(runs, resamples=100, seed=1).to_dict()
    assert a["files"] != compare(runs, resamples=100, seed=2).to_dict()["files"]


# ---- alignment ---------------------------------------------------------------------------------
def test_files_of_other_inputs_get_per_file_intervals_only(tmp_path):
    other = write(tmp_path / "other.jsonl",
                  [{**r, "prompt": r["prompt"] + " (another)"} for r in records()])
    result = compare(run([EXAMPLE, other]), resamples=50)
    (diff,) = result.differences
    assert not diff.aligned and diff.scores == {} and "same inputs" in diff.reason
    assert [f.n for f in result.files] == [50, 50]
    assert all(f.scores["kappa"].low is not None for f in result.files)


def test_alignment_by_id_field(tmp_path):
    rows = records()
    a = write(tmp_path / "a.jsonl", [{**r, "id": i} for i, r in enumerate(rows)])
    # other prompts (say, another design's instructions), the same ids, in another order
    b = write(tmp_path / "b.jsonl", [{**r, "id": i, "prompt": "x"} for i, r in
                                     reversed(list(enumerate(rows)))])
    by_text = compare(run([a, b]), resamples=20)
    assert not by_text.differences[0].aligned
    by_id = compare(run([a, b], align_field="id"), resamples=20)
    assert by_id.differences[0].paired == 50
    assert by_id.differences[0].scores["kappa"].high == 0


def test_repeated_inputs_pair_occurrence_by_occurrence(tmp_path):
    rows = records()[:10]
    rows = rows + rows  # every prompt twice
    a = write(tmp_path / "a.jsonl", rows)
    b = write(tmp_path / "b.jsonl", rows[:15])
    (diff,) = compare(run([a, b]), resamples=20).differences
    assert diff.paired == 15 and (diff.n_a, diff.n_b) == (20, 15)


def test_records_without_key_are_not_paired(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "prompt"} for r in records()]
    a = write(tmp_path / "a.jsonl", rows)
    (diff,) = compare(run([a, a]), resamples=20).differences
    assert not diff.aligned and "no alignment key" in diff.reason


# ---- the engines and a slow reference ----------------------------------------------------------
@pytest.mark.skipif(_numpy() is None, reason="numpy not installed")
@pytest.mark.parametrize("seed", [0, 11])
def test_numpy_and_python_engines_give_the_same_intervals(perfect, all_wrong, seed):
    runs = run([EXAMPLE, perfect, all_wrong])
    fast = compare(runs, resamples=150, seed=seed, engine=Engine.NUMPY)
    slow = compare(runs, resamples=150, seed=seed, engine=Engine.PYTHON)
    assert fast.engine == "numpy" and slow.engine == "python"
    assert fast.to_dict() | {"engine": ""} == slow.to_dict() | {"engine": ""}


@pytest.mark.skipif(_numpy() is None, reason="numpy not installed")
def test_engines_agree_on_an_extraction_task(tmp_path):
    rows = records(MAVEN)
    half = write(tmp_path / "half.jsonl",
                 [{**r, "prediction": r["target"]} if i % 2 else r for i, r in enumerate(rows)])
    runs = run([MAVEN, half], task="maven-ed", design="heuristic")
    fast = compare(runs, resamples=100, seed=3, engine="numpy").to_dict()
    slow = compare(runs, resamples=100, seed=3, engine="python").to_dict()
    assert fast | {"engine": ""} == slow | {"engine": ""}
    assert set(fast["differences"][0]["scores"]) == {"f1", "precision", "recall",
                                                    "format_error_rate"}


def _quantiles(values):
    """The 2.5 % and 97.5 % points, linear between order statistics (statistics' inclusive
    method), exact on Fractions."""
    cuts = statistics.quantiles(sorted(values), n=40, method="inclusive")
    return float(cuts[0]), float(cuts[-1])


def test_classification_matches_a_slow_reference(perfect):
    """Each resample rebuilt from scratch: parse every resampled record again and count it into
    a fresh ClassificationScorer; compare its exact kappa and accuracies."""
    task = load_task(TASK)
    files = [EXAMPLE, Path(perfect)]
    parsed = []
    for path in files:
        rows = records(path)
        parsed.append([(parse(r["target"], TASK, "lines").labels,
                        parse(r["prediction"], TASK, "lines")) for r in rows])
    resamples, seed = 60, 5
    result = compare(run(files), resamples=resamples, seed=seed, engine="python")
    n = len(parsed[0])

    def scores(items):
        scorer = ClassificationScorer.for_task(task)
        errors = 0
        for gold, result_ in items:
            scorer.add(gold, result_.labels)
            errors += result_.is_format_error
        return {"kappa": scorer.kappa, "accuracy": scorer.accuracy,
                "sentence_accuracy": scorer.sentence_accuracy,
                "format_error_rate": Fraction(errors, len(items))}

    samples = [[scores([p[i] for i in resample_indices(seed, b, n)]) for b in range(resamples)]
               for p in parsed]
    for k, file_intervals in enumerate(result.files):
        for name, interval in file_intervals.scores.items():
            assert (interval.low, interval.high) == _quantiles([s[name] for s in samples[k]])
    diff = result.differences[0].scores
    for name, interval in diff.items():
        values = [a[name] - b[name] for a, b in zip(samples[0], samples[1], strict=True)]
        assert (interval.low, interval.high) == _quantiles(values)


def test_extraction_matches_a_slow_reference(tmp_path):
    rows = records(MAVEN)
    task = load_task("maven-ed")
    resamples, seed = 40, 9
    result = compare(run([MAVEN], task="maven-ed", design="heuristic"), resamples=resamples,
                     seed=seed, engine="python")
    per_record = []
    for r in rows:
        gold = parse(r["target"], task, "heuristic").extractions
        mine = parse(r["prediction"], task, "heuristic", source=r["prompt"])
        scorer = ExtractionScorer.for_task(task)
        scorer.add(gold, mine.extractions, mine.unpaired)
        per_record.append(scorer.micro)
    values = []
    for b in range(resamples):
        total = TypeCounts()
        for i in resample_indices(seed, b, len(rows)):
            total += per_record[i]
        values.append(f1(total))
    interval = result.files[0].scores["f1"]
    assert (interval.low, interval.high) == _quantiles(values)


# ---- the command -------------------------------------------------------------------------------
def test_cli_differences_section_and_json(perfect, capsys):
    args = ["eval", str(EXAMPLE), perfect, "--task", TASK, "--design", "lines",
            "--bootstrap", "200", "--seed", "3"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Intervals (bootstrap" in text and "Differences (paired bootstrap" in text
    assert "aligned by the input text (field 'prompt')" in text and "50 of 50/50" in text
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["bootstrap"]
    assert data["resamples"] == 200 and data["seed"] == 3 and data["method"] == "percentile"
    (diff,) = data["differences"]
    assert diff["a"] == str(EXAMPLE) and diff["paired"] == 50
    assert diff["scores"]["sentence_accuracy"]["high"] < 0


def test_cli_table_and_html_carry_the_differences(perfect, tmp_path, capsys):
    """--table and --html show the paired differences after the main table (the same figures
    as --json), or the per-file intervals when nothing pairs."""
    pytest.importorskip("matplotlib")
    page = tmp_path / "r.html"
    args = ["eval", str(EXAMPLE), perfect, "--task", TASK, "--design", "lines",
            "--bootstrap", "200", "--seed", "3"]
    assert main([*args, "--table", "csv", "--html", str(page)]) == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    header = table.index(["a - b", "paired", "score", "difference", "low", "high", "excludes 0"])
    rows = {row[2]: row for row in table[header + 1 :] if len(row) == 7}
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["bootstrap"]["differences"][0]["scores"]
    sentence = data["sentence_accuracy"]
    assert rows["sentence_accuracy"][3:6] == [
        repr(sentence["estimate"]), repr(sentence["low"]), repr(sentence["high"])
    ]
    assert rows["sentence_accuracy"][6] == "yes"
    assert "Differences a - b (paired bootstrap" in page.read_text(encoding="utf-8")
    assert main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines", "--bootstrap",
                 "50", "--table", "markdown"]) == 0
    assert "| file | n | score | estimate | low | high | excludes 0 |" in capsys.readouterr().out


def test_cli_bootstrap_defaults(perfect, capsys):
    assert main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines", "--json"]) == 0
    assert "bootstrap" not in json.loads(capsys.readouterr().out)  # one file: none by default
    assert main(["eval", str(EXAMPLE), perfect, "--task", TASK, "--design", "lines",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["bootstrap"]["resamples"] == 1000
    assert main(["eval", str(EXAMPLE), perfect, "--task", TASK, "--design", "lines",
                 "--bootstrap", "0"]) == 0
    assert "Differences" not in capsys.readouterr().out
    assert main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines",
                 "--bootstrap", "50"]) == 0
    out = capsys.readouterr().out
    assert "Intervals (bootstrap" in out and "Differences" not in out


def test_cli_id_field_aligns_without_targets(tmp_path, capsys):
    rows = records()
    a = write(tmp_path / "a.jsonl", [{**r, "id": f"r{i}"} for i, r in enumerate(rows)])
    b = write(tmp_path / "b.jsonl", [{**r, "id": f"r{i}", "prompt": ""} for i, r in
                                     enumerate(rows)])
    assert main(["eval", a, b, "--task", TASK, "--design", "lines", "--id-field", "id",
                 "--bootstrap", "30", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["bootstrap"]
    assert data["aligned_by"] == "the id field 'id'"
    assert data["differences"][0]["paired"] == 50


@pytest.mark.parametrize("bad", [["--bootstrap", "-1"], ["--seed", "-2"]])
def test_cli_refuses_negative_values(bad, capsys):
    assert main(["eval", str(EXAMPLE), "--task", TASK, "--design", "lines", *bad]) == 2
    assert "must be 0 or more" in capsys.readouterr().err
