"""Diagnostics: small typed records of how an output deviates, and the registry of their codes.

Severity says what happened to the deviation: ``info`` is cosmetic and cannot change the
meaning, ``warning`` was repaired, ``error`` could not be repaired (the aspect got the
placeholder).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ._compat import StrEnum


class Severity(str, Enum):
    """How bad a deviation is; ordered info < warning < error."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:  # Diagnostic(..., severity=warning, ...) reads as it prints
        return self.value


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


class Code(StrEnum):
    """The closed set of diagnostic codes; each value is the stable string shown in JSON output."""

    EMPTY_OUTPUT = "empty_output"
    TRUNCATED = "truncated"
    FORMAT_MISMATCH = "format_mismatch"
    PUNCTUATION = "punctuation"
    JSON_SYNTAX = "json_syntax"
    EXTRA_TEXT = "extra_text"
    EMPTY_ITEM = "empty_item"
    MALFORMED_ITEM = "malformed_item"
    TEMPLATE_ECHO = "template_echo"
    ASPECT_ALIAS = "aspect_alias"
    UNKNOWN_ASPECT = "unknown_aspect"
    DUPLICATE_ASPECT = "duplicate_aspect"
    MISSING_ASPECT = "missing_aspect"
    LABEL_SYNONYM = "label_synonym"
    LABEL_KIND_MISMATCH = "label_kind_mismatch"
    INVALID_LABEL = "invalid_label"
    AMBIGUOUS_LABEL = "ambiguous_label"
    MISSING_FIELD = "missing_field"
    ASPECT_ORDER = "aspect_order"
    UNEXPECTED_PLACEHOLDER = "unexpected_placeholder"
    # labels: values that do not assert their label, notes around a label, repeated answers
    UNASSERTED_LABEL = "unasserted_label"
    LABEL_NOTE = "label_note"
    REPEATED_ANSWER = "repeated_answer"
    # jsonhabits: JSON written by other habits
    JSON_KEY = "json_key"
    # unwrap: chat wrappers and markdown decoration removed before reading (unwrap.py)
    SPECIAL_TOKEN = "special_token"
    REASONING_BLOCK = "reasoning_block"
    MARKDOWN = "markdown"
    # prose: pairs written as sentences or joined by words (layouts/pairs.py)
    PROSE_PAIR = "prose_pair"
    # extraction tasks only (registered in EXTRACTION_CODES)
    MALFORMED_TUPLE = "malformed_tuple"
    UNKNOWN_TYPE = "unknown_type"
    TYPE_ALIAS = "type_alias"
    DUPLICATE_PAIR = "duplicate_pair"
    PLACEHOLDER_MIXED = "placeholder_mixed"
    SPAN_QUOTING = "span_quoting"
    UNGROUNDED_SPAN = "ungrounded_span"

    def __repr__(self) -> str:  # Diagnostic(code=punctuation, ...) reads as it prints
        return str(self.value)

    @property
    def info(self) -> CodeInfo:
        """The registry entry: default severity, summary and an example output."""
        return ALL_CODES[self]

    @property
    def severity(self) -> Severity:
        """The usual severity of this code (a few are raised higher or lower, as said)."""
        return ALL_CODES[self].severity


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One deviation: stable `code`, `severity`, character span [start, end) into the original
    text, a `message` for people and the `repair` applied (empty when nothing was done)."""

    code: Code
    severity: Severity
    start: int
    end: int
    message: str
    repair: str = ""

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "severity": self.severity.value,
            "start": self.start,
            "end": self.end,
            "message": self.message,
            "repair": self.repair,
        }


@dataclass(frozen=True)
class CodeInfo:
    """Registry entry of a diagnostic code: default severity, a summary and an example output."""

    code: Code
    severity: Severity
    summary: str
    example: str


INFO, WARNING, ERROR = Severity.INFO, Severity.WARNING, Severity.ERROR

#: Every code sdeparse emits for a classification task. The severity is the usual one; a few
#: codes are raised with a different severity when the content was (or was not) recovered, as
#: their summaries say. Extraction tasks also raise the codes of `EXTRACTION_CODES`.
CODES: dict[Code, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(
            Code.EMPTY_OUTPUT,
            ERROR,
            "nothing, or only whitespace (under OU the empty string is a "
            "legal answer; whitespace only is info)",
            "",
        ),
        CodeInfo(
            Code.TRUNCATED,
            ERROR,
            "the output ends inside an item: a last pair without its label, "
            "an unclosed JSON object or string (warning when the cut item was complete)",
            "食品评价：中性，饮品评价：未提及，价格",
        ),
        CodeInfo(
            Code.FORMAT_MISMATCH,
            WARNING,
            "the answer is in another design's layout: Natural where "
            "Lines was trained, a JSON array, JSON objects on one line, CoT fields in R-CoT "
            "order, key-value pairs where JSON was trained",
            '[{"方面": "食品评价", "情感": "中性"}, ...]',
        ),
        CodeInfo(
            Code.PUNCTUATION,
            INFO,
            "ASCII or half-width separators, ； or 、 between pairs, stray "
            "spaces, a missing or doubled terminator, JSON spacing (warning when a missing "
            "colon had to be inferred)",
            "食品评价:中性；饮品评价：未提及",
        ),
        CodeInfo(
            Code.JSON_SYNTAX,
            WARNING,
            "single quotes, missing quotes, braces or commas, trailing commas, Python literals",
            "{'方面': '食品评价', '情感': '中性',}",
        ),
        CodeInfo(
            Code.EXTRA_TEXT,
            WARNING,
            "prose, prefixes such as 输出：, code fences, unexpected JSON "
            "fields around or inside the answer",
            "输出：食品评价：中性，...",
        ),
        CodeInfo(
            Code.EMPTY_ITEM,
            WARNING,
            "an empty piece (，，) or a blank line between items",
            "食品评价：中性，，饮品评价：未提及。",
        ),
        CodeInfo(
            Code.MALFORMED_ITEM,
            ERROR,
            "a piece with no recoverable aspect/label split",
            "食品评价：中性，很好吃，饮品评价：未提及。",
        ),
        CodeInfo(
            Code.TEMPLATE_ECHO,
            WARNING,
            "the prompt's format template repeated (方面1：情感类别)",
            "方面1：情感类别，方面2：情感类别，...",
        ),
        CodeInfo(
            Code.ASPECT_ALIAS,
            WARNING,
            "an aspect written as an alias or a variant holding its "
            "keyword; one key naming several aspects fills each of them",
            "食品：中性 (for 食品评价)",
        ),
        CodeInfo(
            Code.UNKNOWN_ASPECT,
            ERROR,
            "a key that names no aspect of the task; the pair is dropped",
            "环境：正面",
        ),
        CodeInfo(
            Code.DUPLICATE_ASPECT,
            WARNING,
            "an aspect given twice; with two different labels it is "
            "an error and the aspect gets the placeholder",
            "食品评价：中性，食品评价：正面",
        ),
        CodeInfo(
            Code.MISSING_ASPECT,
            ERROR,
            "PU design: an aspect of the task is absent",
            "食品评价：中性。 (five aspects absent)",
        ),
        CodeInfo(
            Code.LABEL_SYNONYM,
            WARNING,
            "a label written as a synonym or inside other words",
            "食品评价：积极",
        ),
        CodeInfo(
            Code.LABEL_KIND_MISMATCH,
            WARNING,
            "a text label in a numeric design or a numeric code in a text design",
            "食品评价：1 (text design)",
        ),
        CodeInfo(
            Code.INVALID_LABEL,
            ERROR,
            "a value that names no label (or is empty); the aspect gets the placeholder",
            "食品评价：好吃",
        ),
        CodeInfo(
            Code.AMBIGUOUS_LABEL,
            ERROR,
            "two different labels in one value; the aspect gets the placeholder",
            "食品评价：负面偏正面",
        ),
        CodeInfo(
            Code.MISSING_FIELD,
            ERROR,
            "a CoT/R-CoT object without its description (warning) or "
            "label (error), or a JSON object without its aspect",
            '{"方面": "食品评价", "情感": "中性"} (CoT design)',
        ),
        CodeInfo(
            Code.ASPECT_ORDER,
            INFO,
            "aspects not in the task's canonical order",
            "饮品评价：未提及，食品评价：中性，...",
        ),
        CodeInfo(
            Code.UNEXPECTED_PLACEHOLDER,
            INFO,
            "OU design: an unmentioned aspect printed with the "
            "placeholder instead of being left out",
            "食品评价：中性，饮品评价：未提及。 (OU)",
        ),
        # labels: values that do not assert their label, notes around a label, repeats
        CodeInfo(
            Code.UNASSERTED_LABEL,
            ERROR,
            "a value that names a label but negates, questions or hedges it (or sets it against "
            "a contrast); the aspect gets the placeholder",
            "价格水平：不是负面",
        ),
        CodeInfo(
            Code.LABEL_NOTE,
            WARNING,
            "a label with a degree word, a particle, a parenthetical note or a reason around "
            "it; read as the label",
            "价格水平：负面（价格偏贵）",
        ),
        CodeInfo(
            Code.REPEATED_ANSWER,
            WARNING,
            "the whole answer given again, or repeated until the token limit cut it; the "
            "first copy is read",
            "食品评价：正面，价格水平：负面，食品评价：正面，价格水平：负面，食品",
        ),
        # jsonhabits: JSON written by other habits
        CodeInfo(
            Code.JSON_KEY,
            WARNING,
            "JSON keys spelled otherwise — another language or case (aspect/sentiment for "
            "方面/情感, Aspect) — recognised by what their values are",
            '{"aspect": "食品评价", "sentiment": "中性"}',
        ),
        # unwrap: chat wrappers and markdown decoration removed before reading (unwrap.py)
        CodeInfo(
            Code.SPECIAL_TOKEN,
            INFO,
            "end-of-sequence or chat-template tokens left in the output (</s>, <|im_end|>, "
            "<|im_start|>assistant, <|eot_id|>, [/INST], any <|…|>); removed",
            "食品评价：中性，...，停车方便程度：未提及。</s>",
        ),
        CodeInfo(
            Code.REASONING_BLOCK,
            INFO,
            "a closed <think> (<thinking>, <reasoning>) block, or reasoning ended by a lone "
            "</think>, before the answer; removed (warning when <think> is never closed: only "
            "the tag is removed and the rest read)",
            "<think>食物好吃……</think>食品评价：正面，...",
        ),
        CodeInfo(
            Code.MARKDOWN,
            WARNING,
            "markdown decoration: list bullets or numbering, heading marks, bold, italic or "
            "code marks, a table of the pairs (read one pair per row); removed",
            "- **食品评价**：正面",
        ),
        # prose: pairs written as sentences or joined by words (layouts/pairs.py)
        CodeInfo(
            Code.PROSE_PAIR,
            WARNING,
            "a pair written as a sentence (食品评价为正面, food is positive) or pairs joined "
            "by words (和, and) instead of the separator; read as pairs",
            "食品评价为正面，饮品评价：未提及和价格水平：负面",
        ),
    )
}


#: The codes only extraction tasks raise (they also raise the shared codes of `CODES` whose
#: meaning carries over: empty_output, truncated, format_mismatch, punctuation, json_syntax,
#: extra_text, empty_item, missing_aspect for a type absent from a PU design, aspect_order,
#: unexpected_placeholder, label_kind_mismatch for a type written as its code or the reverse,
#: duplicate_aspect for a type given twice where one item per type was trained; and the
#: unwrap codes special_token, reasoning_block and markdown).
EXTRACTION_CODES: dict[Code, CodeInfo] = {
    info.code: info
    for info in (
        CodeInfo(
            Code.MALFORMED_TUPLE,
            ERROR,
            "a line of the tuples design that is not a [type, span] list: one element, three, "
            "or not a list at all; dropped",
            '["Motion"]',
        ),
        CodeInfo(
            Code.UNKNOWN_TYPE,
            ERROR,
            "a type that names no type of the task (nor an alias); its spans are dropped",
            '["Explosion", "blast"]',
        ),
        CodeInfo(
            Code.TYPE_ALIAS,
            WARNING,
            "a type written with another case, spaces or hyphens for underscores, or as a "
            "declared alias; read as the type",
            "hostile encounter: clash",
        ),
        CodeInfo(
            Code.DUPLICATE_PAIR,
            WARNING,
            "the same (type, span) pair given twice (after the task's normalization); kept once",
            '["Motion", "flew"]\n["Motion", "flew"]',
        ),
        CodeInfo(
            Code.PLACEHOLDER_MIXED,
            ERROR,
            "the placeholder written among the spans of a type; the spans are kept",
            "Motion: NONE, flew",
        ),
        CodeInfo(
            Code.SPAN_QUOTING,
            WARNING,
            "a span or type quoted in another style than the design's (missing quotes, the "
            "other quote), or a quote left unbalanced (error when the span is lost)",
            "'DNA': IL-2 gene",
        ),
        CodeInfo(
            Code.UNGROUNDED_SPAN,
            WARNING,
            "a span that does not occur in the input text (checked only when the input is "
            "given); kept, and scored as predicted",
            '["Motion", "swam"] (input: "The bird flew")',
        ),
    )
}

#: Every registered code, whatever the kind of task.
ALL_CODES: dict[Code, CodeInfo] = {**CODES, **EXTRACTION_CODES}


def make(
    code: Code,
    start: int,
    end: int,
    message: str,
    repair: str = "",
    severity: Severity | None = None,
) -> Diagnostic:
    """A Diagnostic of a registered code, with the code's usual severity unless one is given."""
    return Diagnostic(code, severity or code.severity, start, end, message, repair)
