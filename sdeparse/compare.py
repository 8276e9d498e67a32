"""Is the difference real? Bootstrap confidence intervals for the main scores of eval runs.

Reports keep counts, not records; a bootstrap needs each record's share of the scores. When
asked (`evaluate_file(..., per_record=RecordScores())`), evaluation hands over, for every
scored output, an alignment key (a digest of its id or of its input text) and a compact
*contribution*: a classification output's (gold, predicted) cell in each slot and whether it
is a format error; an extraction output's TP, FP and FN; the format-error flag alone without
targets. Every main score is a function of the sum of the contributions of the records in a
sample (kappa of the pooled confusion matrix, accuracy, sentence accuracy, micro P/R/F1,
format-error rate), so a resample is scored from one summed integer vector.

Files holding the same inputs (aligned by id or by input text; a key seen k times is paired
occurrence by occurrence) get a *paired* bootstrap of the difference of each score: one
resample of the paired records scores both files. Every file also gets its own percentile
interval. Resample indices come from SplitMix64 over a counter (seeded), written once in
Python and once with numpy (vectorised, used when numpy is installed); both give the same
indices, the sums are integers and the scores exact Fractions, so both engines give the same
intervals to the last bit.
"""

from __future__ import annotations

import functools
import hashlib
import math
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from typing import Any

from .scoring import metrics
from .scoring.classification import ClassificationScorer
from .scoring.extraction import ExtractionScorer, TypeCounts, f1, precision, recall
from .tables import Table

__all__ = [
    "Comparison",
    "Difference",
    "Engine",
    "FileIntervals",
    "Interval",
    "RecordScores",
    "compare",
    "record_key",
    "record_row",
    "resample_indices",
]

DEFAULT_RESAMPLES = 1000
#: Aligned files must pair at least this share of each file's scored records; fewer, and the
#: files are taken to hold different inputs (per-file intervals only).
MIN_PAIRED_SHARE = Fraction(1, 2)

_MASK = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_C1 = 0xBF58476D1CE4E5B9
_C2 = 0x94D049BB133111EB


class Engine(Enum):
    """How resamples are summed: numpy (vectorised) or pure Python (same results)."""

    AUTO = "auto"
    NUMPY = "numpy"
    PYTHON = "python"


class ScoreKind(Enum):
    """What a file's contributions hold (the kind of its report's scorer)."""

    CLASSIFICATION = "classification"
    EXTRACTION = "extraction"
    NONE = "none"


# ---- per-record contributions (computed where records are evaluated) -------------------------
def record_key(value: str) -> bytes:
    """The alignment key of an id or an input text: a 128-bit digest (short to keep, and a
    collision between different texts is out of reach at any file size)."""
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def record_row(scorer: Any, gold: Any, result: Any, before: TypeCounts | None) -> tuple[int, ...]:
    """One scored output's compact contribution, after `scorer` counted it: (format error,
    then the cell gold x labels + predicted of each slot) for a classification scorer;
    (format error, TP, FP, FN) for an extraction scorer (`before` is its micro counts before
    the output); (format error,) without targets."""
    error = int(result.is_format_error)
    if isinstance(scorer, ClassificationScorer):
        size = len(scorer.labels)
        index: Mapping[str, int] = scorer._label_index
        labels = result.labels
        return (error, *(index[gold[a]] * size + index[labels[a]] for a in scorer.aspects))
    if isinstance(scorer, ExtractionScorer) and before is not None:
        after = scorer.micro
        return (error, after.tp - before.tp, after.fp - before.fp, after.fn - before.fn)
    return (error,)


@dataclass(eq=False)
class RecordScores:
    """The per-record contributions of one file, in input order (pass it as `per_record`).

    Rows repeat heavily (a record's slots take few values), so each distinct row is kept once
    and records hold its number: memory is a key and an integer per record.
    """

    keys: list[bytes | None] = field(default_factory=list)
    groups: array[int] = field(default_factory=lambda: array("q"))
    rows: list[tuple[int, ...]] = field(default_factory=list)
    _index: dict[tuple[int, ...], int] = field(default_factory=dict, repr=False)

    def __call__(self, items: Sequence[tuple[Any, tuple[int, ...]]]) -> None:
        """Take one chunk's (key, contribution) pairs."""
        index, rows = self._index, self.rows
        for key, row in items:
            group = index.get(row)
            if group is None:
                group = index[row] = len(rows)
                rows.append(row)
            self.keys.append(key)
            self.groups.append(group)

    def __len__(self) -> int:
        return len(self.groups)


