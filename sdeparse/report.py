"""The evaluation report: an envelope of counts around a scorer, so that reports merge exactly.

A Report counts what concerns every kind of task (records read, outputs scored, format errors,
diagnostic codes, input and gold errors) and holds a scorer (`sdeparse.scoring`) that counts
what was predicted against the gold: confusion matrices for classification tasks. Both keep
integers and bounded samples (the first few line numbers of each code, the first few bad
lines), never a result per record: the size does not grow with the input. Figures are derived
on demand from the counts, so ``a + b`` over two halves of a file is the report over the whole,
whichever process or machine computed each half. Rendering lives in `sdeparse.render_text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

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
from .scoring.extraction import Matching, Normalization
from .task import TaskKind

# render_summary and render_text are re-exported: they lived here before sdeparse.render_text.
__all__ = [
    "DEFAULT_ERROR_SAMPLES",
    "DEFAULT_SAMPLES",
    "DEFAULT_SCORER",
    "INPUT_ERROR_KINDS",
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
    format_error_lines: list[int] = field(default_factory=list)
    gold_errors: int = 0
    gold_error_samples: list[tuple[int, str]] = field(default_factory=list)
    input_errors: int = 0
    input_error_kinds: dict[str, int] = field(default_factory=dict)
    input_error_samples: list[tuple[int, str, str]] = field(default_factory=list)

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
        )

    # ---- accumulating ---------------------------------------------------------------------
    def add(self, line: int, result: ParseResult, gold: Any) -> None:
        """Count one scored output: its parse `result` against the gold, which is the gold
        labels (a mapping) for a classification task, the gold (type, span) pairs for an
        extraction task (scored against `result.extractions`)."""
        self.records += 1
        self.n += 1
        if result.is_format_error:
            self.format_errors += 1
            if len(self.format_error_lines) < self.samples:
                self.format_error_lines.append(line)
        if not result.diagnostics and result.kind is TaskKind.CLASSIFICATION:
            self.scorer.add(gold, result.labels)  # most outputs: nothing else to count
            return
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
        if result.kind is TaskKind.EXTRACTION:
            if not isinstance(self.scorer, ExtractionScorer):
                raise TypeError(f"an extraction result cannot be scored by {self.scorer.kind}")
            self.scorer.add(gold, result.extractions, result.unpaired)
        else:
            self.scorer.add(gold, result.labels)

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
        self.format_error_lines = _keep_first(
            self.format_error_lines, other.format_error_lines, self.samples
        )
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
    def format_error_rate(self) -> Fraction | None:
        """Wrongly formatted outputs / outputs scored."""
        return metrics.ratio(self.format_errors, self.n)

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
    def accuracy(self) -> Fraction | None:
        """Correct (output, aspect) pairs / all pairs."""
        return self.classification.accuracy

    @property
    def sentence_accuracy(self) -> Fraction | None:
        """Outputs whose every aspect is right / outputs."""
        return self.classification.sentence_accuracy

    @property
    def kappa(self) -> Fraction | None:
        """Weighted kappa of the pooled matrix (the reported κ)."""
        return self.classification.kappa

    def aspect_accuracy(self, aspect: str) -> Fraction | None:
        """Accuracy of one aspect."""
        return self.classification.aspect_accuracy(aspect)

    def aspect_kappa(self, aspect: str) -> Fraction | None:
        """Weighted kappa of one aspect."""
        return self.classification.aspect_kappa(aspect)

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
        if self.scorer.kind != DEFAULT_SCORER:
            out["scorer"] = self.scorer.kind
        out.update(
            {
                "records": self.records,
                "n": self.n,
                "format_errors": self.format_errors,
                "format_error_rate": metrics.to_float(self.format_error_rate),
                "format_error_lines": list(self.format_error_lines),
                "codes": {code: self.codes[code] for code in self.ordered_codes()},
                "code_severities": {code: self.severities(code) for code in self.ordered_codes()},
                "code_lines": {
                    code: list(self.code_lines.get(code, [])) for code in self.ordered_codes()
                },
            }
        )
        for key, value in scores.items():  # the envelope's own keys (such as n) come first
            if key not in setup:
                out.setdefault(key, value)
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
        out.update({"samples": self.samples, "error_samples": self.error_samples})
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
            format_error_lines=list(data.get("format_error_lines", [])),
            gold_errors=data["gold_errors"],
            gold_error_samples=[(e["line"], e["reason"]) for e in data["gold_error_samples"]],
            input_errors=data["input_errors"],
            input_error_kinds=dict(data["input_error_kinds"]),
            input_error_samples=[
                (e["line"], e["kind"], e["reason"]) for e in data["input_error_samples"]
            ],
        )

    def to_text(self) -> str:
        """The readable terminal report of one file."""
        return render_text(self)


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
