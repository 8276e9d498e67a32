"""A self-contained HTML report of one or several evaluation runs (`sdeparse eval --html`).

One file that opens without a network: charts are inline SVG drawn by matplotlib's SVG backend
(no display, no pyplot state), styles are inline, and there is no script at all (a Content
Security Policy forbids any). The page holds the headline figures per file, the share of
outputs carrying each diagnostic code (files side by side), the pooled confusion matrix of each
file as a heatmap (classification), the scores by slot (accuracy and kappa by aspect, or
precision, recall and F1 by type), an optional comparison table, and the first offending
outputs of each code with the code's spans highlighted.

Model output is hostile text: everything that comes from a file (outputs, messages quoting
them, file names) is HTML-escaped, and lone surrogates are replaced, before it reaches the
page. The output is deterministic (fixed SVG ids, no dates), so two runs give the same bytes.

matplotlib is an optional dependency (``pip install "sdeparse[report]"``); without it
`render_html` raises MissingDependency.
"""

from __future__ import annotations

import html
import io
import logging
import os
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from . import __version__
from .diagnostics import ALL_CODES, Code
from .errors import MissingExtraError
from .render_text import design_name, severity_cell
from .report import Example
from .scoring import ClassificationScorer, ExtractionScorer, metrics
from .scoring import extraction as span_metrics
from .tables import Table, comparison_table

if TYPE_CHECKING:
    from .report import Report

__all__ = ["INSTALL_HINT", "MissingDependency", "render_html", "require_matplotlib"]

INSTALL_HINT = 'pip install "sdeparse[report]"'
#: The most slots (types) a chart shows; an extraction task may declare hundreds of types.
MAX_SLOTS = 30
_SURROGATE = re.compile("[\ud800-\udfff]")
_COLOURS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3",
            "#8c8c8c", "#ccb974", "#64b5cd")


class MissingDependency(MissingExtraError):
    """matplotlib is not installed: the message says how to install it."""

    def __init__(self) -> None:
        super().__init__("--html", "matplotlib", "report")


def require_matplotlib() -> None:
    """Raise MissingDependency unless matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MissingDependency() from None


def escape(text: str) -> str:
    """`text` safe inside HTML text and quoted attributes (lone surrogates replaced)."""
    return html.escape(_SURROGATE.sub("\ufffd", text), quote=True)


# ---- charts --------------------------------------------------------------------------------------
def _svg(figure: Any, salt: str) -> str:
    """A matplotlib figure as an inline <svg> element: text kept as text (the browser's fonts
    draw every script), ids salted per chart so that charts on one page do not share them,
    no date; deterministic for a given matplotlib."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(figure)
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": salt, "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if 0 <= start < end:  # RDF naming the creator: nothing a reader needs
        text = text[:start] + text[end + len("</metadata>"):]
    return text.strip()


def _figure(width: float, height: float) -> Any:
    """A new figure, not registered with pyplot (no display, no global state)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100)


def _style() -> Any:
    """The rc settings of every chart: plain text (no math parsing of names holding $)."""
    import matplotlib

    return matplotlib.rc_context({
        "text.parse_math": False,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    })


def _label(report: Report) -> str:
    """A file's name in legends: its base name and design."""
    name = os.path.basename(report.source) or "<records>"
    label = f"{name} ({design_name(report)})"
    return label if len(label) <= 48 else label[:47] + "…"


def _grouped_bars(axes: Any, names: Sequence[str], series: Sequence[Sequence[float]],
                  labels: Sequence[str], horizontal: bool) -> None:
    """Bars of several series side by side at each name."""
    count = max(1, len(series))
    width = 0.8 / count
    for k, values in enumerate(series):
        positions = [i - 0.4 + width * (k + 0.5) for i in range(len(names))]
        colour = _COLOURS[k % len(_COLOURS)]
        if horizontal:
            axes.barh(positions, values, height=width, label=labels[k], color=colour)
        else:
            axes.bar(positions, values, width=width, label=labels[k], color=colour)
    ticks = list(range(len(names)))
    if horizontal:
        axes.set_yticks(ticks, list(names))
        axes.invert_yaxis()
    else:
        axes.set_xticks(ticks, list(names), rotation=45, ha="right")