@dataclass(frozen=True)
class _Scoring:
    """How a file's contributions become scores: the additive vector of each distinct row,
    and the scores of a summed vector (exact Fractions, the report's own formulas)."""

    kind: ScoreKind
    labels: tuple[str, ...] = ()
    weights: tuple[tuple[float, ...], ...] = ()

    @classmethod
    def of(cls, scorer: Any) -> _Scoring:
        if isinstance(scorer, ClassificationScorer):
            return cls(ScoreKind.CLASSIFICATION, scorer.labels, scorer.weights)
        if isinstance(scorer, ExtractionScorer):
            return cls(ScoreKind.EXTRACTION)
        return cls(ScoreKind.NONE)

    @property
    def names(self) -> tuple[str, ...]:
        """The main scores, in the order reports show them."""
        if self.kind is ScoreKind.CLASSIFICATION:
            return ("kappa", "accuracy", "sentence_accuracy", "format_error_rate")
        if self.kind is ScoreKind.EXTRACTION:
            return ("f1", "precision", "recall", "format_error_rate")
        return ("format_error_rate",)

    def vector(self, row: tuple[int, ...]) -> tuple[int, ...]:
        """The additive vector of one row: (1, format error, ...) then the kind's counts:
        sentence right and the pooled confusion cells, or TP, FP, FN."""
        if self.kind is ScoreKind.CLASSIFICATION:
            size = len(self.labels)
            cells = [0] * (size * size)
            for cell in row[1:]:
                cells[cell] += 1
            right = all(cell // size == cell % size for cell in row[1:])
            return (1, row[0], int(right), *cells)
        return (1, *row)

    def _kappa(self, matrix: list[list[int]]) -> Fraction:
        """metrics.kappa of a non-empty matrix, in integers: with the weights
        over a common denominator D, kappa = (N·ΣWO − ΣWrc) / (D·N² − ΣWrc), the same
        Fraction with one division instead of one per cell."""
        scaled, d = self._integer_weights
        size = len(matrix)
        rows = [sum(row) for row in matrix]
        pairs = sum(rows)
        cols = [sum(matrix[i][j] for i in range(size)) for j in range(size)]
        observed = sum(scaled[i][j] * matrix[i][j] for i in range(size) for j in range(size))
        expected = sum(scaled[i][j] * rows[i] * cols[j] for i in range(size) for j in range(size))
        denominator = d * pairs * pairs - expected
        if denominator == 0:  # p_e = 1
            return Fraction(0)
        return Fraction(pairs * observed - expected, denominator)

    @functools.cached_property
    def _integer_weights(self) -> tuple[list[list[int]], int]:
        exact = [[metrics.exact(w) for w in row] for row in self.weights]
        d = math.lcm(*(w.denominator for row in exact for w in row))
        return [[int(w * d) for w in row] for row in exact], d

    def scores(self, total: Sequence[int]) -> dict[str, Fraction | None]:
        """The main scores of a summed vector."""
        n, errors = total[0], total[1]
        out: dict[str, Fraction | None] = {}
        if self.kind is ScoreKind.CLASSIFICATION:
            size = len(self.labels)
            matrix = [list(total[3 + i * size : 3 + (i + 1) * size]) for i in range(size)]
            out["kappa"] = self._kappa(matrix) if n else None
            out["accuracy"] = metrics.accuracy(matrix)
            out["sentence_accuracy"] = metrics.ratio(total[2], n)
        elif self.kind is ScoreKind.EXTRACTION:
            counts = TypeCounts(total[2], total[3], total[4])
            out.update(f1=f1(counts), precision=precision(counts), recall=recall(counts))
        out["format_error_rate"] = metrics.ratio(errors, n)
        return out


# ---- resampling ------------------------------------------------------------------------------
def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * _C1) & _MASK
    z = ((z ^ (z >> 27)) * _C2) & _MASK
    return z ^ (z >> 31)


