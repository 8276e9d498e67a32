"""The sdeparse command end to end, through `python -m sdeparse` in a subprocess."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sdeparse.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
THREE = str(FIXTURES / "three.jsonl")
WEIGHTED = "masa-d1"  # the built-in task carries the paper's kappa weights
EXAMPLE = str(Path(__file__).parent.parent / "examples" / "generations.jsonl")


def run(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "sdeparse", *args],
        input=stdin,
        capture_output=True,
        timeout=120,
    )


def test_eval_json_figures():
    p = run("eval", THREE, "--task", WEIGHTED, "--design", "lines", "--json")
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)["reports"][0]
    assert d["n"] == 3 and d["format_errors"] == 1 and d["format_error_rate"] == 1 / 3
    assert d["accuracy"]["all"] == 17 / 18 and d["accuracy"]["sentence"] == 2 / 3
    assert d["kappa"]["all"] == 503 / 578 and d["kappa"]["by_aspect"]["食品评价"] == 61 / 111
    assert d["confusion"]["all"] == [[2, 0, 0, 0], [0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 0, 13]]
    assert d["codes"] == {"label_synonym": 1}
    assert d["gold_errors"] == 0 and d["input_errors"] == 0
    for key in (
        "n",
        "format_errors",
        "format_error_rate",
        "codes",
        "accuracy",
        "kappa",
        "confusion",
        "gold_errors",
        "input_errors",
    ):
        assert key in d
    assert p.stderr == b""  # no progress bar when stderr is not a terminal


def test_eval_paper_profile_and_several_files():
    p = run(
        "eval",
        THREE,
        EXAMPLE,
        "--task",
        WEIGHTED,
        "--design",
        "lines",
        "--profile",
        "paper",
        "--json",
    )
    assert p.returncode == 0, p.stderr
    data = json.loads(p.stdout)["reports"]
    assert isinstance(data, list) and [d["file"] for d in data] == [THREE, EXAMPLE]
    assert data[0]["format_errors"] == 0 and data[0]["profile"] == "paper"


def test_eval_text_report():
    p = run("eval", EXAMPLE, "--task", "masa-d1", "--design", "lines")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode("utf-8")
    for part in ("wrong format", "weighted kappa", "Confusion matrix", "format_mismatch", "正面"):
        assert part in out
    p = run("eval", THREE, EXAMPLE, "--task", "masa-d1", "--design", "lines")
    out = p.stdout.decode("utf-8")
    assert out.index("three.jsonl") < out.index("generations.jsonl")
    assert "wrong format" in out.splitlines()[2]  # the summary table's header


def test_eval_stdin_and_field_names():
    recs = [json.loads(line) for line in Path(THREE).read_text(encoding="utf-8").splitlines()]
    data = "\n".join(
        json.dumps({"out": r["prediction"], "gold": r["target"]}, ensure_ascii=False) for r in recs
    ).encode("utf-8")
    p = run(
        "eval",
        "-",
        "--task",
        WEIGHTED,
        "--design",
        "lines",
        "--json",
        "--prediction-field",
        "out",
        "--target-field",
        "gold",
        stdin=data,
    )
    assert p.returncode == 0, p.stderr
    d = json.loads(p.stdout)["reports"][0]
    assert d["file"] == "<stdin>" and d["kappa"]["all"] == 503 / 578


def test_jobs_same_output():
    base = ("eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", "--json")
    one, two = run(*base), run(*base, "--jobs", "2")
    assert one.returncode == two.returncode == 0
    # the reports are identical; the metadata differs only in the time
    assert json.loads(one.stdout)["reports"] == json.loads(two.stdout)["reports"]


def test_bad_input_lines_reported_or_fatal(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = Path(THREE).read_bytes()
    path.write_bytes(good + b"{broken\n\n" + b'{"target": "x"}\n' + b"\xff\n" + good)
    p = run("eval", str(path), "--task", WEIGHTED, "--design", "lines", "--json")
    assert p.returncode == 0
    d = json.loads(p.stdout)["reports"][0]
    assert d["input_errors"] == 4 and d["n"] == 6
    assert [s["line"] for s in d["input_error_samples"]] == [4, 5, 6, 7]
    assert d["input_error_kinds"] == {
        "blank_line": 1,
        "invalid_json": 1,
        "invalid_utf8": 1,
        "missing_field": 1,
    }
    text = run("eval", str(path), "--task", WEIGHTED, "--design", "lines").stdout.decode()
    assert "Input errors: 4" in text and "line 7: not valid UTF-8" in text
    p = run("eval", str(path), "--task", WEIGHTED, "--design", "lines", "--strict-input")
    assert p.returncode == 1
    assert b":4: not valid JSON" in p.stderr and p.stdout == b""


def test_usage_errors_exit_2():
    cases = [
        ("eval", "/no/such/file.jsonl", "--task", "masa-d1", "--design", "lines"),
        ("eval", THREE, "--task", "masa-d9", "--design", "lines"),
        ("eval", THREE, "--task", "masa-d1", "--design", "yaml"),
        ("eval", THREE, "--task", "masa-d1", "--design", "lines", "--profile", "lax"),
        ("eval", THREE, "--task", "masa-d1", "--design", "lines", "--jobs", "0"),
        ("eval", THREE, "/no/such/file.jsonl", "--task", "masa-d1", "--design", "lines"),
        ("parse", "/no/such/file.jsonl", "--task", "masa-d1", "--design", "lines"),
    ]
    for args in cases:
        p = run(*args)
        assert p.returncode == 2, args
        assert p.stdout == b""
        assert len(p.stderr.decode().splitlines()) == 1, p.stderr  # a one-line error
        assert p.stderr.startswith(b"sdeparse: error: ")
    assert b"no such file" in run(*cases[0]).stderr
    assert run("eval", THREE, "--design", "lines").returncode == 2  # argparse usage error


def test_parse_writes_one_line_per_input_line(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(
        Path(THREE).read_bytes()
        + b"not json\n"
        + b'{"prompt": "\\ud800", "prediction": "\\udc00\\u98df"}\n'
        + b'{"prediction": null}\n'
    )
    p = run("parse", str(path), "--task", "masa-d1", "--design", "lines")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode("utf-8").splitlines()  # valid UTF-8 throughout
    out = [json.loads(line) for line in lines]
    assert len(out) == 6
    assert out[0]["parsed"]["labels"]["食品评价"] == "正面" and out[0]["prompt"] == "菜很好吃。"
    assert out[2]["parsed"]["diagnostics"][0]["code"] == "label_synonym"
    assert out[3]["input_error"]["line"] == 4 and out[3]["raw"] == "not json"
    assert out[4]["prompt"] == "\ud800" and "parsed" in out[4]
    assert out[5]["input_error"]["kind"] == "not_a_string" and out[5]["prediction"] is None
    target = tmp_path / "out.jsonl"
    p = run(
        "parse",
        str(path),
        "--task",
        "masa-d1",
        "--design",
        "lines",
        "-o",
        str(target),
        "--jobs",
        "2",
    )
    assert p.returncode == 0 and target.read_text(encoding="utf-8").splitlines() == lines
    p = run("parse", str(path), "--task", "masa-d1", "--design", "lines", "--strict-input")
    assert p.returncode == 1 and b":4:" in p.stderr


def test_main_in_process(capsys):
    assert main(["eval", THREE, "--task", WEIGHTED, "--design", "lines", "--json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["reports"][0]["kappa"]["all"] == 503 / 578
    assert main(["eval", THREE, "--task", "nope", "--design", "lines"]) == 2
    assert capsys.readouterr().err.startswith("sdeparse: error: ")


@pytest.mark.parametrize("args", [["--help"], ["eval", "--help"], ["--version"]])
def test_help(args):
    assert run(*args).returncode == 0


def test_each_file_may_carry_its_own_design(tmp_path):
    # the same three records rendered as Natural: one run tabulates both designs
    import sdeparse

    natural = tmp_path / "natural.jsonl"
    with open(THREE, encoding="utf-8") as source, open(natural, "w", encoding="utf-8") as out:
        for line in source:
            record = json.loads(line)
            for field in ("target", "prediction"):
                labels = sdeparse.parse(record[field], "masa-d1", "lines").labels
                record[field] = sdeparse.render(labels, "masa-d1", "natural")
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    p = run("eval", f"{THREE}::lines", f"{natural}::natural", "--task", WEIGHTED, "--json")
    assert p.returncode == 0, p.stderr
    lines_report, natural_report = json.loads(p.stdout)["reports"]
    assert lines_report["design"] == "lines" and natural_report["design"] == "natural"
    assert lines_report["format_errors"] == 1 and natural_report["format_errors"] == 0
    assert natural_report["kappa"]["all"] == lines_report["kappa"]["all"] == 503 / 578
    missing = run("eval", THREE, "--task", WEIGHTED)
    assert missing.returncode == 2 and b"no design" in missing.stderr
