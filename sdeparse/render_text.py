"""Terminal rendering of Reports: the one-file page and the one-row-per-file summary.

Rendering only reads a Report; counting lives in `sdeparse.report` and `sdeparse.scoring`. A page
is the envelope's parts (run, outputs and format errors, diagnostics, bad lines) around the
scorer's parts (headline, breakdown by slot, detail tables), which each scorer kind supplies
by registering with the `singledispatch` functions below; an unregistered scorer is shown
by its headline figures.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import singledispatch
from typing import TYPE_CHECKING, Any

from .scoring import ClassificationScorer, ExtractionScorer, Scorer, metrics
from .scoring import extraction as span_metrics

if TYPE_CHECKING:
    from .report import Report


# ---- tables -------------------------------------------------------------------------------------
def _width(text: str) -> int:
    """Display width: East Asian wide and full-width characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """An indented text table with a rule under the header; `right` aligns columns right."""
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    out = []
    for k, row in enumerate([header, *rows]):
        cells = [_pad(cell, widths[i], right[i]) for i, cell in enumerate(row)]
        out.append("  " + "  ".join(cells).rstrip())
        if k == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return "\n".join(out)


def pct(value: Fraction | None) -> str:
    """A share as a percentage with two decimals; n/a when undefined."""
    return "n/a" if value is None else f"{float(value) * 100:.2f}%"


def num(value: Fraction | None) -> str:
    """A figure with four decimals; n/a when undefined."""
    return "n/a" if value is None else f"{float(value):.4f}"


def _lines(lines: Sequence[int], count: int) -> str:
    text = ", ".join(str(line) for line in lines)
    return text + (", ..." if count > len(lines) else "")


# ---- what each kind of scorer contributes -------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One summary column: its header and the cell of one report (right-aligned)."""

    header: str
    cell: str


@singledispatch
def headline_lines(scorer: Scorer[Any]) -> list[str]:
    """The scorer's headline figures, under the outputs and format-error lines of a page."""
    figures = scorer.headline().items()
    return [f"  {name.replace('_', ' '):<18} {num(value)}" for name, value in figures]


@singledispatch
def breakdown(scorer: Scorer[Any]) -> list[str]:
    """The figures by slot, before the diagnostics; each section ends with a blank line."""
    return []


@singledispatch
def details(scorer: Scorer[Any]) -> list[str]:
    """Detail tables after the diagnostics (e.g. confusion matrices)."""
    return []


@singledispatch
def summary_columns(scorer: Scorer[Any]) -> tuple[list[Column], list[Column]]:
    """Columns of a summary row: those before "wrong format" and those after it."""
    return [], [Column(name.replace("_", " "), num(v)) for name, v in scorer.headline().items()]


@headline_lines.register
def _(scorer: ClassificationScorer) -> list[str]:
    s = scorer
    return [
        f"  accuracy           {pct(s.accuracy)}  (pairs)   sentence {pct(s.sentence_accuracy)}",
        f"  weighted kappa     {num(s.kappa)}",
    ]


@breakdown.register
def _(scorer: ClassificationScorer) -> list[str]:
    s = scorer
    return [
        "By aspect",
        table(
            ["aspect", "accuracy", "kappa"],
            [[a, pct(s.aspect_accuracy(a)), num(s.aspect_kappa(a))] for a in s.aspects],
            [False, True, True],
        ),
        "",
    ]


@details.register
def _(scorer: ClassificationScorer) -> list[str]:
    labels, pooled = scorer.labels, scorer.pooled
    rows, cols = metrics.row_sums(pooled), metrics.column_sums(pooled)
    return [
        "Confusion matrix, all aspects pooled (rows gold, columns predicted)",
        table(
            ["gold \\ pred", *labels, "total"],
            [[label, *(str(x) for x in pooled[i]), str(rows[i])] for i, label in enumerate(labels)]
            + [["total", *(str(c) for c in cols), str(sum(rows))]],
            [False] + [True] * (len(labels) + 1),
        ),
        "",
        "Per class (pooled)",
        table(
            ["label", "precision", "recall", "gold", "predicted"],
            [
                [
                    label,
                    pct(metrics.precision(pooled, i)),
                    pct(metrics.recall(pooled, i)),
                    str(rows[i]),
                    str(cols[i]),
                ]
                for i, label in enumerate(labels)
            ],
            [False, True, True, True, True],
        ),
    ]


