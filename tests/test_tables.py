"""Tables to paste (issue 13, item 2): the comparison of files as CSV, Markdown and LaTeX."""

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdeparse.cli import main
from sdeparse.evaluation import evaluate_file
from sdeparse.tables import (
    Table,
    TableFormat,
    comparison_table,
    latex_escape,
    markdown_escape,
    render_table,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "generations.jsonl")
MAVEN = str(ROOT / "examples" / "maven_generations.jsonl")
SPECIALS = "_%&#${}~^\\"


@pytest.fixture(scope="module")
def masa():
    return evaluate_file(EXAMPLE, "masa-d1", "lines", "strict")


@pytest.fixture(scope="module")
def maven():
    return evaluate_file(MAVEN, "maven-ed", "heuristic", "strict")


def test_csv_rows_are_files_with_numbers(masa):
    paper = evaluate_file(EXAMPLE, "masa-d1", "lines", "paper")
    rows = list(csv.reader(io.StringIO(render_table([masa, paper], "csv"))))
    assert rows[0] == ["file", "design", "n", "format errors", "format error rate", "accuracy",
                       "sentence accuracy", "kappa", "frequent codes"]
    assert len(rows) == 3
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["n"] == "50" and first["format errors"] == "11"
    assert float(first["format error rate"]) == pytest.approx(0.22)
    assert float(first["accuracy"]) == pytest.approx(masa.accuracy, abs=1e-6)
    assert float(first["kappa"]) == pytest.approx(masa.kappa, abs=1e-6)
    assert first["frequent codes"].startswith("punctuation 4; aspect_alias 3")


def test_extraction_columns_are_precision_recall_f1(maven):
    table = comparison_table([maven])
    assert table.header[5:8] == ("precision", "recall", "f1")
    assert table.rows[0][5:8] == ("0.9024", "0.8810", "0.8916")
    assert "\\begin{tabular}" in render_table([maven], TableFormat.LATEX)


def test_markdown_has_one_row_per_file_and_escapes_cells(masa):
    odd = masa.copy()
    odd.source = "a|b<i>.jsonl"
    text = render_table([masa, odd], "markdown")
    lines = text.splitlines()
    assert len(lines) == 4 and lines[1].startswith("|---|---|---:")
    assert "a\\|b&lt;i&gt;.jsonl" in lines[3]
    assert all(line.count(" | ") == lines[0].count(" | ") for line in lines[2:])


def test_latex_escapes_every_special_character(masa):
    odd = masa.copy()
    odd.source = "run_1 50% a&b #2 $x$ {y} ~z^ \\w.jsonl"
    text = render_table([odd], "latex")
    assert ("run\\_1 50\\% a\\&b \\#2 \\$x\\$ \\{y\\} \\textasciitilde{}z\\textasciicircum{} "
            "\\textbackslash{}w.jsonl") in text
    assert "22.00\\%" in text and "aspect\\_alias" in text


_UNESCAPE = [("\\textbackslash{}", "\\"), ("\\textasciitilde{}", "~"),
             ("\\textasciicircum{}", "^")] + [(f"\\{c}", c) for c in "&%$#_{}"]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(SPECIALS + "ab \\{}"), max_size=30))
def test_latex_escape_reads_back_and_leaves_no_bare_special(text):
    escaped = latex_escape(text)
    rest = escaped
    for sequence, _ in _UNESCAPE:
        rest = rest.replace(sequence, "")
    assert not set(rest) & set(SPECIALS)
    # undo left to right: the escapes are a prefix code
    out, i = [], 0
    while i < len(escaped):
        for sequence, char in _UNESCAPE:
            if escaped.startswith(sequence, i):
                out.append(char)
                i += len(sequence)
                break
        else:
            out.append(escaped[i])
            i += 1
    assert "".join(out) == text


def test_markdown_escape_keeps_a_cell_one_cell():
    assert markdown_escape("a|b\nc\\") == "a\\|b c\\\\"


def test_a_comparison_table_follows_in_the_same_format(masa):
    extra = Table(("pair", "difference"), (("a - b", "0.01 [0.00, 0.02]"),), "paired")
    text = render_table([masa], "csv", comparison=extra)
    assert text.endswith("\npair,difference\na - b,\"0.01 [0.00, 0.02]\"\n")
    with pytest.raises(ValueError):
        Table(("a", "b"), (("1",),))


def test_cli_table_on_stdout_and_to_a_file(tmp_path, capsys):
    two = ["eval", EXAMPLE, f"{EXAMPLE}::lines", "--task", "masa-d1", "--design", "lines",
           "--table", "markdown"]
    assert main([*two, "--bootstrap", "0"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("| file | design |") and len(out.splitlines()) == 4
    # several files: the bootstrap differences follow (1000 resamples by default)
    assert main(two) == 0
    out = capsys.readouterr().out.split("\n\n")
    assert len(out) == 2 and out[1].startswith("| a - b | paired |")
    path = tmp_path / "t.tex"
    assert main(["eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", "--table", "latex",
                 "--table-out", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reports"][0]["n"] == 50
    assert path.read_text().count("\\\\") == 2  # header and one row


@pytest.mark.parametrize("extra", [["--table-out", "x.csv"], ["--table", "csv", "--json"],
                                   ["--table", "tsv"]])
def test_cli_table_usage_errors(extra, capsys):
    assert main(["eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", *extra]) == 2
    assert "error" in capsys.readouterr().err


def test_cli_table_out_is_never_an_input(capsys):
    assert main(["eval", EXAMPLE, "--task", "masa-d1", "--design", "lines", "--table", "csv",
                 "--table-out", EXAMPLE]) == 2
    assert "is an input file" in capsys.readouterr().err
