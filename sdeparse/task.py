"""Tasks as data: aspects (slots), labels, punctuation and JSON keys, from TOML or JSON files.

A task also answers the two lookup questions every parser asks: which aspect does this key
name, and which label does this value name. Both answers say *how* they matched, so the
caller can turn a non-exact match into a diagnostic.
"""

from __future__ import annotations

import json
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import regex

from ._compat import StrEnum
from .design import Design
from .errors import DesignError, TaskError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

#: The built-in classification tasks (fixed slots, closed labels).
BUILTIN_TASKS = ("masa-d1", "masa-d2", "masa-all", "restaurant-en")
#: The built-in extraction tasks (closed types, open span lists): the paper's MAVEN and GENIA.
BUILTIN_EXTRACTION_TASKS = ("maven-ed", "genia-ner")


class TaskKind(StrEnum):
    """What a task's output holds: a label per fixed slot, or (type, span) pairs."""

    CLASSIFICATION = "classification"
    EXTRACTION = "extraction"


class Quoting(StrEnum):
    """How an extraction task's pairs layouts write a span: bare, as a JSON string, or as
    Python's repr writes it (single quotes, double quotes when the span holds a ')."""

    NONE = "none"
    JSON = "json"
    PYTHON = "python"


class Normalization(StrEnum):
    """How spans compare (duplicates, grounding, scoring): case-insensitively, or exactly."""

    CASEFOLD = "casefold"
    EXACT = "exact"


@dataclass(frozen=True)
class SpanType:
    """One type of an extraction task: its name, numeric code (its position) and aliases."""

    name: str
    code: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Extraction:
    """The span settings of an extraction task (the pairs layouts' separators stay in
    `Punctuation`: key_value between type and spans, pair_separator between types)."""

    types: tuple[SpanType, ...]
    quoting: Quoting = Quoting.NONE
    #: What joins several spans of one type in the pairs layouts.
    joiner: str = ", "
    #: What stands between type and span inside a tuple (``", "`` or ``","``).
    tuple_comma: str = ", "
    #: The tuples design's whole output when there is no pair (``[]``, or the empty string).
    empty_tuples: str = "[]"
    normalization: Normalization = Normalization.CASEFOLD

    def normalize(self, span: str) -> str:
        """The form spans are compared in."""
        return span.casefold() if self.normalization is Normalization.CASEFOLD else span

    def type_by_code(self, code: str) -> str | None:
        """The type a numeric code written as text names, or None."""
        text = code.strip()
        if text.isdecimal() and text.isascii() and int(text) < len(self.types):
            return self.types[int(text)].name
        return None


@dataclass(frozen=True)
class Aspect:
    """One slot of the task: its canonical name, exact aliases and keywords for soft matching."""

    name: str
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Label:
    """One label: canonical text, numeric code, exact synonyms and substrings that imply it."""

    name: str
    code: int
    synonyms: tuple[str, ...] = ()
    contains: tuple[str, ...] = ()


@dataclass(frozen=True)
class Punctuation:
    """Canonical separators: between aspect and label, between pairs, and at the end."""

    key_value: str = "："
    pair_separator: str = "，"
    terminator: str = "。"


@dataclass(frozen=True)
class JsonKeys:
    """Key names of the JSON, CoT and R-CoT designs."""

    aspect: str = "方面"
    label: str = "情感"
    description: str = "描述"


class AspectHow(Enum):
    """How a predicted key named aspects: exactly, by an alias, by a keyword it contains, as a
    piece of the prompt's template, or not at all."""

    EXACT = "exact"
    ALIAS = "alias"
    KEYWORD = "keyword"
    TEMPLATE = "template"
    NONE = "none"


class LabelHow(Enum):
    """How a predicted value named a label: exactly, by its numeric code, a synonym, a contained
    substring; or it named two (ambiguous), nothing (empty, invalid), or the template."""

    EXACT = "exact"
    CODE = "code"
    SYNONYM = "synonym"
    CONTAINS = "contains"
    AMBIGUOUS = "ambiguous"
    #: one label with a documented note around it (a degree word, a particle, a reason)
    NOTE = "note"
    #: one label, but negated, questioned, hedged or set against a contrast: not asserted
    UNASSERTED = "unasserted"
    EMPTY = "empty"
    INVALID = "invalid"
    TEMPLATE = "template"


#: The most answers a task remembers per question, and the longest text it remembers one for
#: (a long value is rare and would hold memory).
MEMO_SIZE = 4096
MEMO_TEXT = 256


def _remember(memo: dict[Any, Any], key: Any, answer: Any, size: int | None = None) -> None:
    """Keep `answer` for `key` unless the text is long; the memo is emptied whole when full."""
    if (len(key) if size is None else size) > MEMO_TEXT:
        return
    if len(memo) >= MEMO_SIZE:
        memo.clear()
    memo[key] = answer


@dataclass(frozen=True)
class AspectMatch:
    """Which aspects a key named and how."""

    aspects: tuple[str, ...]
    how: AspectHow


@dataclass(frozen=True)
class LabelMatch:
    """Which label a value named (None when none) and how.

    `kind_mismatch` is set when a numeric code stood where a text label belonged, or the reverse.
    `cue` is the word that kept an unasserted value from asserting its label (``不是``, ``?``).
    """

    label: str | None
    how: LabelHow
    kind_mismatch: bool = False
    candidates: tuple[str, ...] = ()
    cue: str = ""