def codes_chart(reports: Sequence[Report]) -> str | None:
    """Horizontal bars: the share of outputs carrying each code, files side by side (codes
    ordered by their share over all files); None when no file has a code."""
    totals: dict[str, float] = {}
    for r in reports:
        for code, count in r.codes.items():
            totals[code] = totals.get(code, 0.0) + (count / r.n if r.n else 0.0)
    if not totals:
        return None
    codes = sorted(totals, key=lambda c: (-totals[c], c))
    series = [[100 * r.codes.get(c, 0) / r.n if r.n else 0.0 for c in codes] for r in reports]
    names = [f"{c} ({_severity(c)})" for c in codes]
    with _style():
        figure = _figure(7.5, 1.0 + 0.22 * len(codes) * max(1, len(reports)) ** 0.5 + 0.3)
        axes = figure.add_subplot()
        _grouped_bars(axes, names, series, [_label(r) for r in reports], horizontal=True)
        axes.set_xlabel("outputs carrying the code (%)")
        axes.set_title("Diagnostic codes: share of outputs")
        if len(reports) > 1:
            axes.legend(loc="lower right", fontsize=8)
        return _svg(figure, "sdeparse-codes")


def _severity(code: str) -> str:
    try:
        return ALL_CODES[Code(code)].severity.value
    except (ValueError, KeyError):
        return "?"


def confusion_chart(report: Report, index: int) -> str | None:
    """The pooled confusion matrix as a heatmap (colour: share of the gold row; cell: count);
    None for a report with no confusion matrix."""
    scorer = report.scorer
    if not isinstance(scorer, ClassificationScorer) or report.predictions_only:
        return None
    labels, pooled = list(scorer.labels), scorer.pooled
    rows = metrics.row_sums(pooled)
    shares = [[cell / rows[i] if rows[i] else 0.0 for cell in row] for i, row in enumerate(pooled)]
    size = 1.6 + 0.55 * len(labels)
    with _style():
        figure = _figure(size + 1.2, size)
        axes = figure.add_subplot()
        image = axes.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
        for i, row in enumerate(pooled):
            for j, cell in enumerate(row):
                axes.text(j, i, str(cell), ha="center", va="center",
                          color="white" if shares[i][j] > 0.6 else "black")
        axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        axes.set_yticks(range(len(labels)), labels)
        axes.set_xlabel("predicted")
        axes.set_ylabel("gold")
        axes.set_title(_label(report))
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04, label="share of gold row")
        return _svg(figure, f"sdeparse-confusion-{index}")


def _slot_figures(report: Report) -> tuple[list[str], dict[str, list[float | None]]] | None:
    """The slots of a report and each metric over them, or None when it scores nothing."""
    scorer = report.scorer
    if report.predictions_only:
        return None
    if isinstance(scorer, ClassificationScorer):
        aspects = list(scorer.aspects)
        return aspects, {
            "accuracy": [_f(scorer.aspect_accuracy(a)) for a in aspects],
            "kappa": [_f(scorer.aspect_kappa(a)) for a in aspects],
        }
    if isinstance(scorer, ExtractionScorer):
        types = [t for t in scorer.type_order() if scorer.by_type.get(t, span_metrics.TypeCounts())
                 != span_metrics.TypeCounts()]
        counts = [scorer.by_type[t] for t in types]
        return types, {
            "precision": [_f(span_metrics.precision(c)) for c in counts],
            "recall": [_f(span_metrics.recall(c)) for c in counts],
            "f1": [_f(span_metrics.f1(c)) for c in counts],
        }
    return None


def _f(value: Any) -> float | None:
    return None if value is None else float(value)


def slots_chart(reports: Sequence[Report]) -> str | None:
    """One panel per metric (accuracy and kappa by aspect, or precision, recall and F1 by
    type), files side by side; None when no report scores slots."""
    figures = [(r, _slot_figures(r)) for r in reports]
    scored = [(r, f) for r, f in figures if f is not None]
    if not scored:
        return None
    slots: list[str] = []
    for _, (names, _) in scored:
        slots += [name for name in names if name not in slots]
    slots = slots[:MAX_SLOTS]
    metric_names = list(scored[0][1][1])
    with _style():
        figure = _figure(max(6.0, 0.45 * len(slots) * max(1, len(scored)) ** 0.5 + 2),
                         2.6 * len(metric_names) + 0.8)
        panels = figure.subplots(len(metric_names), 1, squeeze=False)
        for row, metric in enumerate(metric_names):
            axes = panels[row][0]
            series = []
            for _, (names, values) in scored:
                by_slot = dict(zip(names, values.get(metric, []), strict=False))
                series.append([by_slot.get(s) or 0.0 for s in slots])
            _grouped_bars(axes, slots, series, [_label(r) for r, _ in scored], horizontal=False)
            axes.set_ylabel(metric)
            axes.set_ylim(min(0.0, *(v for s in series for v in s)), 1.0)
            if row < len(metric_names) - 1:
                axes.set_xticks(range(len(slots)), [""] * len(slots))
        if len(scored) > 1:
            panels[0][0].legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
        kind = "aspect" if metric_names[0] == "accuracy" else "type"
        panels[0][0].set_title(f"Scores by {kind}")
        return _svg(figure, "sdeparse-slots")


