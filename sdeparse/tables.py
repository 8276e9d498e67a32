"""Tables to paste into a paper: the multi-file comparison as CSV, Markdown or LaTeX.

One row per file (a design, a checkpoint, a seed), as the paper tabulates designs: the outputs
scored, the format-error rate, the main scores (accuracy, sentence accuracy and kappa for a
classification task; precision, recall and F1 for an extraction task) and the most frequent
codes. CSV holds numbers (shares as fractions, unrounded to six places) for a spreadsheet;
Markdown and LaTeX hold the figures as the text report prints them. Every cell is escaped for
its format, so a file name or a code cannot break the table.

A second table (e.g. the differences between designs with their confidence intervals) can be
handed in as `comparison`: it follows the first, in the same format.
"""

from __future__ import annotations

import csv
import enum
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

from .render_text import design_name, num, pct
from .scoring import ClassificationScorer, ExtractionScorer
from .scoring import extraction as span_metrics

if TYPE_CHECKING:
    from .report import Report

__all__ = ["TOP_CODES", "Table", "TableFormat", "comparison_table", "render_table"]

#: How many of the most frequent codes a row names.
TOP_CODES = 3


class TableFormat(str, enum.Enum):
    """The formats a table is written in."""

    CSV = "csv"
    MARKDOWN = "markdown"
    LATEX = "latex"


@dataclass(frozen=True)
class Table:
    """A table of text cells: a header and rows of the same width; `numbers` are the rows as
    CSV writes them (numbers unformatted), when they differ from `rows`."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str = ""
    numbers: tuple[tuple[str, ...], ...] | None = None
    #: which columns are right-aligned (figures)
    right: tuple[bool, ...] = field(default=())

    def __post_init__(self) -> None:
        width = len(self.header)
        for row in (*self.rows, *(self.numbers or ())):
            if len(row) != width:
                raise ValueError(f"a row of {len(row)} cells under a header of {width}")


def _number(value: Fraction | None) -> str:
    """A figure for CSV: a decimal number with six places, empty when undefined."""
    return "" if value is None else f"{float(value):.6f}".rstrip("0").rstrip(".") or "0"


def _scores(report: Report) -> list[tuple[str, Fraction | None, bool]]:
    """The main scores of a report: (name, value, shown as a percentage)."""
    scorer = report.scorer
    if isinstance(scorer, ClassificationScorer):
        return [
            ("accuracy", scorer.accuracy, True),
            ("sentence accuracy", scorer.sentence_accuracy, True),
            ("kappa", scorer.kappa, False),
        ]
    if isinstance(scorer, ExtractionScorer):
        m = scorer.micro
        return [
            ("precision", span_metrics.precision(m), False),
            ("recall", span_metrics.recall(m), False),
            ("f1", span_metrics.f1(m), False),
        ]
    return []


def frequent_codes(report: Report, top: int = TOP_CODES) -> list[tuple[str, int]]:
    """The `top` codes carried by most outputs (ties in the catalogue's order)."""
    codes = sorted(report.ordered_codes(), key=lambda c: -report.codes[c])
    return [(code, report.codes[code]) for code in codes[:top]]


def comparison_table(reports: Sequence[Report], top_codes: int = TOP_CODES) -> Table:
    """The comparison of several reports of one task: one row per file, in the given order.

    Score columns are those of the first report's scorer that any report has (a prediction-only
    report has none: its cells are empty)."""
    if not reports:
        raise ValueError("no reports to tabulate")
    names: list[str] = []
    for report in reports:
        for name, _, _ in _scores(report):
            if name not in names:
                names.append(name)
    header = ("file", "design", "n", "format errors", "format error rate", *names,
              "frequent codes")
    rows, numbers = [], []
    for r in reports:
        scores = {name: (value, percent) for name, value, percent in _scores(r)}
        codes = frequent_codes(r, top_codes)
        shown = "; ".join(f"{code} {count}" for code, count in codes)
        lead = (r.source or "<records>", design_name(r), str(r.n), str(r.format_errors))
        rows.append((
            *lead,
            pct(r.exact.format_error_rate),
            *((pct if scores[n][1] else num)(scores[n][0]) if n in scores else ""
              for n in names),
            shown,
        ))
        numbers.append((
            *lead,
            _number(r.exact.format_error_rate),
            *(_number(scores[n][0]) if n in scores else "" for n in names),
            shown,
        ))
    right = (False, False, True, True, True, *(True for _ in names), False)
    first = reports[0]
    title = f"task {first.task}, profile {first.profile}"
    return Table(header, tuple(rows), title, tuple(numbers), right)


# ---- writing ------------------------------------------------------------------------------------
_LATEX = str.maketrans({
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\n": " ",
    "\r": " ",
})


def latex_escape(text: str) -> str:
    """`text` as LaTeX source that typesets it literally (special characters escaped)."""
    return text.translate(_LATEX)


def markdown_escape(text: str) -> str:
    """`text` as one Markdown table cell: pipes and backslashes escaped, HTML's special
    characters as entities, line breaks as spaces."""
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return html.escape(text, quote=False).replace("\r", " ").replace("\n", " ")


def _csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    writer.writerows(table.numbers if table.numbers is not None else table.rows)
    return out.getvalue()


def _markdown(table: Table) -> str:
    right = table.right or (False,) * len(table.header)
    lines = [
        "| " + " | ".join(markdown_escape(h) for h in table.header) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
    ]
    lines += ["| " + " | ".join(markdown_escape(c) for c in row) + " |" for row in table.rows]
    return "\n".join(lines) + "\n"


def _latex(table: Table) -> str:
    right = table.right or (False,) * len(table.header)
    spec = "".join("r" if r else "l" for r in right)
    lines = [f"\\begin{{tabular}}{{{spec}}}", "\\toprule"]
    lines.append(" & ".join(latex_escape(h) for h in table.header) + " \\\\")
    lines.append("\\midrule")
    lines += [" & ".join(latex_escape(c) for c in row) + " \\\\" for row in table.rows]
    lines += ["\\bottomrule", "\\end{tabular}"]
    if table.title:
        lines.insert(0, f"% {latex_escape(table.title)}")
    return "\n".join(lines) + "\n"


_WRITERS = {TableFormat.CSV: _csv, TableFormat.MARKDOWN: _markdown, TableFormat.LATEX: _latex}


def format_table(table: Table, fmt: TableFormat | str) -> str:
    """One table in a format (LaTeX uses booktabs rules: \\usepackage{booktabs})."""
    return _WRITERS[TableFormat(fmt)](table)


def render_table(
    reports: Sequence[Report],
    fmt: TableFormat | str,
    comparison: Table | None = None,
    top_codes: int = TOP_CODES,
) -> str:
    """The comparison of `reports` (one row per file) in `fmt`, then the `comparison` table
    when one is given (separated by a blank line)."""
    out = format_table(comparison_table(reports, top_codes), fmt)
    if comparison is not None:
        out += "\n" + format_table(comparison, fmt)
    return out
