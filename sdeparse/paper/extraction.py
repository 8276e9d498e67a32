"""The released MAVEN evaluation of the tuples design, without its faults.

What it decides, rule by rule:

1. Reading. The empty string is the only format error (an "empty output"). Otherwise the
   output is split on newlines and each line, stripped, is read as a Python literal by
   `sdeparse.paper.pyliteral` (never by Python itself). A line that is not a literal, or is
   ``[]``, is skipped silently. Any other literal gives one predicted item: the strings it
   iterates to, each stripped and lower-cased, so ``["Motion", "flew"]`` gives the pair
   ("motion", "flew"). The gold is read from the target the same way, lower-cased but not
   stripped.
2. Soft matching. The predicted items are de-duplicated; then each one's trigger (its second
   string) is compared with every gold trigger of the output, whatever its type, by
   ``difflib.SequenceMatcher(a=pred, b=gold).ratio()``, and replaced by the first gold
   trigger with the best ratio when that ratio is above 0.5 (stripped and lower-cased, as the
   released code does).
3. Counting. TP = de-duplicated, soft-replaced items equal to a gold item; FP = predicted
   items before de-duplication minus TP; FN = gold items minus TP; micro precision, recall and
   F1 over the file, 0 where a denominator is 0.

Where the released script crashes, this module does something defined instead, each also
said where it happens:

* gold empty but something predicted (``max`` of nothing): no soft matching, every prediction
  is a false positive;
* a literal line that is not a sequence of strings (a number, ``None``, a list holding a
  number or a list), or an item of fewer than two strings (``()``, ``["Motion"]``, ``"a"``):
  one predicted item that matches nothing, so one false positive; an item of three or more
  strings counts the same way, as the released script counts it;
* a gold line that is a literal but not a sequence of strings is left out of the gold;
* lines the literal reader leaves undecided (`Verdict.OUTSIDE_SUBSET`: comments, dicts, sets,
  bytes, carriage returns) are skipped like lines that are not literals, where the released
  script would count some of them as items or crash on them.

Kept on purpose, to reproduce the released figures: soft matching lets two predictions claim
one gold pair, so TP can exceed the gold count (recall above 1, a negative FN for the output);
strict matching (`sdeparse.scoring.extraction`) is the one-to-one alternative.

Designs. The script has a branch for each of MAVEN's designs (``heuristic`` = tuples, ``ou``,
``numerical``, ``lines``, ``json``); `read_output` reads an output of any extraction design by
its branch, with the task's separators, placeholder and JSON keys, and defines what happens
where a branch crashes (see `_pairs_rules` and `_json_rules`). The pairs designs of a task
whose spans are quoted cannot be read by the script's bare splitting: `check_paper_design`
refuses them (a ProfileError).

Per-type counts (not in the released report) follow the item's type: a de-duplicated item
counts its TP under its type, FP and FN likewise; items that are no pair count under "other".
"""

from __future__ import annotations

import ast
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import Enum
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..design import Design, Format
from ..profiles import ProfileError
from ..scoring.extraction import ExtractionScorer, Matching, Normalization, TypeCounts
from ..task import Quoting, Task
from .pyliteral import read_literal
from .reader import syntax_tree

__all__ = [
    "MAVEN_TYPES",
    "SOFT_MATCH_THRESHOLD",
    "LineFate",
    "PaperDesignError",
    "PaperExtractionEvaluation",
    "PaperReading",
    "check_paper_design",
    "TuplesReading",
    "evaluate_outputs",
    "paper_counts",
    "paper_pair_counts",
    "read_output",
    "read_released",
    "read_tuples_gold",
    "read_tuples_output",
    "soft_match",
]

#: The MAVEN subset's event types, in the task's order (numeric codes 0-9).
MAVEN_TYPES = (
    "Catastrophe",
    "Attack",
    "Hostile_encounter",
    "Causation",
    "Process_start",
    "Competition",
    "Motion",
    "Social_event",
    "Killing",
    "Conquering",
)

#: A predicted trigger is replaced by a gold one whose similarity ratio is above this.
SOFT_MATCH_THRESHOLD = 0.5

#: One predicted or gold item: the strings of one literal line (a pair when there are two).
Item = tuple[str, ...]