def resample_indices(seed: int, resample: int, n: int) -> list[int]:
    """The record indices (0..n-1, with repeats) of resample number `resample`: SplitMix64
    outputs of the counter resample*n + i + 1 from the mixed seed, reduced modulo n (a bias
    below n / 2**64). The reference the numpy engine reproduces."""
    base = _mix(seed & _MASK)
    start = resample * n + 1
    return [_mix((base + (start + i) * _GAMMA) & _MASK) % n for i in range(n)]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        return None
    return numpy


def _numpy_indices(np: Any, seed: int, resample: int, n: int) -> Any:
    """`resample_indices` vectorised (uint64 arithmetic wraps like the masks above)."""
    base = np.uint64(_mix(seed & _MASK))
    z = np.arange(resample * n + 1, resample * n + n + 1, dtype=np.uint64)
    z *= np.uint64(_GAMMA)
    z += base
    z ^= z >> np.uint64(30)
    z *= np.uint64(_C1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_C2)
    z ^= z >> np.uint64(31)
    return (z % np.uint64(n)).astype(np.intp)


def _resampled_totals(
    groups: Sequence[Sequence[int]],
    vectors: Sequence[Sequence[tuple[int, ...]]],
    resamples: int,
    seed: int,
    engine: Engine,
) -> Iterator[list[tuple[int, ...]]]:
    """For each resample of the n records (every `groups[k]` has one entry per record: its
    row number in file k), the summed vector of each file k over the resampled records. The
    same (groups, vectors) objects given twice are summed once."""
    n = len(groups[0])
    np = _numpy() if engine is not Engine.PYTHON else None
    if engine is Engine.NUMPY and np is None:
        raise RuntimeError('the numpy engine needs numpy: pip install "sdeparse[stats]"')
    slots: dict[tuple[int, int], int] = {}
    unique: list[tuple[Sequence[int], Sequence[tuple[int, ...]]]] = []
    where = []
    for g, v in zip(groups, vectors, strict=True):
        slot = slots.setdefault((id(g), id(v)), len(unique))
        if slot == len(unique):
            unique.append((g, v))
        where.append(slot)
    if np is not None:
        arrays = [(np.asarray(g, dtype=np.intp), np.asarray(v, dtype=np.int64))
                  for g, v in unique]
        for b in range(resamples):
            idx = _numpy_indices(np, seed, b, n)
            sums = [tuple(int(x) for x in np.bincount(a[idx], minlength=len(m)) @ m)
                    for a, m in arrays]
            yield [sums[slot] for slot in where]
        return
    for b in range(resamples):
        idx = resample_indices(seed, b, n)
        sums = []
        for g, v in unique:
            counts = Counter(g[i] for i in idx)
            width = len(v[0])
            sums.append(tuple(
                sum(count * v[row][j] for row, count in counts.items()) for j in range(width)
            ))
        yield [sums[slot] for slot in where]


def _sum(group: Sequence[int], vectors: Sequence[tuple[int, ...]]) -> tuple[int, ...]:
    counts = Counter(group)
    width = len(vectors[0])
    return tuple(sum(c * vectors[row][j] for row, c in counts.items()) for j in range(width))


def percentile(values: Sequence[Fraction], q: Fraction) -> Fraction:
    """The q-quantile of sorted values, linear between order statistics (numpy's default)."""
    h = (len(values) - 1) * q
    low = int(h)
    if low + 1 >= len(values):
        return values[-1]
    return values[low] + (h - low) * (values[low + 1] - values[low])


# ---- results ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Interval:
    """A score (or difference) on all the records and its bootstrap percentile interval;
    `defined` counts the resamples where the score is defined (None outside)."""

    estimate: float | None
    low: float | None
    high: float | None
    defined: int

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": self.estimate, "low": self.low, "high": self.high,
                "defined": self.defined}

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval lies wholly on one side of 0."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True)
class FileIntervals:
    """One file's scores with their intervals (resampling its own scored records)."""

    file: str
    n: int
    scores: dict[str, Interval]

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "n": self.n,
                "scores": {k: v.to_dict() for k, v in self.scores.items()}}


