"""The evaluation report: an envelope of counts around a scorer, so that reports merge exactly.

A Report counts what concerns every kind of task (records read, outputs scored, format errors,
diagnostic codes, input and gold errors) and holds a scorer (`sdeparse.scoring`) that counts
what was predicted against the gold: confusion matrices for classification tasks. Both keep
integers and bounded samples (the first few line numbers of each code, the first few bad
lines), never a result per record: the size does not grow with the input, but for the line
number of each output with a format error (one integer each: the list `--json` prints).
Figures are derived on demand from the counts, so ``a + b`` over two halves of a file is the
report over the whole, whichever process or machine computed each half. Rendering lives in
`sdeparse.render_text`.

Besides the scores with repairs (the scorer's), a report counts what the other view a
researcher needs takes: the hits of outputs with no format error (so that scores where a
format error counts as wrong follow), and every format-error line number. A report made
without targets (`predictions_only`) holds a `NoScorer`: format errors and codes, no scores.
Figures read in Python are floats; `report.exact` gives the same figures as Fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

from .diagnostics import ALL_CODES, Code, Severity
from .profiles import LabelSource, get_profile
from .render_text import render_summary, render_text
from .result import ParseResult
from .scoring import (
    ClassificationScorer,
    ExtractionScorer,
    Scorer,
    metrics,
    scorer_class,
    scorer_for_task,
)
from .scoring.base import Scorer as _ScorerBase
from .scoring.classification import IndexedGold
from .scoring.extraction import Matching, Normalization
from .scoring.extraction import f1 as _f1
from .scoring.extraction import precision as _precision
from .scoring.extraction import recall as _recall
from .task import TaskKind

# render_summary and render_text are re-exported: they lived here before sdeparse.render_text.
__all__ = [
    "DEFAULT_ERROR_SAMPLES",
    "DEFAULT_EXAMPLES",
    "DEFAULT_SAMPLES",
    "EXAMPLE_CHARS",
    "Example",
    "MarkedSpan",
    "DEFAULT_SCORER",
    "INPUT_ERROR_KINDS",
    "ExactFigures",
    "NoScorer",
    "Report",
    "SEVERITY_ORDER",
    "UNRECORDED",
    "code_order",
    "render_summary",
    "render_text",
]

#: How many line numbers a report keeps per diagnostic code, and how many bad lines it lists.
DEFAULT_SAMPLES = 5
DEFAULT_ERROR_SAMPLES = 20
#: How many offending outputs a report keeps per code (the first by line number), and how
#: many characters of each: a longer output keeps a window around its first marked span.
DEFAULT_EXAMPLES = 3
EXAMPLE_CHARS = 2000
#: The longest diagnostic message an example keeps (messages may quote the output).
EXAMPLE_MESSAGE_CHARS = 300

#: The scorer of a report dict without a "scorer" key (classification reports never had one).
DEFAULT_SCORER = ClassificationScorer.kind

#: Why an input line could not be evaluated (the `kind` of an input error).
INPUT_ERROR_KINDS = (
    "invalid_utf8",
    "invalid_json",
    "not_an_object",
    "missing_field",
    "not_a_string",
    "blank_line",
    "line_too_long",
)


#: The order of severities in reports: the worst first.
SEVERITY_ORDER = tuple(sorted(Severity, key=lambda s: -s.rank))

#: The severity key of outputs counted by a report dict that predates per-severity counts.
UNRECORDED = "unrecorded"


def severity_order(severity: str) -> tuple[int, str]:
    """Sort key listing severities worst first, unknown keys (such as UNRECORDED) last."""
    values = [s.value for s in SEVERITY_ORDER]
    return (values.index(severity), "") if severity in values else (len(values), severity)


def code_order(code: str) -> tuple[int, str]:
    """Sort key listing codes in the order of the CODES catalogue, unknown codes last."""
    order = list(ALL_CODES)
    return (order.index(Code(code)), "") if code in ALL_CODES else (len(order), code)


class MarkedSpan(NamedTuple):
    """One diagnostic's character span [start, end) in an example's full output text."""

    start: int
    end: int
    severity: str
    message: str


class Example(NamedTuple):
    """One output carrying a code, kept to show it: its line, an excerpt of its text (from
    character `offset` of the `length` characters of the output) and the spans of the code's
    diagnostics in it. A NamedTuple ordered by line first, so the first k merge exactly."""

    line: int
    text: str
    offset: int
    length: int
    spans: tuple[MarkedSpan, ...]

    @classmethod
    def of(cls, line: int, text: str, spans: Sequence[MarkedSpan],
           limit: int = EXAMPLE_CHARS) -> Example:
        """An example of `text` bounded to `limit` characters: the whole text when it fits,
        else a window opening a little before the first span (spans are kept in the text's
        coordinates, clipped to the window)."""
        offset = 0
        if len(text) > limit:
            first = min((s.start for s in spans), default=0)
            offset = max(0, min(first - limit // 4, len(text) - limit))
        end = offset + limit
        kept = tuple(
            MarkedSpan(max(s.start, offset), min(max(s.end, s.start), end), s.severity,
                       s.message[:EXAMPLE_MESSAGE_CHARS])
            for s in spans
            if s.start <= end and max(s.end, s.start) >= offset
        )
        return cls(line, text[offset:end], offset, len(text), kept)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (a report dict's code_examples)."""
        return {
            "line": self.line,
            "text": self.text,
            "offset": self.offset,
            "length": self.length,
            "spans": [s._asdict() for s in self.spans],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Example:
        """From `to_dict` output."""
        return cls(
            int(data["line"]),
            str(data["text"]),
            int(data.get("offset", 0)),
            int(data.get("length", len(data["text"]))),
            tuple(MarkedSpan(int(s["start"]), int(s["end"]), str(s["severity"]),
                             str(s["message"])) for s in data.get("spans", ())),
        )


class NoScorer(_ScorerBase[Any]):
    """The scorer of a report made without targets (prediction-only mode): it counts the
    outputs it is shown and scores nothing, so the report has format errors and codes only."""

    kind = "none"

    def __init__(self, n: int = 0) -> None:
        self.n = n

    @classmethod
    def for_task(cls, task: Any) -> NoScorer:
        """An empty scorer (the task does not matter: nothing is scored)."""
        return cls()

    def add(self, gold: Any, predicted: Any) -> None:
        """Count one output."""
        self.n += 1

    def setup(self) -> tuple[()]:
        """Nothing to agree on."""
        return ()

    def _add_counts(self, other: NoScorer) -> None:
        self.n += other.n

    def to_dict(self) -> dict[str, Any]:
        """Only the count: there are no figures."""
        return {"n": self.n}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NoScorer:
        """From a report dict of a prediction-only run."""
        return cls(int(data.get("n", 0)))

    def headline(self) -> dict[str, Fraction | None]:
        """No figures."""
        return {}


def _merge_sorted(lines: list[int], more: Sequence[int]) -> list[int]:
    """Two sorted lists of line numbers as one sorted list (appended when they follow on, as
    partial reports merged in input order do, so merging a file's chunks stays linear)."""
    if not more:
        return lines
    if not lines or lines[-1] <= more[0]:
        lines.extend(more)
        return lines
    return sorted([*lines, *more])


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _keep_first(lines: list[Any], more: Iterable[Any], limit: int) -> list[Any]:
    """The `limit` smallest entries (by line number) of two sorted lists, still sorted."""
    merged = sorted(
        [*lines, *more], key=lambda entry: entry[0] if isinstance(entry, tuple) else entry
    )
    return merged[:limit]


@dataclass(eq=False)
class Report:
    """Counts of one evaluation run (one file, or a part of one); see the module docstring."""

    task: str
    design: str
    profile: str
    #: counts of predicted against gold values; its kind follows the task's
    scorer: Scorer[Any]
    source: str = ""
    samples: int = DEFAULT_SAMPLES
    error_samples: int = DEFAULT_ERROR_SAMPLES
    #: how many offending outputs to keep per code (code_examples)
    examples: int = DEFAULT_EXAMPLES
    #: every record read, good or bad
    records: int = 0
    #: outputs scored (valid input line, target parsed cleanly)
    n: int = 0
    format_errors: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    #: per code, the outputs carrying it by the worst severity it was raised with in that
    #: output (so each code's counts sum to `codes[code]`)
    code_severities: dict[str, dict[str, int]] = field(default_factory=dict)
    code_lines: dict[str, list[int]] = field(default_factory=dict)
    #: per code, the first `examples` outputs carrying it (by line), with the code's spans;
    #: kept when `add` is given the output's text (an evaluation run gives it)
    code_examples: dict[str, list[Example]] = field(default_factory=dict)
    #: every output with a format error, by line number (sorted)
    format_error_lines: list[int] = field(default_factory=list)
    #: outputs with no format error: their correct (output, slot) pairs for a classification
    #: task, their true positives for an extraction task; and (classification) those whose
    #: every slot is right. The scores where a format error counts as wrong follow from these.
    clean_hits: int = 0
    clean_sentences: int = 0
    #: False for counts read from a report dict written before these were counted: the view
    #: is then unknown (None), never computed from zeros
    clean_counted: bool = True
    #: the design's name as the user gave it, when it is another name of `design` (a paper
    #: mode name such as instruction-first, a task's own design name): shown beside it
    design_given: str = ""
    gold_errors: int = 0
    gold_error_samples: list[tuple[int, str]] = field(default_factory=list)
    input_errors: int = 0
    input_error_kinds: dict[str, int] = field(default_factory=dict)
    input_error_samples: list[tuple[int, str, str]] = field(default_factory=list)
    #: the outputs with a format error in full, kept only while a run writes them out
    #: (``--errors-out``); not part of the counts, never serialized or merged
    error_records: list[dict[str, Any]] = field(default_factory=list, repr=False)
    #: each scored output's (alignment key, score contribution), kept only while a run asks
    #: for them (the bootstrap of `sdeparse.compare`); like error_records, not part of the
    #: counts, never serialized or merged
    scored_records: list[tuple[Any, tuple[int, ...]]] = field(default_factory=list, repr=False)

    @classmethod
    def for_task(
        cls,
        task: Any,
        design: Any,
        profile: str,
        source: str = "",
        samples: int = DEFAULT_SAMPLES,
        error_samples: int = DEFAULT_ERROR_SAMPLES,
        scorer: Scorer[Any] | None = None,
        design_given: str = "",
    ) -> Report:
        """An empty report for a loaded Task and Design, with the task's scorer unless given
        (for an extraction task, the matching of the profile: the paper's soft matching under
        a profile whose pairs come from the paper's reading, one-to-one otherwise)."""
        if scorer is None and getattr(task, "is_extraction", False):
            paper = get_profile(profile).labels is LabelSource.PAPER
            scorer = ExtractionScorer.for_task(
                task,
                matching=Matching.PAPER if paper else Matching.STRICT,
                normalization=Normalization.LOWER if paper else None,
            )
        return cls(
            task=task.name,
            design=str(design),
            profile=profile,
            scorer=scorer if scorer is not None else scorer_for_task(task),
            source=source,
            samples=samples,
            error_samples=error_samples,
            design_given=design_given if design_given.lower() != str(design).lower() else "",
        )

    @property
    def predictions_only(self) -> bool:
        """Whether this report was made without targets (format errors and codes only)."""
        return isinstance(self.scorer, NoScorer)

    # ---- accumulating ---------------------------------------------------------------------
    def add(self, line: int, result: ParseResult, gold: Any, text: str | None = None) -> None:
        """Count one scored output: its parse `result` against the gold, which is the gold
        labels (a mapping) for a classification task, the gold (type, span) pairs for an
        extraction task (scored against `result.extractions`). Given the output's `text`,
        the first few outputs carrying each code are kept as examples."""
        self.records += 1
        self.n += 1
        if result.is_format_error:
            self.format_errors += 1
            self.format_error_lines.append(line)
        if result.diagnostics:
            self._add_codes(line, result, text)
        if isinstance(self.scorer, NoScorer):
            self.scorer.add(None, None)
        elif result.kind is TaskKind.EXTRACTION:
            if not isinstance(self.scorer, ExtractionScorer):
                raise TypeError(f"an extraction result cannot be scored by {self.scorer.kind}")
            before = self.scorer.micro.tp
            self.scorer.add(gold, result.extractions, result.unpaired)
            if not result.is_format_error:
                self.clean_hits += self.scorer.micro.tp - before
        else:
            self.scorer.add(gold, result.labels)
            if not result.is_format_error:
                right = sum(gold[slot] == label for slot, label in result.labels.items()
                            if slot in gold)
                self.clean_hits += right
                self.clean_sentences += right == len(gold)

    def add_clean(self, golds: Sequence[IndexedGold], predicted: Sequence[tuple[int, ...]]) -> None:
        """Count many classification outputs with no diagnostic and no format error at once:
        each one's gold (`ClassificationScorer.index_gold`) and predicted label indices in
        aspect order. The same counts as `add` of each (no line of them is kept there)."""
        scorer = self.scorer
        if not isinstance(scorer, ClassificationScorer):
            raise TypeError(f"clean label outputs cannot be scored by {scorer.kind}")
        hits, all_right = scorer.add_indexed(golds, predicted)
        self.records += len(predicted)
        self.n += len(predicted)
        self.clean_hits += hits
        self.clean_sentences += all_right

    def _add_codes(self, line: int, result: ParseResult, text: str | None) -> None:
        """Count the codes of one output with diagnostics: by worst severity, sample lines,
        and (given its text) the first few examples."""
        worst: dict[str, Severity] = {}
        for diagnostic in result.diagnostics:
            seen = worst.get(diagnostic.code)
            if seen is None or diagnostic.severity.rank > seen.rank:
                worst[diagnostic.code] = diagnostic.severity
        for code in result.codes:
            self.codes[code] = self.codes.get(code, 0) + 1
            by_severity = self.code_severities.setdefault(code, {})
            by_severity[worst[code].value] = by_severity.get(worst[code].value, 0) + 1
            lines = self.code_lines.setdefault(code, [])
            if len(lines) < self.samples:
                lines.append(line)
            if text is not None:
                examples = self.code_examples.setdefault(code, [])
                if len(examples) < self.examples:
                    spans = [MarkedSpan(d.start, d.end, d.severity.value, d.message)
                             for d in result.diagnostics if d.code == code]
                    examples.append(Example.of(line, text, spans))

    def add_gold_error(self, line: int, reason: str) -> None:
        """Count a record whose target does not parse cleanly; it is left out of the metrics."""
        self.records += 1
        self.gold_errors += 1
        if len(self.gold_error_samples) < self.error_samples:
            self.gold_error_samples.append((line, reason))

    def add_input_error(self, line: int, kind: str, reason: str) -> None:
        """Count a line that could not be read as a record (bad UTF-8 or JSON, missing field)."""
        self.records += 1
        self.input_errors += 1
        self.input_error_kinds[kind] = self.input_error_kinds.get(kind, 0) + 1
        if len(self.input_error_samples) < self.error_samples:
            self.input_error_samples.append((line, kind, reason))

    # ---- merging --------------------------------------------------------------------------
    def _check_compatible(self, other: Report) -> None:
        mine = (self.task, self.design, self.profile)
        theirs = (other.task, other.design, other.profile)
        if self.predictions_only != other.predictions_only:
            raise ValueError("cannot merge a report made without targets with one scored")
        if mine != theirs or not self.scorer.compatible(other.scorer):
            raise ValueError(
                f"cannot merge a report of {self.task}/{self.design}/{self.profile} with one of "
                f"{other.task}/{other.design}/{other.profile}"
            )

    def update(self, other: Report) -> Report:
        """Add `other`'s counts into this report, in place; returns self."""
        self._check_compatible(other)
        if other.source and other.source != self.source:
            sources = [s for s in self.source.split(", ") if s]
            for s in other.source.split(", "):
                if s not in sources:
                    sources.append(s)
            self.source = ", ".join(sources)
        self.samples = max(self.samples, other.samples)
        self.error_samples = max(self.error_samples, other.error_samples)
        self.records += other.records
        self.n += other.n
        self.format_errors += other.format_errors
        self.scorer.update(other.scorer)
        for code, count in other.codes.items():
            self.codes[code] = self.codes.get(code, 0) + count
        for code, counts in other.code_severities.items():
            mine = self.code_severities.setdefault(code, {})
            for severity, count in counts.items():
                mine[severity] = mine.get(severity, 0) + count
        for code, lines in other.code_lines.items():
            self.code_lines[code] = _keep_first(self.code_lines.get(code, []), lines, self.samples)
        self.examples = max(self.examples, other.examples)
        for code, examples in other.code_examples.items():
            # whole tuples order ties (the same line in two files) whatever the merge order
            self.code_examples[code] = sorted([*self.code_examples.get(code, []), *examples])[
                : self.examples
            ]
        self.format_error_lines = _merge_sorted(self.format_error_lines, other.format_error_lines)
        self.clean_hits += other.clean_hits
        self.clean_sentences += other.clean_sentences
        self.clean_counted = self.clean_counted and other.clean_counted
        if self.design_given != other.design_given:
            self.design_given = ""
        self.gold_errors += other.gold_errors
        self.gold_error_samples = _keep_first(
            self.gold_error_samples, other.gold_error_samples, self.error_samples
        )
        self.input_errors += other.input_errors
        for kind, count in other.input_error_kinds.items():
            self.input_error_kinds[kind] = self.input_error_kinds.get(kind, 0) + count
        self.input_error_samples = _keep_first(
            self.input_error_samples, other.input_error_samples, self.error_samples
        )
        return self

    def merge(self, other: Report) -> Report:
        """A new report holding the counts of both (neither operand changes)."""
        return self.copy().update(other)

    def __add__(self, other: Report) -> Report:
        if not isinstance(other, Report):
            return NotImplemented
        return self.merge(other)

    def __radd__(self, other: object) -> Report:
        if other == 0:  # so that sum(reports) works
            return self.copy()
        if not isinstance(other, Report):
            return NotImplemented
        return other.merge(self)

    def shift_lines(self, offset: int) -> Report:
        """Move every line number the report holds on by `offset`, in place: a report of a
        part of a file, counted from 1, joins the reports of the parts before it."""
        if offset:
            self.format_error_lines = [line + offset for line in self.format_error_lines]
            self.code_lines = {
                code: [line + offset for line in lines] for code, lines in self.code_lines.items()
            }
            self.gold_error_samples = [
                (line + offset, reason) for line, reason in self.gold_error_samples
            ]
            self.input_error_samples = [
                (line + offset, kind, reason) for line, kind, reason in self.input_error_samples
            ]
            self.code_examples = {
                code: [example._replace(line=example.line + offset) for example in examples]
                for code, examples in self.code_examples.items()
            }
            for entry in self.error_records:
                entry["line"] += offset
        return self

    def copy(self) -> Report:
        """A deep copy (the counts are not shared)."""
        return Report.from_dict(self.to_dict())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Report):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable counts

    # ---- derived figures ------------------------------------------------------------------
    @property
    def exact(self) -> ExactFigures:
        """The figures as exact Fractions (the properties of the report are their floats)."""
        return ExactFigures(self)

    @property
    def format_error_rate(self) -> float | None:
        """Wrongly formatted outputs / outputs scored."""
        return _float(self.exact.format_error_rate)

    @property
    def coverage(self) -> float | None:
        """Outputs with no format error / outputs scored."""
        return _float(self.exact.coverage)

    def as_wrong(self) -> dict[str, float | None]:
        """The headline scores where an output with a format error counts as wrong."""
        return {name: _float(value) for name, value in self.exact.as_wrong().items()}

    def ordered_codes(self) -> list[str]:
        """The codes seen, in the order of the CODES catalogue (unknown codes last)."""
        return sorted(self.codes, key=code_order)

    def severities(self, code: str) -> dict[str, int]:
        """The outputs carrying `code`, by the worst severity it was raised with in each output,
        worst first (zero counts left out)."""
        counts = self.code_severities.get(code, {})
        return {s: counts[s] for s in sorted(counts, key=severity_order) if counts[s]}

    # The figures of a classification task, read from its scorer (the names Report always had).
    @property
    def classification(self) -> ClassificationScorer:
        """The scorer, when it is a ClassificationScorer; AttributeError otherwise."""
        if isinstance(self.scorer, ClassificationScorer):
            return self.scorer
        raise AttributeError(f"a report scored by {self.scorer.kind} has no confusion matrices")

    @property
    def aspects(self) -> tuple[str, ...]:
        """The task's aspects, in its order."""
        return self.classification.aspects

    @property
    def labels(self) -> tuple[str, ...]:
        """The task's labels: the rows and columns of the confusion matrices."""
        return self.classification.labels

    @property
    def weights(self) -> tuple[tuple[float, ...], ...]:
        """The kappa agreement weights (rows gold, columns predicted)."""
        return self.classification.weights

    @property
    def confusion(self) -> dict[str, list[list[int]]]:
        """The confusion matrix of each aspect (rows gold, columns predicted)."""
        return self.classification.confusion

    @property
    def sentence_correct(self) -> int:
        """Outputs whose every aspect is right."""
        return self.classification.sentence_correct

    @property
    def pooled(self) -> list[list[int]]:
        """The confusion matrix summed over aspects."""
        return self.classification.pooled

    @property
    def accuracy(self) -> float | None:
        """Correct (output, aspect) pairs / all pairs."""
        return _float(self.classification.accuracy)

    @property
    def sentence_accuracy(self) -> float | None:
        """Outputs whose every aspect is right / outputs."""
        return _float(self.classification.sentence_accuracy)

    @property
    def kappa(self) -> float | None:
        """Weighted kappa of the pooled matrix (the reported κ)."""
        return _float(self.classification.kappa)

    def aspect_accuracy(self, aspect: str) -> float | None:
        """Accuracy of one aspect."""
        return _float(self.classification.aspect_accuracy(aspect))

    def aspect_kappa(self, aspect: str) -> float | None:
        """Weighted kappa of one aspect."""
        return _float(self.classification.aspect_kappa(aspect))

    def per_class(self, matrix: Sequence[Sequence[int]]) -> dict[str, dict[str, Any]]:
        """Precision, recall, gold and predicted counts of each label on one matrix."""
        return self.classification.per_class(matrix)

    # ---- serialization --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every count and figure, unrounded; `from_dict` reads it back (for merging elsewhere).

        `records` counts every record read; `n` the outputs scored, i.e. records that are
        neither input errors nor gold errors; rates and accuracies are over `n`. Undefined
        figures (no outputs; precision of a label never predicted, recall of a label absent
        from the gold) are None, not 0. Figures are computed exactly and rounded once.

        Keys in order: the run, the envelope's counts, the scorer's counts and figures, the bad
        lines, then the setup (the scorer's, e.g. kappa_weights, and the sample limits).
        """
        scores = self.scorer.to_dict()
        setup = self.scorer.setup_keys
        out: dict[str, Any] = {
            "file": self.source,
            "task": self.task,
            "design": self.design,
            "profile": self.profile,
        }
        if self.design_given:
            out["design_given"] = self.design_given
        if self.scorer.kind != DEFAULT_SCORER:
            out["scorer"] = self.scorer.kind
        if self.predictions_only:
            out["predictions_only"] = True
        out.update(
            {
                "records": self.records,
                "n": self.n,
                "format_errors": self.format_errors,
                "format_error_rate": metrics.to_float(self.exact.format_error_rate),
                "coverage": metrics.to_float(self.exact.coverage),
                "format_error_lines": list(self.format_error_lines),
                "codes": {code: self.codes[code] for code in self.ordered_codes()},
                "code_severities": {code: self.severities(code) for code in self.ordered_codes()},
                "code_lines": {
                    code: list(self.code_lines.get(code, [])) for code in self.ordered_codes()
                },
                "code_examples": {
                    code: [e.to_dict() for e in self.code_examples[code]]
                    for code in self.ordered_codes()
                    if self.code_examples.get(code)
                },
            }
        )
        for key, value in scores.items():  # the envelope's own keys (such as n) come first
            if key not in setup:
                out.setdefault(key, value)
        if not self.predictions_only:
            out["format_error_as_wrong"] = {
                key: metrics.to_float(value) for key, value in self.exact.as_wrong().items()
            }
            if self.clean_counted:
                out["clean_hits"] = self.clean_hits
                if isinstance(self.scorer, ClassificationScorer):
                    out["clean_sentences"] = self.clean_sentences
        out.update(
            {
                "gold_errors": self.gold_errors,
                "gold_error_samples": [
                    {"line": line, "reason": reason} for line, reason in self.gold_error_samples
                ],
                "input_errors": self.input_errors,
                "input_error_kinds": dict(sorted(self.input_error_kinds.items())),
                "input_error_samples": [
                    {"line": line, "kind": kind, "reason": reason}
                    for line, kind, reason in self.input_error_samples
                ],
            }
        )
        out.update({key: scores[key] for key in setup})
        out.update({"samples": self.samples, "error_samples": self.error_samples,
                    "examples": self.examples})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Report:
        """A report from `to_dict` output (e.g. JSON from another machine), counts intact."""
        scorer = scorer_class(data.get("scorer", DEFAULT_SCORER)).from_dict(data)
        return cls(
            task=data["task"],
            design=data["design"],
            profile=data["profile"],
            scorer=scorer,
            source=data.get("file", ""),
            samples=data.get("samples", DEFAULT_SAMPLES),
            error_samples=data.get("error_samples", DEFAULT_ERROR_SAMPLES),
            records=data["records"],
            n=data["n"],
            format_errors=data["format_errors"],
            codes=dict(data["codes"]),
            code_severities=_code_severities(data),
            code_lines={c: list(v) for c, v in data.get("code_lines", {}).items()},
            examples=data.get("examples", DEFAULT_EXAMPLES),
            code_examples={
                c: [Example.from_dict(e) for e in v]
                for c, v in data.get("code_examples", {}).items()
            },
            format_error_lines=list(data.get("format_error_lines", [])),
            clean_hits=int(data.get("clean_hits", 0)),
            clean_sentences=int(data.get("clean_sentences", 0)),
            clean_counted="clean_hits" in data or not data["n"] or "predictions_only" in data,
            design_given=data.get("design_given", ""),
            gold_errors=data["gold_errors"],
            gold_error_samples=[(e["line"], e["reason"]) for e in data["gold_error_samples"]],
            input_errors=data["input_errors"],
            input_error_kinds=dict(data["input_error_kinds"]),
            input_error_samples=[
                (e["line"], e["kind"], e["reason"]) for e in data["input_error_samples"]
            ],
        )

    def to_text(self) -> str:
        """The readable terminal report of one file (what `sdeparse eval` prints)."""
        return render_text(self)

    def __repr__(self) -> str:
        """One short line: what was evaluated and the headline figures."""
        name = self.source or "<records>"
        figures = [f"n={self.n}", f"format_errors={self.format_errors}"]
        for key, value in self.scorer.headline().items():
            figures.append(f"{key}={'None' if value is None else f'{float(value):.4f}'}")
        return (f"<Report {name} {self.task}/{self.design}/{self.profile} "
                f"{' '.join(figures)}>")


class ExactFigures:
    """A report's figures as exact Fractions (None where undefined), read from its counts."""

    def __init__(self, report: Report) -> None:
        self._report = report

    @property
    def format_error_rate(self) -> Fraction | None:
        """Wrongly formatted outputs / outputs scored."""
        r = self._report
        return metrics.ratio(r.format_errors, r.n)

    @property
    def coverage(self) -> Fraction | None:
        """Outputs with no format error / outputs scored."""
        r = self._report
        return metrics.ratio(r.n - r.format_errors, r.n)

    def as_wrong(self) -> dict[str, Fraction | None]:
        """Headline scores where an output with a format error counts as wrong: for a
        classification task every slot of it is wrong (pair and sentence accuracy); for an
        extraction task its true positives count as false positives and as misses."""
        r = self._report
        scorer = r.scorer
        if not r.clean_counted:  # a report dict from before these counts: unknown
            keys = scorer.headline() if isinstance(scorer, ExtractionScorer) else (
                {"accuracy": None, "sentence_accuracy": None})
            return dict.fromkeys(keys)
        if isinstance(scorer, ClassificationScorer):
            pairs = r.n * len(scorer.aspects)
            return {
                "accuracy": metrics.ratio(r.clean_hits, pairs),
                "sentence_accuracy": metrics.ratio(r.clean_sentences, r.n),
            }
        if isinstance(scorer, ExtractionScorer):
            m = scorer.micro
            lost = m.tp - r.clean_hits
            counts = type(m)(tp=r.clean_hits, fp=m.fp + lost, fn=m.fn + lost)
            return {"f1": _f1(counts), "precision": _precision(counts), "recall": _recall(counts)}
        return {}

    @property
    def accuracy(self) -> Fraction | None:
        """Correct (output, aspect) pairs / all pairs."""
        return self._report.classification.accuracy

    @property
    def sentence_accuracy(self) -> Fraction | None:
        """Outputs whose every aspect is right / outputs."""
        return self._report.classification.sentence_accuracy

    @property
    def kappa(self) -> Fraction | None:
        """Weighted kappa of the pooled matrix."""
        return self._report.classification.kappa

    def aspect_accuracy(self, aspect: str) -> Fraction | None:
        """Accuracy of one aspect."""
        return self._report.classification.aspect_accuracy(aspect)

    def aspect_kappa(self, aspect: str) -> Fraction | None:
        """Weighted kappa of one aspect."""
        return self._report.classification.aspect_kappa(aspect)

    def headline(self) -> dict[str, Fraction | None]:
        """The scorer's headline figures (kappa and accuracies, or f1, precision, recall)."""
        return self._report.scorer.headline()

    def __repr__(self) -> str:
        return f"<exact figures of {self._report!r}>"


def _code_severities(data: Mapping[str, Any]) -> dict[str, dict[str, int]]:
    """The per-severity counts of a report dict; outputs a dict written before severities were
    counted does not attribute to one are kept under UNRECORDED (never under a guessed one)."""
    given = data.get("code_severities", {})
    out: dict[str, dict[str, int]] = {}
    for code, count in data["codes"].items():
        counts = {str(s): int(n) for s, n in given.get(code, {}).items() if n}
        missing = count - sum(counts.values())
        if missing > 0:
            counts[UNRECORDED] = counts.get(UNRECORDED, 0) + missing
        out[code] = counts
    return out