class LineFate(Enum):
    """What became of one line of a tuples output."""

    ITEM = "item"  # a literal iterating to strings: one predicted item
    UNREADABLE = "unreadable"  # a literal of another shape: one prediction matching nothing
    EMPTY_LIST = "empty_list"  # [] : skipped
    NOT_A_LITERAL = "not_a_literal"  # skipped (includes lines outside the reader's subset)


@dataclass
class TuplesReading:
    """The predicted items of one output, and how its lines fared."""

    items: list[Item] = field(default_factory=list)
    #: literal lines that are no sequence of strings (each one false positive)
    unreadable: int = 0
    #: lines skipped: not literals, or []
    skipped: int = 0
    #: the output was the empty string: the one format error of the tuples design
    empty: bool = False

    @property
    def format_error(self) -> bool:
        """Whether the released evaluation counts the output as wrongly formatted."""
        return self.empty


def _strings(value: Any) -> list[str] | None:
    """The strings a literal iterates to (a str gives its characters), or None if it cannot."""
    if not isinstance(value, (list, tuple, str)):
        return None
    elements = list(value)
    return elements if all(isinstance(e, str) for e in elements) else None


def _line_fate(line: str) -> tuple[LineFate, list[str]]:
    reading = read_literal(line.strip())
    if not reading.is_literal:
        return LineFate.NOT_A_LITERAL, []
    if isinstance(reading.value, list) and not reading.value:
        return LineFate.EMPTY_LIST, []
    strings = _strings(reading.value)
    if strings is None:
        return LineFate.UNREADABLE, []
    return LineFate.ITEM, strings


def read_tuples_output(text: str) -> TuplesReading:
    """Rule 1 on a prediction: items stripped and lower-cased, lines skipped, the verdict."""
    if text == "":
        return TuplesReading(empty=True)
    out = TuplesReading()
    for line in text.split("\n"):
        fate, strings = _line_fate(line)
        if fate is LineFate.ITEM:
            out.items.append(tuple(s.strip().lower() for s in strings))
        elif fate is LineFate.UNREADABLE:
            out.unreadable += 1
        else:
            out.skipped += 1
    return out


def read_tuples_gold(text: str) -> list[Item]:
    """Rule 1 on a target: its items lower-cased, not stripped; other lines left out."""
    items: list[Item] = []
    for line in text.split("\n"):
        fate, strings = _line_fate(line)
        if fate is LineFate.ITEM:
            items.append(tuple(s.lower() for s in strings))
    return items


def soft_match(trigger: str, gold_triggers: Sequence[str]) -> str:
    """Rule 2: the first gold trigger with the best ratio above 0.5, else `trigger` itself.

    Ratios are those of ``SequenceMatcher(a=trigger, b=gold)``. A gold trigger whose upper
    bounds (`real_quick_ratio`, `quick_ratio`) cannot beat the best so far is not compared in
    full; the choice is the same, and a trigger far longer than every gold one costs nothing.
    With no gold trigger the released script crashes; here nothing is replaced.
    """
    best, best_index = SOFT_MATCH_THRESHOLD, -1
    la = len(trigger)
    for index, gold in enumerate(gold_triggers):
        total = la + len(gold)
        if total and 2.0 * min(la, len(gold)) / total <= best:
            continue  # real_quick_ratio, computed without building the matcher
        matcher = SequenceMatcher(a=trigger, b=gold)
        if matcher.quick_ratio() <= best:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_index = ratio, index
    if best_index < 0:
        return trigger
    return gold_triggers[best_index].lower().strip()


def _type_key(item: Item) -> str | None:
    """The type an item counts under: a pair's first string, None for other shapes."""
    return item[0] if len(item) == 2 else None


def paper_counts(
    gold: Sequence[Item], predicted: Sequence[Item], unreadable: int = 0
) -> dict[str | None, TypeCounts]:
    """Rules 2 and 3 on one output's items: TP/FP/FN by type (None: items that are no pair).

    `unreadable` predictions (rule 4's defined behaviour) add false positives under None.
    """
    triggers = [g[1] for g in gold if len(g) >= 2]
    gold_set = set(gold)
    matched: Counter[str | None] = Counter()
    for item in dict.fromkeys(predicted):  # de-duplicated, first occurrence order
        if len(item) >= 2 and triggers:
            item = (item[0], soft_match(item[1], triggers), *item[2:])
        if item in gold_set:
            matched[_type_key(item)] += 1
    counts: dict[str | None, TypeCounts] = {}
    for item in predicted:
        counts.setdefault(_type_key(item), TypeCounts()).fp += 1
    for g in gold:
        counts.setdefault(_type_key(g), TypeCounts()).fn += 1
    for key, tp in matched.items():
        c = counts[key]
        c.tp += tp
        c.fp -= tp
        c.fn -= tp
    if unreadable:
        counts.setdefault(None, TypeCounts()).fp += unreadable
    return counts