@dataclass(frozen=True)
class Difference:
    """Scores of file a minus file b on their paired records (paired bootstrap), or why the
    files could not be paired (`scores` empty)."""

    a: str
    b: str
    paired: int
    n_a: int
    n_b: int
    scores: dict[str, Interval]
    reason: str = ""

    @property
    def aligned(self) -> bool:
        return not self.reason

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"a": self.a, "b": self.b, "aligned": self.aligned,
                               "paired": self.paired, "n_a": self.n_a, "n_b": self.n_b}
        if self.reason:
            out["reason"] = self.reason
        out["scores"] = {k: v.to_dict() for k, v in self.scores.items()}
        return out


@dataclass(frozen=True)
class Comparison:
    """Per-file intervals and pairwise paired differences of several eval runs."""

    resamples: int
    seed: int
    confidence: float
    engine: str
    alignment: str
    files: list[FileIntervals]
    differences: list[Difference]

    def to_dict(self) -> dict[str, Any]:
        """What `eval --json` prints under "bootstrap"."""
        return {
            "method": "percentile",
            "resamples": self.resamples,
            "seed": self.seed,
            "confidence": self.confidence,
            "engine": self.engine,
            "aligned_by": self.alignment,
            "files": [f.to_dict() for f in self.files],
            "differences": [d.to_dict() for d in self.differences],
        }

    def to_text(self) -> str:
        """The "Intervals" and "Differences" sections of the multi-file eval report."""
        level = f"{self.confidence:.0%}"
        head = (f"{self.resamples:,} resamples, seed {self.seed}, {level} percentile "
                "intervals")
        lines = [f"Intervals (bootstrap of each file's records: {head})"]
        rows: list[tuple[str, ...]] = [("file", "n", "score", "estimate", f"{level} interval")]
        for f in self.files:
            for i, (name, iv) in enumerate(f.scores.items()):
                rows.append((f.file if i == 0 else "", str(f.n) if i == 0 else "", name,
                             _num(iv.estimate), _span(iv)))
        lines += _table(rows)
        if not self.differences:
            return "\n".join(lines) + "\n"
        lines += ["", f"Differences (paired bootstrap, a - b: {head})",
                  f"  aligned by {self.alignment}"]
        rows = [("a - b", "paired", "score", "difference", f"{level} interval", "")]
        notes = []
        for d in self.differences:
            pair = f"{d.a} - {d.b}"
            if not d.aligned:
                notes.append(f"  {pair}: not paired ({d.reason})")
                continue
            for i, (name, iv) in enumerate(d.scores.items()):
                rows.append((pair if i == 0 else "",
                             f"{d.paired} of {d.n_a}/{d.n_b}" if i == 0 else "", name,
                             _num(iv.estimate, True), _span(iv, True),
                             "*" if iv.excludes_zero else ""))
        if len(rows) > 1:
            lines += _table(rows)
            if any(row[-1] for row in rows[1:]):
                lines.append("  * the interval excludes 0")
        lines += notes
        return "\n".join(lines) + "\n"


    def as_table(self) -> Table:
        """The paired differences (or, when no two files pair, the per-file intervals) as a
        `tables.Table`: the comparison section of ``--html`` and ``--table``."""
        level = f"{self.confidence:.0%}"
        paired = [d for d in self.differences if d.aligned]
        rows: list[tuple[str, ...]] = []
        numbers: list[tuple[str, ...]] = []
        if paired:
            title = (f"Differences a - b (paired bootstrap, {self.resamples:,} resamples, seed "
                     f"{self.seed}, {level} percentile intervals; aligned by {self.alignment})")
            header = ("a - b", "paired", "score", "difference", "low", "high", "excludes 0")
            for d in paired:
                for name, iv in d.scores.items():
                    head = (f"{d.a} - {d.b}", str(d.paired), name)
                    mark = "yes" if iv.excludes_zero else ""
                    rows.append((*head, _num(iv.estimate, True), _num(iv.low, True),
                                 _num(iv.high, True), mark))
                    numbers.append((*head, *map(_plain, (iv.estimate, iv.low, iv.high)), mark))
        else:
            title = (f"Intervals (bootstrap, {self.resamples:,} resamples, seed {self.seed}, "
                     f"{level} percentile intervals)")
            header = ("file", "n", "score", "estimate", "low", "high", "excludes 0")
            for f in self.files:
                for name, iv in f.scores.items():
                    head = (f.file, str(f.n), name)
                    rows.append((*head, _num(iv.estimate), _num(iv.low), _num(iv.high), ""))
                    numbers.append((*head, *map(_plain, (iv.estimate, iv.low, iv.high)), ""))
        right = (False, True, False, True, True, True, False)
        return Table(header, tuple(rows), title, tuple(numbers), right)


