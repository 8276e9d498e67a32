"""Tasks as data: aspects (slots), labels, punctuation and JSON keys, from TOML or JSON files.

A task also answers the two lookup questions every parser asks: which aspect does this key
name, and which label does this value name. Both answers say *how* they matched, so the
caller can turn a non-exact match into a diagnostic.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import TaskError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on Python 3.10
    import tomli as tomllib

BUILTIN_TASKS = ("masa-d1", "masa-d2", "masa-all", "restaurant-en")


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
    EMPTY = "empty"
    INVALID = "invalid"
    TEMPLATE = "template"


@dataclass(frozen=True)
class AspectMatch:
    """Which aspects a key named and how."""

    aspects: tuple[str, ...]
    how: AspectHow


@dataclass(frozen=True)
class LabelMatch:
    """Which label a value named (None when none) and how.

    `kind_mismatch` is set when a numeric code stood where a text label belonged, or the reverse.
    """

    label: str | None
    how: LabelHow
    kind_mismatch: bool = False
    candidates: tuple[str, ...] = ()


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
        contains = tuple(
            (sub.casefold(), lab.name)
            for lab in self.labels
            for sub in (lab.contains or (lab.name,))
        )
        object.__setattr__(self, "_contains", contains)
        object.__setattr__(
            self,
            "_template",
            re.compile(self.template_pattern) if self.template_pattern else None,
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
    _template: re.Pattern[str] | None = field(init=False, repr=False, compare=False, default=None)

    @property
    def mentioned_labels(self) -> tuple[str, ...]:
        """Every label but the placeholder."""
        return tuple(name for name in self.label_names if name != self.placeholder)

    def label_for_code(self, code: str) -> str | None:
        """The text label of a numeric code written as a string, or None."""
        return self._label_by_code.get(code)

    def is_template(self, text: str) -> bool:
        """Whether `text` is a piece of the prompt's format template (方面1, 情感类别, ...)."""
        return bool(self._template and self._template.match(text.strip()))

    def resolve_aspect(self, key: str) -> AspectMatch:
        """Which aspects a predicted key names, and how it matched."""
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
        """Which label a predicted value names under a text or numeric design, and how."""
        value = value.strip()
        if not value:
            return LabelMatch(None, LabelHow.EMPTY)
        code_label = self._label_by_code.get(value)
        if code_label is not None:
            return LabelMatch(
                code_label, LabelHow.CODE if numeric else LabelHow.EXACT, kind_mismatch=not numeric
            )
        if value in self._label_by_name:
            return LabelMatch(value, LabelHow.EXACT, kind_mismatch=numeric)
        folded = value.casefold()
        synonym = self._synonyms.get(folded)
        if synonym is not None:
            return LabelMatch(synonym, LabelHow.SYNONYM, kind_mismatch=numeric)
        found: list[str] = []
        for sub, name in self._contains:
            if sub in folded and name not in found:
                found.append(name)
        if len(found) == 1:
            return LabelMatch(found[0], LabelHow.CONTAINS, kind_mismatch=numeric)
        if len(found) > 1:
            return LabelMatch(None, LabelHow.AMBIGUOUS, candidates=tuple(found))
        if self.is_template(value):
            return LabelMatch(None, LabelHow.TEMPLATE)
        return LabelMatch(None, LabelHow.INVALID)

    @property
    def weights(self) -> tuple[tuple[float, ...], ...]:
        """Agreement weights for kappa: the task's own, else the identity (plain Cohen's kappa)."""
        if self.kappa_weights is not None:
            return self.kappa_weights
        size = len(self.labels)
        return tuple(tuple(1.0 if i == j else 0.0 for j in range(size)) for i in range(size))


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
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise TaskError("must be a list of non-empty strings", source=source, field=f"{where}{key}")
    return tuple(value)


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
    )
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
    try:
        re.compile(template)
    except re.error as exc:
        raise TaskError(
            f"not a valid regular expression: {exc}", source=source, field="template_pattern"
        ) from None
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
        weights = tuple(tuple(float(x) for x in row) for row in weights_raw)
    description = data.get("description", "")
    if not isinstance(description, str):
        raise TaskError("must be a string", source=source, field="description")
    return Task(
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
    )


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
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TaskError(f"not valid TOML: {exc}", source=source) from None
    return task_from_dict(data, source=source)


@lru_cache(maxsize=64)
def _load_builtin(name: str) -> Task:
    resource = resources.files("sdeparse") / "tasks" / f"{name}.toml"
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return task_from_dict(data, source=f"<built-in task {name}>")


def load_task(name_or_path: str | Path | Task) -> Task:
    """A built-in task by name (masa-d1, masa-d2, masa-all, restaurant-en) or a TOML/JSON file."""
    if isinstance(name_or_path, Task):
        return name_or_path
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(
            f"a task is a built-in name, a path or a Task, not {type(name_or_path).__name__}"
        )
    if isinstance(name_or_path, str) and name_or_path in BUILTIN_TASKS:
        return _load_builtin(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() in (".toml", ".json") or path.exists():
        return _read_task_file(path)
    raise TaskError(
        f"unknown task {str(name_or_path)!r}: use one of {', '.join(BUILTIN_TASKS)} "
        "or the path of a .toml/.json task file"
    )