@dataclass(frozen=True)
class Task:
    """A structured-output task with a fixed list of aspects and a closed label set."""

    name: str
    aspects: tuple[Aspect, ...]
    labels: tuple[Label, ...]
    placeholder: str
    punctuation: Punctuation = Punctuation()
    json_keys: JsonKeys = JsonKeys()
    description: str = ""
    template_pattern: str = ""
    paper_label_rules: tuple[tuple[str, str], ...] = ()
    kappa_weights: tuple[tuple[float, ...], ...] | None = None
    source: str = field(default="", compare=False)
    kind: TaskKind = TaskKind.CLASSIFICATION
    #: The span settings; set exactly when `kind` is extraction.
    extraction: Extraction | None = None
    #: The task's own design names (the paper's), lower-cased, with the design each names.
    design_aliases: tuple[tuple[str, str], ...] = ()

    # ---- derived lookups, built once per task -------------------------------------------
    def __post_init__(self) -> None:
        object.__setattr__(self, "aspect_names", tuple(a.name for a in self.aspects))
        object.__setattr__(self, "label_names", tuple(lab.name for lab in self.labels))
        object.__setattr__(self, "_exact_aspects", {a.name: a.name for a in self.aspects})
        aliases: dict[str, str] = {}
        for aspect in self.aspects:
            aliases[aspect.name.casefold()] = aspect.name
            for alias in aspect.aliases:
                aliases.setdefault(alias.casefold(), aspect.name)
        object.__setattr__(self, "_aliases", aliases)
        object.__setattr__(
            self,
            "_keywords",
            tuple((kw.casefold(), a.name) for a in self.aspects for kw in a.keywords),
        )
        object.__setattr__(self, "_label_by_name", {lab.name: lab for lab in self.labels})
        object.__setattr__(self, "_label_by_code", {str(lab.code): lab.name for lab in self.labels})
        object.__setattr__(self, "code_by_label", {lab.name: lab.code for lab in self.labels})
        synonyms: dict[str, str] = {}
        for lab in self.labels:
            synonyms[lab.name.casefold()] = lab.name
        for lab in self.labels:
            for syn in lab.synonyms:
                synonyms.setdefault(syn.casefold(), lab.name)
        object.__setattr__(self, "_synonyms", synonyms)
        spellings = (*synonyms, *self._label_by_name, *self._label_by_code)
        # no value longer than every spelling is one (casefold never shortens a text)
        object.__setattr__(self, "_longest_label", max(map(len, spellings), default=0))
        contains = tuple(
            (sub.casefold(), lab.name)
            for lab in self.labels
            for sub in (lab.contains or (lab.name,))
        )
        object.__setattr__(self, "_contains", contains)
        object.__setattr__(
            self,
            "_template",
            compile_template(self.template_pattern),
        )
        object.__setattr__(self, "_mentions", _Spellings.of_labels(self.labels))
        # Answers of resolve_aspect / resolve_label by their arguments (both are pure): a few
        # keys and values make up most outputs. Bounded (see `_remember`).
        object.__setattr__(self, "_aspect_memo", {})
        object.__setattr__(self, "_label_memo", {})
        object.__setattr__(
            self,
            "_aspect_spellings",
            _Spellings(
                {
                    spelling.casefold(): a.name
                    for a in self.aspects
                    for spelling in (a.name, *a.aliases, *a.keywords)
                },
                frozenset(),
            ),
        )

    # derived lookups, declared for type checkers; set in __post_init__
    aspect_names: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    label_names: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    code_by_label: Mapping[str, int] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _exact_aspects: Mapping[str, str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _aliases: Mapping[str, str] = field(init=False, repr=False, compare=False, default_factory=dict)
    _keywords: tuple[tuple[str, str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _label_by_name: Mapping[str, Label] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _label_by_code: Mapping[str, str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _synonyms: Mapping[str, str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _contains: tuple[tuple[str, str], ...] = field(
        init=False, repr=False, compare=False, default=()
    )
    _template: Any = field(init=False, repr=False, compare=False, default=None)
    _mentions: _Spellings | None = field(init=False, repr=False, compare=False, default=None)
    _aspect_spellings: _Spellings | None = field(
        init=False, repr=False, compare=False, default=None
    )

    @property
    def is_extraction(self) -> bool:
        """Whether the task extracts (type, span) pairs rather than labelling slots."""
        return self.kind is TaskKind.EXTRACTION

    @property
    def type_names(self) -> tuple[str, ...]:
        """An extraction task's types in its order (empty for a classification task)."""
        return tuple(t.name for t in self.extraction.types) if self.extraction else ()

    @property
    def span_normalization(self) -> str:
        """How an extraction task's spans compare when scored: ``casefold`` or ``exact``."""
        return self.extraction.normalization.value if self.extraction else "casefold"

    @property
    def spans(self) -> Extraction:
        """The span settings of an extraction task (a TaskError for a classification task)."""
        if self.extraction is None:
            raise TaskError(f"{self.name!r} is a classification task: it has no span settings")
        return self.extraction

    def design(self, spec: str | Design) -> Design:
        """A design by the task's own name for it (``heuristic``, ``good1``...) or any name
        `Design.parse` reads."""
        if isinstance(spec, str):
            key = spec.strip().lower()
            for alias, target in self.design_aliases:
                if alias == key:
                    return Design.parse(target)
            if self.design_aliases:
                try:
                    return Design.parse(spec)
                except DesignError as exc:
                    names = ", ".join(alias for alias, _ in self.design_aliases)
                    raise DesignError(f"{exc}; or a design name of {self.name}: {names}") from None
        return Design.parse(spec)

    @property
    def mentioned_labels(self) -> tuple[str, ...]:
        """Every label but the placeholder."""
        return tuple(name for name in self.label_names if name != self.placeholder)

    def label_for_code(self, code: str) -> str | None:
        """The text label of a numeric code written as a string, or None."""
        return self._label_by_code.get(code)

    def is_template(self, text: str) -> bool:
        """Whether `text` is a piece of the prompt's format template (方面1, 情感类别, ...)."""
        if self._template is None:
            return False
        try:
            return bool(self._template.match(text.strip(), timeout=TEMPLATE_TIMEOUT))
        except TimeoutError:  # a pattern slow on this text: it is not read as the template
            return False

    def resolve_aspect(self, key: str) -> AspectMatch:
        """Which aspects a predicted key names, and how it matched."""
        memo = self._aspect_memo  # type: ignore[attr-defined]
        found = memo.get(key)
        if found is None:
            found = self._resolve_aspect(key)
            _remember(memo, key, found)
        return found

    def _resolve_aspect(self, key: str) -> AspectMatch:
        key = key.strip()
        exact = self._exact_aspects.get(key)
        if exact is not None:
            return AspectMatch((exact,), AspectHow.EXACT)
        folded = key.casefold()
        alias = self._aliases.get(folded)
        if alias is not None:
            return AspectMatch((alias,), AspectHow.ALIAS)
        if folded:
            found: list[str] = []
            for keyword, name in self._keywords:
                if keyword in folded and name not in found:
                    found.append(name)
            if found:
                found.sort(key=self.aspect_names.index)
                return AspectMatch(tuple(found), AspectHow.KEYWORD)
        if self.is_template(key):
            return AspectMatch((), AspectHow.TEMPLATE)
        return AspectMatch((), AspectHow.NONE)

    def resolve_label(self, value: str, numeric: bool) -> LabelMatch:
        """Which label a predicted value names under a text or numeric design, and how.

        A label is taken only when the value asserts exactly one: the label alone (its name,
        code or a synonym, in any case), the label with documented removals around it (quotes,
        a leading degree word or copula, a trailing particle, a trailing parenthetical or
        reason: `LabelHow.NOTE`), or one label inside other words (`LabelHow.CONTAINS`). A
        value naming two labels is ambiguous; one that negates, questions, hedges or contrasts
        its label (a cue outside the label's own spelling) is `LabelHow.UNASSERTED`.
        """
        memo = self._label_memo  # type: ignore[attr-defined]
        key = (value, numeric)
        found = memo.get(key)
        if found is None:
            found = self._resolve_label(value, numeric)
            _remember(memo, key, found, len(value))
        return found

    def _resolve_label(self, value: str, numeric: bool) -> LabelMatch:
        value = value.strip()
        if not value:
            return LabelMatch(None, LabelHow.EMPTY)
        exact = self._exact_label(value, numeric)
        if exact is not None:
            return exact
        text = " ".join(value.casefold().split())
        assert self._mentions is not None
        named, masked, glued = self._mentions.scan(text)
        core, noted = self._peel(text, numeric)
        if core is not None and core.label is not None:
            named = (core.label, *named)
        candidates = tuple(dict.fromkeys(named))
        if len(candidates) > 1:
            return LabelMatch(None, LabelHow.AMBIGUOUS, candidates=candidates)
        if candidates:
            cue = glued or find_cue(masked)
            if cue:
                return LabelMatch(None, LabelHow.UNASSERTED, candidates=candidates, cue=cue)
            mismatch = core.kind_mismatch if core is not None else numeric
            how = LabelHow.NOTE if core is not None and noted else LabelHow.CONTAINS
            return LabelMatch(candidates[0], how, kind_mismatch=mismatch)
        if self.is_template(value):
            return LabelMatch(None, LabelHow.TEMPLATE)
        return LabelMatch(None, LabelHow.INVALID)

    def _exact_label(self, value: str, numeric: bool) -> LabelMatch | None:
        """The label a whole value spells: its code, its name, or a synonym in any case."""
        if len(value) > self._longest_label:  # type: ignore[attr-defined]
            return None
        code_label = self._label_by_code.get(value)
        if code_label is not None:
            return LabelMatch(
                code_label, LabelHow.CODE if numeric else LabelHow.EXACT, kind_mismatch=not numeric
            )
        if value in self._label_by_name:
            return LabelMatch(value, LabelHow.EXACT, kind_mismatch=numeric)
        synonym = self._synonyms.get(value.casefold())
        if synonym is not None:
            return LabelMatch(synonym, LabelHow.SYNONYM, kind_mismatch=numeric)
        return None

    def _peel(self, text: str, numeric: bool) -> tuple[LabelMatch | None, bool]:
        """The label left once the documented removals are peeled off `text` (casefolded,
        spaces collapsed), and whether more than quotes was removed; (None, ...) when no
        label is left. At most `_MAX_PEELS` removals, each linear: linear in all."""
        noted = False
        for _ in range(_MAX_PEELS):
            match = self._exact_label(text, numeric)
            if match is not None:
                return match, noted
            peeled = peel_once(text)
            if peeled is None:
                return None, noted
            text, quotes_only = peeled
            noted = noted or not quotes_only
        return None, noted

    def label_mentions(self, text: str) -> tuple[str, ...]:
        """The labels `text` names by any spelling (name, synonym, contained substring), in
        order of appearance, repeats included."""
        assert self._mentions is not None
        return self._mentions.scan(text.casefold())[0]

    def qualifiers(self, text: str) -> tuple[tuple[str, ...], str]:
        """The labels `text` names and its first cue (negation, question, hedge, contrast;
        '' if none), label spellings masked: what a comment beside a label says of it."""
        assert self._mentions is not None
        named, masked, glued = self._mentions.scan(" ".join(text.casefold().split()))
        return named, glued or find_cue(masked)

    def aspect_occurrences(self, text: str) -> list[tuple[int, int, str]]:
        """Where `text` (already casefolded) spells an aspect (name, alias or keyword; longest
        spelling first), as (start, end, aspect) in order."""
        assert self._aspect_spellings is not None
        return self._aspect_spellings.occurrences(text)

    @property
    def weights(self) -> tuple[tuple[float, ...], ...]:
        """Agreement weights for kappa: the task's own, else the identity (plain Cohen's kappa)."""
        if self.kappa_weights is not None:
            return self.kappa_weights
        size = len(self.labels)
        return tuple(tuple(1.0 if i == j else 0.0 for j in range(size)) for i in range(size))


# ---- reading a value: does it assert one label? -----------------------------------------

#: removals peeled off a value, at most (a degree word, a copula, quotes, a note...)
_MAX_PEELS = 12
_QUOTES = {
    '"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "「": "」", "『": "』", "`": "`"
}
_OPENERS = {"）": "（", ")": "(", "]": "[", "】": "【"}
#: a leading degree word or copula (documented removals; README, labels)
_LEADING = re.compile(
    r"(?:比较|非常|十分|特别|极其|稍微|总体|整体|很|较|略|偏|是|为)\s?"
    r"|(?:very|really|quite|mostly|slightly|somewhat|extremely|highly|generally|overall"
    r"|mildly|strongly|it['\u2019]s|it is|is)\b,? ?"
)
#: a trailing particle
_PARTICLES = frozenset("的了啊哦")
#: where a reason after the label begins: a dash, a colon, comma or semicolon, because/as
_REASON = re.compile(r" -+ ?|[\u2014\u2013]+|[:：,，;；]| (?:because|as|since)\b|因为|由于")
#: words that keep a value from asserting the label it names (searched outside the label's
#: own spellings, which are masked first: 未提及, not mentioned, none stay labels)
_CUES = re.compile(
    r"(?=[a-z不并非没无未谈算?？吗是呢可也或大似好估但却然虽尽吧应我觉感猜看貌疑存待])"
    r"(?:(?P<negation>不(?![错少])|并非|非(?!常)|没|无|未|谈不上|算不上"
    r"|\b(?:not|no|never|hardly|barely|neither|nor|none|nothing|nobody|without|cannot|non"
    r"|lacks?|lacking)\b|n['\u2019]t\b)"
    r"|(?P<question>[?？]|吗|是否|呢[\s。.!！]*$|\bwhether\b)"
    r"|(?P<hedge>可能|也许|或许|大概|似乎|好像|估计|不确定|存疑|待定|待确认|应该|应当|我觉得|觉得|我认为"
    r"|感觉|猜|看起来|看上去|貌似|疑似|(?<![酒网贴水书茶话])吧(?=$|[的了\s,，。.!！;；:：?？…)）])"
    r"|\b(?:maybe|perhaps|possibly|probably|might|may|could|likely|unlikely|unclear"
    r"|uncertain|unsure|seems?|seemingly|arguably|presumably|apparently|guess|suppose"
    r"|i think|i believe|i'd say|i would say)\b)"
    r"|(?P<contrast>但|却|然而|虽然|虽|不过|可是|尽管"
    r"|\b(?:but|however|although|though|yet|whereas|while|despite|except)\b))"
)
_MASK = "\x00"


def find_cue(masked: str) -> str:
    """The first cue in a value whose label spellings are masked, as ``kind 'word'``, or ''."""
    found = _CUES.search(masked)
    if found is None:
        return ""
    return f"{found.lastgroup} {found.group().strip()!r}"


def peel_once(text: str) -> tuple[str, bool] | None:
    """`text` with one documented removal peeled off (quotes around it, a trailing
    parenthetical, a trailing particle, a leading degree word or copula, a reason after a
    separator), and whether it was only quotes; None when none applies."""
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        inner = text[1:-1].strip()
        return (inner, True) if inner else None
    opener = _OPENERS.get(text[-1])
    if opener is not None:
        at = text.rfind(opener)
        if at > 0:
            return text[:at].strip(), False
    if text[-1] in _PARTICLES and len(text) > 1:
        return text[:-1].strip(), False
    lead = _LEADING.match(text)
    if lead is not None and lead.end() < len(text):
        return text[lead.end() :].strip(), False
    reason = _REASON.search(text, 1)
    if reason is not None and text[: reason.start()].strip():
        return text[: reason.start()].strip(), False
    return None


def _is_word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


class _Spellings:
    """A closed set of spellings (casefolded) found in a text by one regex, longest first.

    ASCII spellings outside `substrings` match whole words only; a substring spelling glued to
    letters before it (``unpositive``, ``nonnegative``) is reported, as it may be negated."""

    def __init__(self, owner: Mapping[str, str], substrings: frozenset[str]) -> None:
        self.owner = dict(owner)
        self.substrings = substrings
        parts = []
        for spelling in sorted(self.owner, key=len, reverse=True):
            part = re.escape(spelling)
            if spelling not in substrings:
                if _is_word_char(spelling[0]):
                    part = r"(?<![a-z0-9])" + part
                if _is_word_char(spelling[-1]):
                    part += r"(?![a-z0-9])"
            parts.append(part)
        # a lookahead on the first characters lets the regex engine skip ahead fast
        firsts = "".join(sorted({re.escape(spelling[0]) for spelling in self.owner}))
        self.pattern = re.compile(f"(?=[{firsts}])(?:{'|'.join(parts)})") if parts else None

    @classmethod
    def of_labels(cls, labels: tuple[Label, ...]) -> _Spellings:
        """Every spelling of every label: names and synonyms as words, contained substrings
        anywhere."""
        owner: dict[str, str] = {}
        for lab in labels:
            owner.setdefault(lab.name.casefold(), lab.name)
        for lab in labels:
            for syn in lab.synonyms:
                owner.setdefault(syn.casefold(), lab.name)
        substrings = set()
        for lab in labels:
            for sub in lab.contains or (lab.name,):
                owner.setdefault(sub.casefold(), lab.name)
                substrings.add(sub.casefold())
        return cls(owner, frozenset(substrings))

    def occurrences(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, owner) of every spelling in `text`, leftmost, longest first."""
        if self.pattern is None:
            return []
        return [(m.start(), m.end(), self.owner[m.group()]) for m in self.pattern.finditer(text)]

    def scan(self, text: str) -> tuple[tuple[str, ...], str, str]:
        """The owners named in `text`, the text with each spelling masked, and the cue of a
        spelling glued to the letters of a longer word (``'unpositive'``), or ''."""
        named: list[str] = []
        pieces: list[str] = []
        glued = ""
        at = 0
        for start, end, name in self.occurrences(text):
            named.append(name)
            pieces.append(text[at:start])
            pieces.append(_MASK)
            at = end
            if not glued and start > 0 and text[start].isalpha() and text[start].isascii():
                before = text[start - 1]
                if before.isascii() and before.isalpha():
                    word = text[:start].rsplit(" ", 1)[-1] + text[start:end]
                    glued = f"negation {word!r}"
        pieces.append(text[at:])
        return tuple(named), "".join(pieces), glued


# ---- loading ----------------------------------------------------------------------------


def _require(data: Mapping[str, Any], key: str, kind: type, source: str, where: str = "") -> Any:
    name = f"{where}{key}"
    if key not in data:
        raise TaskError("missing required field", source=source, field=name)
    value = data[key]
    if kind is int and isinstance(value, bool):
        raise TaskError("must be an integer", source=source, field=name)
    if not isinstance(value, kind):
        raise TaskError(
            f"must be {kind.__name__}, not {type(value).__name__}", source=source, field=name
        )
    return value


def _string_list(data: Mapping[str, Any], key: str, source: str, where: str) -> tuple[str, ...]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() and item == item.strip() for item in value
    ):
        raise TaskError(
            "must be a list of non-empty strings without surrounding spaces",
            source=source,
            field=f"{where}{key}",
        )
    return tuple(value)


def _check_spellings(task: Task, source: str) -> None:
    """Names, aliases, keywords and label spellings must not hold the task's own marks (or a
    colon, or a line break): a parser built on them would split them apart and silently
    misread every output. A label's name must not be another label's numeric code."""
    punct = task.punctuation
    marks = {punct.key_value.strip(), punct.pair_separator.strip(), punct.terminator.strip(),
             ":", "：", "\n", "\r"} - {""}

    def check(text: str, field: str) -> None:
        if text != text.strip():
            raise TaskError("must not start or end with spaces", source=source, field=field)
        for mark in marks:
            if mark in text:
                shown = {"\n": "a line break", "\r": "a carriage return"}.get(mark, repr(mark))
                raise TaskError(
                    f"must not contain {shown}, a separator of the task's outputs",
                    source=source,
                    field=field,
                )

    for index, aspect in enumerate(task.aspects):
        where = "types" if task.is_extraction else "aspects"
        check(aspect.name, f"{where}[{index}].name")
        for key in ("keywords", "aliases"):
            for position, text in enumerate(getattr(aspect, key)):
                check(text, f"{where}[{index}].{key}[{position}]")
    codes = {str(label.code): label.name for label in task.labels}
    for index, label in enumerate(task.labels):
        check(label.name, f"labels[{index}].name")
        for key in ("synonyms", "contains"):
            for position, text in enumerate(getattr(label, key)):
                check(text, f"labels[{index}].{key}[{position}]")
        other = codes.get(label.name.strip())
        if other is not None and other != label.name:
            raise TaskError(
                f"is the numeric code of the label {other!r}: a numeric design could not tell "
                "them apart",
                source=source,
                field=f"labels[{index}].name",
            )


def _check_punctuation(punctuation: Punctuation, source: str) -> None:
    """The marks must be punctuation (no letters or digits), and the key-value mark must
    differ from the pair separator and the terminator."""
    for key in ("key_value", "pair_separator", "terminator"):
        mark = getattr(punctuation, key)
        if any(char.isalnum() for char in mark):
            raise TaskError(
                "must not contain letters or digits (they occur inside names and labels)",
                source=source,
                field=f"punctuation.{key}",
            )
    key_value = punctuation.key_value.strip()
    for key in ("pair_separator", "terminator"):
        if getattr(punctuation, key).strip() == key_value:
            raise TaskError(
                f"must differ from punctuation.key_value ({punctuation.key_value!r})",
                source=source,
                field=f"punctuation.{key}",
            )


def _check_weights(weights: tuple[tuple[float, ...], ...], source: str) -> None:
    """Agreement weights lie in [0, 1] with full agreement (1) on the diagonal."""
    for row_index, row in enumerate(weights):
        for column, weight in enumerate(row):
            if not math.isfinite(weight) or not 0.0 <= weight <= 1.0:
                raise TaskError(
                    f"weights are agreements between 0 and 1, not {weight!r}",
                    source=source,
                    field=f"kappa_weights[{row_index}][{column}]",
                )
        if row[row_index] != 1.0:
            raise TaskError(
                "a label agrees fully with itself: the diagonal must be 1",
                source=source,
                field=f"kappa_weights[{row_index}][{row_index}]",
            )


_TOP_FIELDS = frozenset(
    (
        "name",
        "description",
        "placeholder",
        "template_pattern",
        "punctuation",
        "json_keys",
        "aspects",
        "labels",
        "paper_label_rules",
        "kappa_weights",
        "kind",
        "designs",
    )
)
_EXTRACTION_TOP_FIELDS = frozenset(
    ("name", "description", "kind", "placeholder", "punctuation", "json_keys", "spans", "types",
     "designs")
)
_TYPE_FIELDS = frozenset(("name", "aliases"))
_SPAN_FIELDS = frozenset(
    ("quoting", "joiner", "tuple_comma", "empty_tuples", "normalization")
)
_ASPECT_FIELDS = frozenset(("name", "keywords", "aliases"))
_LABEL_FIELDS = frozenset(("name", "code", "synonyms", "contains"))


def _no_unknown(data: Mapping[str, Any], allowed: frozenset, source: str, where: str) -> None:
    """Reject misspelled or misplaced keys (a TOML key after a [[table]] lands inside it)."""
    for key in data:
        if key not in allowed:
            raise TaskError(
                f"unknown field (valid here: {', '.join(sorted(allowed))})",
                source=source,
                field=f"{where}{key}",
            )


def task_from_dict(data: Mapping[str, Any], source: str = "<dict>") -> Task:
    """Build and validate a Task from parsed TOML or JSON; errors name `source` and the field."""
    if not isinstance(data, Mapping):
        raise TaskError("a task must be a table/object at the top level", source=source)
    kind = _enum(TaskKind, data.get("kind", "classification"), source, "kind")
    if kind is TaskKind.EXTRACTION:
        return _extraction_from_dict(data, source)
    _no_unknown(data, _TOP_FIELDS, source, "")
    name = _require(data, "name", str, source)
    placeholder = _require(data, "placeholder", str, source)
    raw_aspects = _require(data, "aspects", list, source)
    if not raw_aspects:
        raise TaskError("a task needs at least one aspect", source=source, field="aspects")
    aspects = []
    for index, item in enumerate(raw_aspects):
        where = f"aspects[{index}]."
        if not isinstance(item, Mapping):
            raise TaskError("must be a table/object", source=source, field=f"aspects[{index}]")
        _no_unknown(item, _ASPECT_FIELDS, source, where)
        aspect_name = _require(item, "name", str, source, where)
        if not aspect_name.strip():
            raise TaskError("must not be empty", source=source, field=f"{where}name")
        aspects.append(
            Aspect(
                aspect_name,
                _string_list(item, "keywords", source, where),
                _string_list(item, "aliases", source, where),
            )
        )
    names = [a.name for a in aspects]
    if len(set(names)) != len(names):
        raise TaskError("aspect names must be unique", source=source, field="aspects")
    raw_labels = _require(data, "labels", list, source)
    labels = []
    for index, item in enumerate(raw_labels):
        where = f"labels[{index}]."
        if not isinstance(item, Mapping):
            raise TaskError("must be a table/object", source=source, field=f"labels[{index}]")
        _no_unknown(item, _LABEL_FIELDS, source, where)
        label_name = _require(item, "name", str, source, where)
        if not label_name.strip():
            raise TaskError("must not be empty", source=source, field=f"{where}name")
        labels.append(
            Label(
                label_name,
                _require(item, "code", int, source, where),
                _string_list(item, "synonyms", source, where),
                _string_list(item, "contains", source, where),
            )
        )
    label_names = [lab.name for lab in labels]
    if len(label_names) < 2:
        raise TaskError("a task needs at least two labels", source=source, field="labels")
    if len(set(label_names)) != len(label_names):
        raise TaskError("label names must be unique", source=source, field="labels")
    codes = [lab.code for lab in labels]
    if len(set(codes)) != len(codes):
        raise TaskError("numeric codes must be unique", source=source, field="labels")
    if placeholder not in label_names:
        raise TaskError(
            f"must be one of the labels {label_names}", source=source, field="placeholder"
        )
    punct = data.get("punctuation", {})
    if not isinstance(punct, Mapping):
        raise TaskError("must be a table/object", source=source, field="punctuation")
    _no_unknown(
        punct, frozenset(("key_value", "pair_separator", "terminator")), source, "punctuation."
    )
    punctuation = Punctuation(
        **{
            key: _require(punct, key, str, source, "punctuation.")
            for key in ("key_value", "pair_separator", "terminator")
            if key in punct
        }
    )
    for key in ("key_value", "pair_separator"):
        if not getattr(punctuation, key).strip():
            raise TaskError(
                "must hold a visible character", source=source, field=f"punctuation.{key}"
            )
    _check_punctuation(punctuation, source)
    keys = data.get("json_keys", {})
    if not isinstance(keys, Mapping):
        raise TaskError("must be a table/object", source=source, field="json_keys")
    _no_unknown(keys, frozenset(("aspect", "label", "description")), source, "json_keys.")
    json_keys = JsonKeys(
        **{
            key: _require(keys, key, str, source, "json_keys.")
            for key in ("aspect", "label", "description")
            if key in keys
        }
    )
    if len({json_keys.aspect, json_keys.label, json_keys.description}) != 3:
        raise TaskError("the three key names must differ", source=source, field="json_keys")
    template = data.get("template_pattern", "")
    if not isinstance(template, str):
        raise TaskError("must be a string", source=source, field="template_pattern")
    _check_template(template, source)
    rules_raw = data.get("paper_label_rules", [])
    rules = []
    if not isinstance(rules_raw, list):
        raise TaskError(
            "must be a list of [substring, label] pairs", source=source, field="paper_label_rules"
        )
    for index, rule in enumerate(rules_raw):
        if (
            not isinstance(rule, list)
            or len(rule) != 2
            or not all(isinstance(part, str) and part for part in rule)
            or rule[1] not in label_names
        ):
            raise TaskError(
                "must be a [substring, label] pair naming a label of the task",
                source=source,
                field=f"paper_label_rules[{index}]",
            )
        rules.append((rule[0], rule[1]))
    weights_raw = data.get("kappa_weights")
    weights = None
    if weights_raw is not None:
        size = len(labels)
        if (
            not isinstance(weights_raw, list)
            or len(weights_raw) != size
            or not all(
                isinstance(row, list)
                and len(row) == size
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in row)
                for row in weights_raw
            )
        ):
            raise TaskError(
                f"must be a {size}x{size} matrix of numbers (rows gold, columns predicted)",
                source=source,
                field="kappa_weights",
            )
        try:
            weights = tuple(tuple(float(x) for x in row) for row in weights_raw)
        except OverflowError:
            raise TaskError(
                "weights are agreements between 0 and 1", source=source, field="kappa_weights"
            ) from None
        _check_weights(weights, source)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise TaskError("must be a string", source=source, field="description")
    task = Task(
        name=name,
        aspects=tuple(aspects),
        labels=tuple(labels),
        placeholder=placeholder,
        punctuation=punctuation,
        json_keys=json_keys,
        description=description,
        template_pattern=template,
        paper_label_rules=tuple(rules),
        kappa_weights=weights,
        source=source,
        design_aliases=_design_aliases(data, source),
    )
    _check_spellings(task, source)
    return task


def _enum(kind: type[StrEnum], value: Any, source: str, name: str) -> Any:
    """The member of a closed set a task field names; an error lists the valid values."""
    valid = [member.value for member in kind]
    if not isinstance(value, str) or value not in valid:
        raise TaskError(f"must be one of {valid}", source=source, field=name)
    return kind(value)


def _design_aliases(data: Mapping[str, Any], source: str) -> tuple[tuple[str, str], ...]:
    """The ``[designs]`` table: the task's own design names, each naming a design."""
    raw = data.get("designs", {})
    if not isinstance(raw, Mapping):
        raise TaskError("must be a table of name = design", source=source, field="designs")
    aliases = []
    for name, target in raw.items():
        if not isinstance(target, str):
            raise TaskError("must be a design name", source=source, field=f"designs.{name}")
        try:
            Design.parse(target)
        except ValueError as exc:
            raise TaskError(str(exc), source=source, field=f"designs.{name}") from None
        aliases.append((name.strip().lower(), target))
    return tuple(aliases)


def _extraction_from_dict(data: Mapping[str, Any], source: str) -> Task:
    """An extraction task: types (in order: a type's code is its position), placeholder,
    span settings, separators, JSON keys (``type``, ``spans``) and design names."""
    _no_unknown(data, _EXTRACTION_TOP_FIELDS, source, "")
    name = _require(data, "name", str, source)
    placeholder = _require(data, "placeholder", str, source)
    raw_types = _require(data, "types", list, source)
    if not raw_types:
        raise TaskError("an extraction task needs at least one type", source=source, field="types")
    types = []
    for index, item in enumerate(raw_types):
        where = f"types[{index}]."
        if not isinstance(item, Mapping):
            raise TaskError("must be a table/object", source=source, field=f"types[{index}]")
        _no_unknown(item, _TYPE_FIELDS, source, where)
        type_name = _require(item, "name", str, source, where)
        if not type_name.strip() or type_name != type_name.strip():
            raise TaskError(
                "must not be empty or start or end with spaces", source=source, field=f"{where}name"
            )
        types.append(SpanType(type_name, index, _string_list(item, "aliases", source, where)))
    names = [t.name for t in types]
    if len({n.casefold() for n in names}) != len(names):
        raise TaskError("type names must differ (ignoring case)", source=source, field="types")
    raw_spans = data.get("spans", {})
    if not isinstance(raw_spans, Mapping):
        raise TaskError("must be a table/object", source=source, field="spans")
    _no_unknown(raw_spans, _SPAN_FIELDS, source, "spans.")
    texts = {
        key: _require(raw_spans, key, str, source, "spans.")
        for key in ("joiner", "tuple_comma", "empty_tuples")
        if key in raw_spans
    }
    spans = Extraction(
        tuple(types),
        _enum(Quoting, raw_spans.get("quoting", "none"), source, "spans.quoting"),
        normalization=_enum(
            Normalization, raw_spans.get("normalization", "casefold"), source,
            "spans.normalization",
        ),
        **texts,
    )
    if spans.joiner.strip() not in (",", "，"):
        raise TaskError(
            'must be a comma ("," or "，") with optional spaces', source=source,
            field="spans.joiner",
        )
    if spans.tuple_comma.strip() != ",":
        raise TaskError(
            'must be "," with optional spaces', source=source, field="spans.tuple_comma"
        )
    if spans.empty_tuples not in ("", "[]"):
        raise TaskError('must be "[]" or ""', source=source, field="spans.empty_tuples")
    punct = data.get("punctuation", {})
    if not isinstance(punct, Mapping):
        raise TaskError("must be a table/object", source=source, field="punctuation")
    _no_unknown(
        punct, frozenset(("key_value", "pair_separator", "terminator")), source, "punctuation."
    )
    defaults = {"key_value": ": ", "pair_separator": "; ", "terminator": ""}
    for key in defaults:
        if key in punct:
            defaults[key] = _require(punct, key, str, source, "punctuation.")
    punctuation = Punctuation(**defaults)
    # The extraction reader's grammar knows these marks (spans may hold any other character).
    for key, marks in (("key_value", ":："), ("pair_separator", ";；")):
        mark = getattr(punctuation, key).strip()
        if len(mark) != 1 or mark not in marks:
            raise TaskError(
                f"must be one of {' '.join(marks)} with optional spaces",
                source=source,
                field=f"punctuation.{key}",
            )
    if punctuation.terminator:
        raise TaskError(
            "must be empty for an extraction task (spans may end with any character)",
            source=source,
            field="punctuation.terminator",
        )
    keys = data.get("json_keys", {})
    if not isinstance(keys, Mapping):
        raise TaskError("must be a table/object", source=source, field="json_keys")
    _no_unknown(keys, frozenset(("type", "spans")), source, "json_keys.")
    type_key = keys.get("type", "type")
    spans_key = keys.get("spans", "spans")
    for key, value in (("type", type_key), ("spans", spans_key)):
        if not isinstance(value, str) or not value:
            raise TaskError("must be a non-empty string", source=source, field=f"json_keys.{key}")
    if type_key == spans_key:
        raise TaskError("the two key names must differ", source=source, field="json_keys")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise TaskError("must be a string", source=source, field="description")
    task = Task(
        name=name,
        aspects=tuple(Aspect(t.name, (), t.aliases) for t in types),
        labels=(),
        placeholder=placeholder,
        punctuation=punctuation,
        # The JSON reader reads the type where a slot's name stands, the span list where its
        # label does; the description key is never written.
        json_keys=JsonKeys(type_key, spans_key, "\x00description"),
        description=description,
        source=source,
        kind=TaskKind.EXTRACTION,
        extraction=spans,
        design_aliases=_design_aliases(data, source),
    )
    _check_spellings(task, source)
    return task


def _read_task_file(path: Path) -> Task:
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TaskError(f"cannot read task file: {exc.strerror}", source=source) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TaskError(f"not valid UTF-8 at byte {exc.start}", source=source) from None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TaskError(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", source=source
            ) from None
        except (RecursionError, ValueError) as exc:
            raise TaskError(f"not readable JSON: {_unreadable(exc)}", source=source) from None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TaskError(f"not valid TOML: {exc}", source=source) from None
        except (RecursionError, ValueError) as exc:
            raise TaskError(f"not readable TOML: {_unreadable(exc)}", source=source) from None
    try:
        return task_from_dict(data, source=source)
    except RecursionError:
        raise TaskError("nested too deeply", source=source) from None


def _unreadable(exc: BaseException) -> str:
    """Why a task file's text could not be read, in a few words."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return "a number too long to read" if "digits" in str(exc) else str(exc)


#: How long a task's template_pattern may take on one text; a pattern that needs longer on
#: the probes below is refused when the task is loaded (catastrophic backtracking).
TEMPLATE_TIMEOUT = 0.05
_TEMPLATE_PROBES = ("a" * 40 + "!", "aa " * 20 + "!", "1" * 40 + "!", "方面" * 20 + "!",
                    "." * 40 + "!", " " * 40 + "!", "ab" * 20 + "!")


def compile_template(pattern: str) -> Any:
    """A task's template pattern, compiled by the `regex` package (whose matches can time
    out); None for the empty pattern."""
    return regex.compile(pattern) if pattern else None


def _check_template(template: str, source: str) -> None:
    try:
        compiled = compile_template(template)
    except regex.error as exc:
        raise TaskError(
            f"not a valid regular expression: {exc}", source=source, field="template_pattern"
        ) from None
    if compiled is None:
        return
    for probe in _TEMPLATE_PROBES:
        try:
            compiled.match(probe, timeout=TEMPLATE_TIMEOUT)
        except TimeoutError:
            raise TaskError(
                f"takes longer than {TEMPLATE_TIMEOUT} s on a {len(probe)}-character text "
                "(nested repetition such as (a+)+): rewrite it without backtracking",
                source=source,
                field="template_pattern",
            ) from None


@lru_cache(maxsize=64)
def _load_builtin(name: str) -> Task:
    resource = resources.files("sdeparse") / "tasks" / f"{name}.toml"
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return task_from_dict(data, source=f"<built-in task {name}>")


def load_task(name_or_path: str | Path | Task) -> Task:
    """A built-in task by name (masa-d1, masa-d2, masa-all, restaurant-en, maven-ed, genia-ner)
    or a TOML/JSON file."""
    if isinstance(name_or_path, Task):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(
            f"a task is a built-in name, a path or a Task, not {type(name_or_path).__name__}"
        )
    if isinstance(name_or_path, str) and (
        name_or_path in BUILTIN_TASKS or name_or_path in BUILTIN_EXTRACTION_TASKS
    ):
        return _load_builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() in (".toml", ".json") or path.exists():
        return _read_task_file(path)
    raise TaskError(
        f"unknown task {str(name_or_path)!r}: use one of "
        f"{', '.join(BUILTIN_TASKS + BUILTIN_EXTRACTION_TASKS)} "
        "or the path of a .toml/.json task file"
    )