@summary_columns.register
def _(scorer: ClassificationScorer) -> tuple[list[Column], list[Column]]:
    s = scorer
    return (
        [Column("kappa", num(s.kappa))],
        [Column("accuracy", pct(s.accuracy)), Column("sentence", pct(s.sentence_accuracy))],
    )


@headline_lines.register
def _(scorer: ExtractionScorer) -> list[str]:
    m = scorer.micro
    return [
        f"  precision          {num(span_metrics.precision(m))}"
        f"   ({scorer.matching.value} matching)",
        f"  recall             {num(span_metrics.recall(m))}",
        f"  f1                 {num(span_metrics.f1(m))}",
        f"  tp / fp / fn       {m.tp} / {m.fp} / {m.fn}",
    ]


def _type_row(name: str, c: span_metrics.TypeCounts) -> list[str]:
    figures = (span_metrics.precision(c), span_metrics.recall(c), span_metrics.f1(c))
    return [name, *(num(f) for f in figures), str(c.tp), str(c.fp), str(c.fn)]


@breakdown.register
def _(scorer: ExtractionScorer) -> list[str]:
    rows = [_type_row(t, scorer.by_type[t]) for t in scorer.type_order()]
    if scorer.other != span_metrics.TypeCounts():
        rows.append(_type_row("(other types)", scorer.other))
    header = ["type", "precision", "recall", "f1", "tp", "fp", "fn"]
    return ["By type", table(header, rows, [False] + [True] * 6), ""]


@summary_columns.register
def _(scorer: ExtractionScorer) -> tuple[list[Column], list[Column]]:
    m = scorer.micro
    return (
        [Column("f1", num(span_metrics.f1(m)))],
        [
            Column("precision", num(span_metrics.precision(m))),
            Column("recall", num(span_metrics.recall(m))),
            Column("tp/fp/fn", f"{m.tp}/{m.fp}/{m.fn}"),
        ],
    )


# ---- the envelope's parts and the pages ---------------------------------------------------------
def severity_cell(counts: dict[str, int]) -> str:
    """The severity column of one code: the severity when every output raised it with the same
    one, else the outputs by severity, worst first (``error 12 · warning 3``)."""
    if len(counts) == 1:
        return next(iter(counts))
    return " · ".join(f"{severity} {count}" for severity, count in counts.items())


def _diagnostics(r: Report) -> list[str]:
    if not r.codes:
        return ["Diagnostics: none", ""]
    codes = sorted(r.ordered_codes(), key=lambda c: -r.codes[c])  # stable: catalogue order next
    return [
        "Diagnostics (outputs carrying each code)",
        table(
            ["code", "severity", "outputs", "first lines"],
            [
                [
                    c,
                    severity_cell(r.severities(c)) or "?",
                    str(r.codes[c]),
                    _lines(r.code_lines.get(c, []), r.codes[c]),
                ]
                for c in codes
            ],
            [False, False, True, False],
        ),
        "",
    ]


def _bad_lines(r: Report) -> list[str]:
    out: list[str] = []
    if r.gold_errors:
        out += ["", f"Gold errors: {r.gold_errors} targets do not parse cleanly (not scored)"]
        out += [f"  line {line}: {reason}" for line, reason in r.gold_error_samples]
        if r.gold_errors > len(r.gold_error_samples):
            out.append(f"  ... and {r.gold_errors - len(r.gold_error_samples)} more")
    if r.input_errors:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(r.input_error_kinds.items()))
        out += ["", f"Input errors: {r.input_errors} lines not evaluated ({kinds})"]
        out += [f"  line {line}: {reason}" for line, _, reason in r.input_error_samples]
        if r.input_errors > len(r.input_error_samples):
            out.append(f"  ... and {r.input_errors - len(r.input_error_samples)} more")
    return out