def _plain(value: float | None) -> str:
    """A figure for CSV: the number as Python writes it, empty when undefined."""
    return "" if value is None else repr(value)


def _num(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4f}" if signed else f"{value:.4f}"


def _span(iv: Interval, signed: bool = False) -> str:
    if iv.low is None or iv.high is None:
        return "-"
    return f"[{_num(iv.low, signed)}, {_num(iv.high, signed)}]"


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for k, row in enumerate(rows):
        cells = [c.ljust(w) if i in (0, 1, 2) else c.rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        out.append("  " + "  ".join(cells).rstrip())
        if k == 0:
            out.append("  " + "  ".join("-" * w if row[i] else " " * w
                                         for i, w in enumerate(widths)).rstrip())
    return out


# ---- the bootstrap ---------------------------------------------------------------------------
def _interval(estimate: Fraction | None, values: list[Fraction], low_q: Fraction,
              high_q: Fraction) -> Interval:
    values.sort()
    if not values:
        return Interval(metrics.to_float(estimate), None, None, 0)
    return Interval(metrics.to_float(estimate), float(percentile(values, low_q)),
                    float(percentile(values, high_q)), len(values))


def _pairs(a: RecordScores, b: RecordScores) -> tuple[list[int], list[int]]:
    """Positions of the records of a and b with the same key (the k-th record with a key in
    a pairs with the k-th with it in b); records without a key pair with none."""
    seen: Counter[bytes] = Counter()
    where: dict[tuple[bytes, int], int] = {}
    for i, key in enumerate(b.keys):
        if key is not None:
            where[(key, seen[key])] = i
            seen[key] += 1
    seen.clear()
    left, right = [], []
    for i, key in enumerate(a.keys):
        if key is None:
            continue
        j = where.get((key, seen[key]))
        seen[key] += 1
        if j is not None:
            left.append(i)
            right.append(j)
    return left, right


@dataclass
class _Analysis:
    """One bootstrap to run: the files it scores (their numbers) and, for each, the row number
    of every record resampled (one file's own records, or a pair's paired records)."""

    ks: list[int]
    groups: list[Sequence[int]]
    full: list[dict[str, Fraction | None]] = field(default_factory=list)
    samples: list[list[dict[str, Fraction | None]]] = field(default_factory=list)


def compare(
    runs: Sequence[tuple[str, Any, RecordScores]],
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    confidence: float = 0.95,
    engine: Engine | str = Engine.AUTO,
    alignment: str = "the input text (field prompt)",
) -> Comparison:
    """Bootstrap intervals of each run (name, Report, its RecordScores) and paired intervals
    of the difference a - b of each pair of runs (in the order given) whose records align.

    `alignment` only says, in the output, what the keys were made from. Analyses over the same
    number of records share each resample's indices (drawn once), and identical row-number
    lists (a pair aligned in file order is its files' own) are summed once.
    """
    engine = Engine(engine)
    if engine is Engine.AUTO:
        engine = Engine.NUMPY if _numpy() is not None else Engine.PYTHON
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    tail = (1 - Fraction(str(confidence))) / 2
    low_q, high_q = tail, 1 - tail
    scorings = [_Scoring.of(report.scorer) for _, report, _ in runs]
    vectors = [[s.vector(row) for row in scores.rows]
               for s, (_, _, scores) in zip(scorings, runs, strict=True)]
    cache: dict[tuple[int, tuple[int, ...]], dict[str, Fraction | None]] = {}

    def scores_of(k: int, total: tuple[int, ...]) -> dict[str, Fraction | None]:
        found = cache.get((k, total))
        if found is None:
            if len(cache) > 200_000:
                cache.clear()
            found = cache[(k, total)] = scorings[k].scores(total)
        return found

    own = {k: _Analysis([k], [scores.groups]) for k, (_, _, scores) in enumerate(runs)
           if len(scores)}
    pairs: dict[tuple[int, int], _Analysis | Difference] = {}
    for i in range(len(runs)):
        for j in range(i + 1, len(runs)):
            pairs[(i, j)] = _pair_analysis(runs, i, j)
    analyses = [*own.values(), *(a for a in pairs.values() if isinstance(a, _Analysis))]
    for analysis in analyses:
        analysis.full = [scores_of(k, _sum(g, vectors[k]))
                         for k, g in zip(analysis.ks, analysis.groups, strict=True)]
    for n in sorted({len(a.groups[0]) for a in analyses}):
        batch = [a for a in analyses if len(a.groups[0]) == n]
        members = [(k, g) for a in batch for k, g in zip(a.ks, a.groups, strict=True)]
        totals = _resampled_totals([g for _, g in members], [vectors[k] for k, _ in members],
                                   resamples, seed, engine)
        for sums in totals:
            at = 0
            for a in batch:
                a.samples.append([scores_of(k, sums[at + m]) for m, k in enumerate(a.ks)])
                at += len(a.ks)

    files = []
    for k, (name, _, scores) in enumerate(runs):
        names = scorings[k].names
        if k not in own:
            files.append(FileIntervals(name, 0, {s: Interval(None, None, None, 0)
                                                 for s in names}))
            continue
        values: dict[str, list[Fraction]] = {s: [] for s in names}
        for (sample,) in own[k].samples:
            for s in names:
                value = sample[s]
                if value is not None:
                    values[s].append(value)
        full = own[k].full[0]
        files.append(FileIntervals(name, len(scores), {
            s: _interval(full[s], values[s], low_q, high_q) for s in names}))
    differences = [
        found if isinstance(found, Difference)
        else _difference(runs, scorings, i, j, found, low_q, high_q)
        for (i, j), found in pairs.items()
    ]
    return Comparison(resamples, seed, confidence, engine.value, alignment, files, differences)


def _pair_analysis(runs: Sequence[tuple[str, Any, RecordScores]], i: int,
                   j: int) -> _Analysis | Difference:
    """The paired bootstrap of runs i and j, or the Difference saying why they do not pair."""
    (name_a, _, a), (name_b, _, b) = runs[i], runs[j]
    left, right = _pairs(a, b)
    m = len(left)
    if not m or m < MIN_PAIRED_SHARE * len(a) or m < MIN_PAIRED_SHARE * len(b):
        reason = (f"only {m} of {len(a)} and {len(b)} scored records have the same key "
                  "in both files: they do not hold the same inputs")
        if not any(a.keys) or not any(b.keys):
            reason = "records carry no alignment key (no id field, no input text)"
        return Difference(name_a, name_b, m, len(a), len(b), {}, reason)
    ga = a.groups if left == list(range(len(a))) else array("q", (a.groups[p] for p in left))
    gb = b.groups if right == list(range(len(b))) else array("q", (b.groups[p] for p in right))
    return _Analysis([i, j], [ga, gb])


def _difference(runs: Sequence[tuple[str, Any, RecordScores]], scorings: Sequence[_Scoring],
                i: int, j: int, analysis: _Analysis, low_q: Fraction,
                high_q: Fraction) -> Difference:
    """The intervals of the differences a - b from a paired analysis that has run."""
    (name_a, _, a), (name_b, _, b) = runs[i], runs[j]
    names = [s for s in scorings[i].names if s in scorings[j].names]
    values: dict[str, list[Fraction]] = {s: [] for s in names}
    for sa, sb in analysis.samples:
        for s in names:
            va, vb = sa[s], sb[s]
            if va is not None and vb is not None:
                values[s].append(va - vb)
    estimates: dict[str, Fraction | None] = {}
    for s in names:
        fa, fb = analysis.full[0][s], analysis.full[1][s]
        estimates[s] = None if fa is None or fb is None else fa - fb
    return Difference(name_a, name_b, len(analysis.groups[0]), len(a), len(b),
                      {s: _interval(estimates[s], values[s], low_q, high_q) for s in names})