# ---- HTML ----------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",sans-serif;
margin:2em auto;max-width:72em;padding:0 1em;color:#222;background:#fff}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:1em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f3f3f3}figure{margin:1em 0}figure svg{max-width:100%;height:auto}
.charts{display:flex;flex-wrap:wrap;gap:1em}
pre.output{white-space:pre-wrap;word-break:break-all;background:#f8f8f8;border:1px solid #ddd;
padding:.5em;max-height:20em;overflow:auto}
mark{padding:0 1px;border-radius:2px}mark.error{background:#f7b6b6}
mark.warning{background:#fde68a}mark.info{background:#bfdbfe}
span.point{border-left:3px solid #c00;margin:0 1px}
.muted{color:#666;font-size:.9em}
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
_SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}


def _table(table: Table) -> str:
    right = table.right or (False,) * len(table.header)
    head = "".join(f'<th class="{"num" if r else ""}">{escape(h)}</th>'
                   for h, r in zip(table.header, right, strict=True))
    body = "".join(
        "<tr>" + "".join(f'<td class="{"num" if r else ""}">{escape(c)}</td>'
                         for c, r in zip(row, right, strict=True)) + "</tr>"
        for row in table.rows
    )
    caption = f"<caption>{escape(table.title)}</caption>" if table.title else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _chart(name: str, svg: str) -> str:
    return f'<figure class="chart" data-chart="{escape(name)}" id="chart-{escape(name)}">' \
           f"{svg}</figure>"


def highlight(example: Example) -> str:
    """An example's text as HTML with the spans of its code marked (<mark> by the worst
    severity covering each piece; a zero-width span as a thin marker); every piece escaped."""
    text, offset = example.text, example.offset
    spans = [(max(0, s.start - offset), min(len(text), s.end - offset), s)
             for s in example.spans]
    points = sorted({0, len(text), *(a for a, _, _ in spans), *(b for _, b, _ in spans)})
    out = ["…" if offset else ""]
    for a, b in zip(points, points[1:] + [None], strict=True):
        for start, end, span in spans:
            if start == end == a:
                out.append(f'<span class="point" title="{escape(span.message)}"></span>')
        if b is None:
            break
        covering = [s for start, end, s in spans if start <= a and b <= end and start < end]
        piece = escape(text[a:b])
        if covering:
            worst = max(covering, key=lambda s: _SEVERITY_RANK.get(s.severity, 0))
            title = escape("; ".join(dict.fromkeys(s.message for s in covering)))
            severity = worst.severity if worst.severity in _SEVERITY_RANK else "error"
            out.append(f'<mark class="{severity}" title="{title}">{piece}</mark>')
        else:
            out.append(piece)
    if offset + len(text) < example.length:
        out.append("…")
    return "".join(out)


def _headline(reports: Sequence[Report]) -> Iterator[str]:
    yield '<section id="headline"><h2>Headline figures</h2>'
    yield _table(comparison_table(reports))
    rows = []
    for r in reports:
        wrong = r.exact.as_wrong()
        cells = ", ".join(f"{k.replace('_', ' ')} {'n/a' if v is None else f'{float(v):.4f}'}"
                          for k, v in wrong.items())
        coverage = r.exact.coverage
        rows.append((r.source or "<records>", str(r.records), str(r.gold_errors),
                     str(r.input_errors), "n/a" if coverage is None else f"{float(coverage):.2%}",
                     cells or "(no scores)"))
    yield _table(Table(("file", "records", "gold errors", "input errors", "coverage",
                        "format error counted as wrong"), tuple(rows),
                       right=(False, True, True, True, True, False)))
    yield "</section>"


def _codes(reports: Sequence[Report]) -> Iterator[str]:
    yield '<section id="codes"><h2>Diagnostic codes</h2>'
    svg = codes_chart(reports)
    if svg is None:
        yield "<p>No diagnostics.</p></section>"
        return
    yield _chart("codes", svg)
    codes = sorted({c for r in reports for c in r.codes},
                   key=lambda c: -sum(r.codes.get(c, 0) for r in reports))
    header = ("code", "summary", *(f"{_label(r)}: outputs (severity)" for r in reports))
    rows = []
    for c in codes:
        try:
            summary = ALL_CODES[Code(c)].summary
        except (ValueError, KeyError):
            summary = ""
        cells = [f"{r.codes[c]} ({severity_cell(r.severities(c)) or '?'})" if c in r.codes
                 else "0" for r in reports]
        rows.append((c, summary, *cells))
    right = (False, False, *(True for _ in reports))
    yield _table(Table(header, tuple(rows), right=right))
    yield "</section>"


def _scores(reports: Sequence[Report]) -> Iterator[str]:
    confusion = [svg for i, r in enumerate(reports, 1) if (svg := confusion_chart(r, i))]
    if confusion:
        yield '<section id="confusion"><h2>Confusion matrices, all aspects pooled</h2>'
        yield '<p class="muted">Rows gold, columns predicted; colour: share of the gold row.</p>'
        yield '<div class="charts">'
        yield from (_chart(f"confusion-{i}", svg) for i, svg in enumerate(confusion, 1))
        yield "</div></section>"
    svg = slots_chart(reports)
    if svg is None:
        return
    yield '<section id="slots"><h2>Scores by slot</h2>'
    yield _chart("slots", svg)
    for r in reports:
        found = _slot_figures(r)
        if found is None:
            continue
        names, values = found
        header = ("aspect" if "accuracy" in values else "type", *values)
        rows = tuple(
            (name, *("n/a" if v[i] is None else f"{v[i]:.4f}" for v in values.values()))
            for i, name in enumerate(names)
        )
        yield f"<h3>{escape(_label(r))}</h3>"
        yield _table(Table(header, rows, right=(False, *(True for _ in values))))
    yield "</section>"


def _examples(reports: Sequence[Report]) -> Iterator[str]:
    codes = sorted({c for r in reports for c in r.code_examples if r.code_examples[c]},
                   key=lambda c: -sum(r.codes.get(c, 0) for r in reports))
    yield '<section id="examples"><h2>First offending outputs by code</h2>'
    if not codes:
        yield "<p>No examples kept.</p></section>"
        return
    for code in codes:
        yield f'<h3 id="code-{escape(code)}">{escape(code)} ' \
              f'<span class="muted">({escape(_severity(code))})</span></h3>'
        for r in reports:
            examples = r.code_examples.get(code, [])
            if not examples:
                continue
            if len(reports) > 1:
                yield f"<h4>{escape(_label(r))}</h4>"
            for example in examples:
                messages = "".join(f"<li>{escape(s.severity)}: {escape(s.message)}</li>"
                                   for s in example.spans)
                yield (f'<div class="example"><p class="muted">line {example.line}'
                       f"{'' if example.length == len(example.text) else ' (excerpt)'}</p>"
                       f'<pre class="output">{highlight(example)}</pre><ul>{messages}</ul></div>')
    yield "</section>"


def render_html(reports: Sequence[Report], comparison: Table | None = None,
                title: str = "sdeparse report") -> str:
    """The HTML page of one or several reports (one file per report, as `eval` gives them).

    `comparison` is an extra table (e.g. differences between files with confidence intervals),
    shown after the scores when given. MissingDependency without matplotlib."""
    if not reports:
        raise ValueError("no reports to show")
    require_matplotlib()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")  # CJK widths only
        warnings.filterwarnings("ignore", message=".*[Ff]ont family .* not found")
        font_log = logging.getLogger("matplotlib.font_manager")
        level = font_log.level
        font_log.setLevel(logging.ERROR)
        try:
            body = [*_headline(reports), *_codes(reports), *_scores(reports)]
        finally:
            font_log.setLevel(level)
    if comparison is not None:
        body += ['<section id="comparison"><h2>Comparison</h2>', _table(comparison),
                 "</section>"]
    body += list(_examples(reports))
    first = reports[0]
    runs = f"task {first.task}, profile {first.profile}, {len(reports)} file" + \
        ("s" if len(reports) > 1 else "")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>"
        f"<h1>{escape(title)}</h1><p class=\"muted\">{escape(runs)}; sdeparse "
        f"{escape(__version__)}</p>\n" + "\n".join(body) + "\n</body></html>\n"
    )