def design_name(report: Report) -> str:
    """The design as the user named it, with the design it is another name of:
    ``instruction-first (natural)``; just the design when it was given by its own name."""
    if report.design_given:
        return f"{report.design_given} ({report.design})"
    return report.design


def _as_wrong(r: Report) -> list[str]:
    """The second view: the headline scores when a format error counts as wrong."""
    figures = r.exact.as_wrong()
    if not figures:
        return []
    show = pct if isinstance(r.scorer, ClassificationScorer) else num
    cells = "  ".join(f"{name.replace('_accuracy', '')} {show(value)}"
                      for name, value in figures.items())
    return [f"  format error=wrong {cells}"]


def render_text(report: Report) -> str:
    """Headline figures, breakdown by slot, code table, detail tables, bad lines of one file.

    Two views: the scores of the outputs as repaired, then (``format error=wrong``) the same
    scores when every output with a format error counts as wrong; coverage is the share of
    outputs with no format error. A report made without targets shows no scores."""
    r = report
    head = [
        f"{r.source or '<records>'}  task {r.task}  design {design_name(r)}  profile {r.profile}",
        "",
    ]
    if r.predictions_only:
        head += [
            f"  outputs read       {r.n}  (of {r.records} records; {r.input_errors} input "
            "errors)",
            "  predictions only   no targets: format errors and codes, no scores",
            f"  wrong format       {r.format_errors}  ({pct(r.exact.format_error_rate)})   "
            f"coverage {pct(r.exact.coverage)}",
        ]
    else:
        head += [
            f"  outputs scored     {r.n}  (of {r.records} records; "
            f"{r.gold_errors} gold errors, {r.input_errors} input errors)",
            f"  wrong format       {r.format_errors}  ({pct(r.exact.format_error_rate)})   "
            f"coverage {pct(r.exact.coverage)}",
            *headline_lines(r.scorer),
            *_as_wrong(r),
        ]
    out = [
        *head,
        "",
        *breakdown(r.scorer),
        *_diagnostics(r),
        *details(r.scorer),
    ]
    while out[-1] == "":
        out.pop()
    return "\n".join(out + _bad_lines(r)) + "\n"


def _first_as_wrong(r: Report) -> Column | None:
    """The summary column of the second view: the first headline score when a format error
    counts as wrong (accuracy, or f1)."""
    figures = r.exact.as_wrong()
    if not figures:
        return None
    name, value = next(iter(figures.items()))
    show = pct if isinstance(r.scorer, ClassificationScorer) else num
    return Column(f"{name.replace('_', ' ')} (error=wrong)", show(value))


def render_summary(reports: Sequence[Report]) -> str:
    """One row per file of one task, as the paper tabulates designs: kappa, wrong format, ..."""
    split = [summary_columns(r.scorer) for r in reports]
    lead, rest = split[0]
    wrong = [_first_as_wrong(r) for r in reports]
    header = [
        "file",
        "design",
        "n",
        *(c.header for c in lead),
        "wrong format",
        *(c.header for c in rest),
        *([wrong[0].header] if wrong[0] else []),
        "bad lines",
    ]
    rows = [
        [
            r.source or "<records>",
            design_name(r),
            str(r.n),
            *(c.cell for c in before),
            f"{r.format_errors} ({pct(r.exact.format_error_rate)})",
            *(c.cell for c in after),
            *([column.cell] if column else []),
            str(r.input_errors + r.gold_errors),
        ]
        for r, (before, after), column in zip(reports, split, wrong, strict=True)
    ]
    right = [False, False] + [True] * (len(header) - 2)
    return (
        f"task {reports[0].task}  profile {reports[0].profile}\n\n"
        + table(header, rows, right)
        + "\n"
    )