def paper_pair_counts(
    gold: Iterable[tuple[str, str]], predicted: Iterable[tuple[str, str]], unpaired: int = 0
) -> dict[str | None, TypeCounts]:
    """Rules 2 and 3 on (type, span) pairs already read: rule 1's case and space handling
    (predictions stripped and lower-cased, gold lower-cased) first. `unpaired` predictions
    that are no pair (`PaperReading.unpaired`) are one false positive each."""
    gold_items = [(t.lower(), s.lower()) for t, s in gold]
    predicted_items = [(t.strip().lower(), s.strip().lower()) for t, s in predicted]
    return paper_counts(gold_items, predicted_items, unpaired)


# ---- every design: what the released script's branches read, made safe ---------------------
@dataclass(frozen=True)
class PaperReading:
    """One output as the released script reads it, in any design: its (type, span) pairs
    (stripped and lower-cased), the predictions that are no pair (each one false positive),
    and the format-error verdict."""

    pairs: tuple[tuple[str, str], ...] = ()
    unpaired: int = 0
    format_error: bool = False
    empty: bool = False


class PaperDesignError(ProfileError):
    """A design the released evaluation has no reading for with this task (see `read_output`)."""


def check_paper_design(task: Task, design: Design) -> None:
    """PaperDesignError when the paper profile cannot read `design` for `task`: the pairs
    designs (natural, lines) split on bare separators, so spans must be written bare."""
    if design.format in (Format.NATURAL, Format.LINES) and task.spans.quoting is not Quoting.NONE:
        raise PaperDesignError(
            f"the paper profile reads {design.name} outputs of {task.name} with the released "
            f"script's bare splitting, which cannot read {task.spans.quoting.value}-quoted "
            "spans: use the strict profile, or the tuples or json design"
        )


def read_output(text: str, task: Task, design: Design) -> PaperReading:
    """An extraction output read by the released script's branch for its design (module
    docstring, "Designs"); never raises on a str, but a PaperDesignError for a design
    `check_paper_design` refuses."""
    if text == "":
        return PaperReading(format_error=True, empty=True)
    if design.format is Format.TUPLES:
        return _tuples_rules(text, task, design)
    if design.is_json:
        return _json_rules(text, task, design)
    check_paper_design(task, design)
    return _pairs_rules(text, task, design)


def _code_type(task: Task, value: Any) -> str | None:
    """The type a numeric code names (an int, or a str int() reads), lower-cased, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not _INT.fullmatch(text):
            return None
        value = int(text)
    if isinstance(value, int) and 0 <= value < len(task.spans.types):
        return task.spans.types[value].name.lower()
    return None


#: What int() reads from a stripped str (ASCII digits only: what a model writes).
_INT = re.compile(r"[+-]?\d+(?:_\d+)*", re.ASCII)


def _tuples_rules(text: str, task: Task, design: Design) -> PaperReading:
    """The ``heuristic`` branch (rule 1). Numeric tuples (``[6, "flew"]``, not in the paper):
    a first element that is a type's code names that type; other non-strings make the line
    unreadable, as in text tuples."""
    if not design.numeric_labels:
        reading = read_tuples_output(text)
        pairs = tuple((i[0], i[1]) for i in reading.items if len(i) == 2)
        unpaired = reading.unreadable + sum(1 for i in reading.items if len(i) != 2)
        return PaperReading(pairs, unpaired, False)
    pair_list: list[tuple[str, str]] = []
    unpaired = 0
    for line in text.split("\n"):
        got = read_literal(line.strip())
        if not got.is_literal or (isinstance(got.value, list) and not got.value):
            continue
        value = got.value
        if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[1], str):
            kind = _code_type(task, value[0]) if not isinstance(value[0], str) else None
            if kind is not None:
                pair_list.append((kind, value[1].strip().lower()))
                continue
        strings = _strings(value)
        if strings is not None and len(strings) == 2:
            pair_list.append((strings[0].strip().lower(), strings[1].strip().lower()))
        else:
            unpaired += 1
    return PaperReading(tuple(pair_list), unpaired, False)


def _pairs_rules(text: str, task: Task, design: Design) -> PaperReading:
    """The ``ou``, ``numerical`` and ``lines`` branches, on the task's separators stripped
    (``;``, ``:``, ``,`` for MAVEN) and its placeholder (``NONE``):

    * a piece is split on the colon: its type is the text before the first colon, its spans
      the text between the first and the second, split on the joiner's comma; each stripped
      and lower-cased;
    * ``ou`` (natural, text types, +omit): a piece without a colon is the pair (piece, "");
      no span is skipped. Natural with text types and every type printed (not in the paper)
      reads the same way, the placeholder span skipped as the numerical branch skips it;
    * ``numerical`` (natural+numeric): a piece whose type is no code of the task, or without
      a colon, crashes the released script; here the piece is a format error and dropped (as
      the MASA script treats an unknown code), unless all its spans are the
      placeholder (the script then passes it silently); each placeholder span is skipped;
    * ``lines``: a line without a colon is the pair (line, ""), a blank line included; a
      line whose whole value is the placeholder is skipped; with numeric types (not in the
      paper) codes are read as in the numerical branch.
    """
    punct = task.punctuation
    colon = punct.key_value.strip() or punct.key_value
    comma = task.spans.joiner.strip() or task.spans.joiner
    placeholder = task.placeholder
    lines = design.format is Format.LINES
    numeric = design.numeric_labels
    separator = "\n" if lines else (punct.pair_separator.strip() or punct.pair_separator)
    pairs: list[tuple[str, str]] = []
    error = False
    for piece in text.split(separator):
        parts = piece.split(colon)
        if len(parts) == 1:
            if numeric:
                error = True
            else:
                pairs.append((piece.strip().lower(), ""))
            continue
        value = parts[1]
        if lines and value.strip() == placeholder:
            continue
        spans = value.split(comma)
        if numeric or not (lines or design.omit_unmentioned):
            spans = [s for s in spans if s.strip() != placeholder]
        if numeric:
            kind = _code_type(task, parts[0])
            if kind is None:
                error = error or bool(spans)
                continue
        else:
            kind = parts[0].strip().lower()
        pairs.extend((kind, s.strip().lower()) for s in spans)
    return PaperReading(tuple(pairs), 0, error)


def _json_rules(text: str, task: Task, design: Design) -> PaperReading:
    """The ``json`` branch: each line a dict literal (read from its syntax tree, nothing
    evaluated) holding the task's type and spans keys. A line that is no literal is a format
    error and skipped, as released; where the script crashes (a literal that is no dict, a key
    missing, a type that is no str, a span list holding a non-str) the line is a format error
    and skipped. Spans: ``[]`` gives nothing, a str is split on commas, a list gives its
    strings, anything else is a format error (as released). Numeric types (not in the paper)
    are read as codes."""
    keys = task.json_keys
    type_key, spans_key = keys.aspect, keys.label
    pairs: list[tuple[str, str]] = []
    error = False
    for line in text.split("\n"):
        value = _dict_value(line)
        if not isinstance(value, dict) or type_key not in value or spans_key not in value:
            error = True
            continue
        kind_value, spans = value[type_key], value[spans_key]
        if design.numeric_labels and not isinstance(kind_value, str):
            kind = _code_type(task, kind_value)
        else:
            kind = kind_value.strip().lower() if isinstance(kind_value, str) else None
        if kind is None:
            error = True
            continue
        if isinstance(spans, list) and not spans:
            continue
        if isinstance(spans, str):
            spans = spans.strip().split(",")
        if not isinstance(spans, list) or not all(isinstance(s, str) for s in spans):
            error = True
            continue
        pairs.extend((kind, s.strip().lower()) for s in spans)
    return PaperReading(tuple(pairs), 0, error)


def _dict_value(line: str) -> Any:
    """What ``ast.literal_eval(line.strip())`` would give when that is a dict (its lists and
    tuples as lists), read by walking the syntax tree; None when it is no dict literal."""
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    tree = syntax_tree(stripped)
    if tree is None or not isinstance(tree.body, ast.Dict):
        return None
    try:
        return _node_value(tree.body, 0)
    except (ValueError, TypeError, RecursionError):
        return None


def _node_value(node: ast.AST, depth: int) -> Any:
    if depth > 100:
        raise ValueError("nested too deeply")
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_node_value(e, depth + 1) for e in node.elts]
    if isinstance(node, ast.Dict):
        out = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                raise ValueError("not a literal")
            out[_node_value(k, depth + 1)] = _node_value(v, depth + 1)  # unhashable: TypeError
        return out
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float, complex))
        and not isinstance(node.operand.value, bool)
    ):
        number = node.operand.value
        return -number if isinstance(node.op, ast.USub) else number
    raise ValueError("not a literal")  # sets, names, calls, operators: no value taken


# ---- a whole file ------------------------------------------------------------------------------
@dataclass
class PaperExtractionEvaluation:
    """The released evaluation's counts over outputs; ``a + b`` covers both sets of outputs."""

    scorer: ExtractionScorer = field(
        default_factory=lambda: ExtractionScorer(
            types=MAVEN_TYPES, normalization=Normalization.LOWER, matching=Matching.PAPER
        )
    )
    #: outputs counted as wrongly formatted (the empty ones)
    format_errors: int = 0
    empty_outputs: int = 0
    #: prediction lines skipped (not literals, or []) and literal lines of no usable shape
    skipped_lines: int = 0
    unreadable_lines: int = 0

    @property
    def n(self) -> int:
        """Outputs scored."""
        return self.scorer.n

    def add(self, prediction: str, target: str) -> None:
        """Score one output against its target (both in the tuples design)."""
        reading = read_tuples_output(prediction)
        gold = read_tuples_gold(target)
        self.format_errors += reading.format_error
        self.empty_outputs += reading.empty
        self.skipped_lines += reading.skipped
        self.unreadable_lines += reading.unreadable
        self.scorer.add_counts(paper_counts(gold, reading.items, reading.unreadable))

    def __add__(self, other: PaperExtractionEvaluation) -> PaperExtractionEvaluation:
        if not isinstance(other, PaperExtractionEvaluation):
            return NotImplemented
        return PaperExtractionEvaluation(
            scorer=self.scorer + other.scorer,
            format_errors=self.format_errors + other.format_errors,
            empty_outputs=self.empty_outputs + other.empty_outputs,
            skipped_lines=self.skipped_lines + other.skipped_lines,
            unreadable_lines=self.unreadable_lines + other.unreadable_lines,
        )

    @property
    def format_error_rate(self) -> Fraction:
        """Wrongly formatted outputs / outputs (0 with no output)."""
        return Fraction(self.format_errors, self.n) if self.n else Fraction(0)

    def to_dict(self) -> dict[str, Any]:
        """The released report's figures (exact floats, unrounded) and the scorer's detail."""
        return {
            "n": self.n,
            "format_errors": self.format_errors,
            "empty_outputs": self.empty_outputs,
            "format_error_rate": float(self.format_error_rate),
            "skipped_lines": self.skipped_lines,
            "unreadable_lines": self.unreadable_lines,
            **{k: v for k, v in self.scorer.to_dict().items() if k != "n"},
        }


def evaluate_outputs(records: Iterable[tuple[str, str]]) -> PaperExtractionEvaluation:
    """The released evaluation over (prediction, target) pairs."""
    evaluation = PaperExtractionEvaluation()
    for prediction, target in records:
        evaluation.add(prediction, target)
    return evaluation


def _json_lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError(f"{path}:{number}: not a JSON object")
            yield record


def read_released(predictions: Path, test: Path | None = None) -> Iterator[tuple[str, str]]:
    """(prediction, target) pairs from the released files.

    `predictions` holds JSON lines with a "prediction" field; the gold is the "output" field of
    the same line of `test` (as the released script pairs them), or, without `test`, the
    "target" field of the prediction line (a JSONL with both fields is enough).
    """
    if test is None:
        for record in _json_lines(predictions):
            yield record["prediction"], record["target"]
        return
    golds = [record["output"] for record in _json_lines(test)]
    count = 0
    for count, record in enumerate(_json_lines(predictions), 1):
        if count > len(golds):
            raise ValueError(f"{predictions} has more lines than {test} ({len(golds)})")
        yield record["prediction"], golds[count - 1]
