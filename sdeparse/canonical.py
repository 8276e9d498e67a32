"""Canonical grammars: the language of exactly what `render` writes, as lark grammars.

A layout's template (``grammars/canonical/pairs.lark`` for Natural and Lines,
``jsonl.lark`` for JSON, CoT and R-CoT) names the structure with lark rule templates
(``_pair{key}``, ``_cot{key}``, ``_subset{first, rest}``); `canonical_grammar` specialises it
to a task and design by appending a few generated rule and terminal lines (the slots in
order, their items, the label spellings, the task's strings as lark literals), so the
result is one self-contained grammar text, ready to be exported for constrained decoding.

Extraction tasks have their own templates (``tuples.lark``; ``spanpairs.lark`` for Natural and
Lines; ``jsonspans.lark``), joined with ``spans.lark``; the generated lines add the types, the
empty result and the span terminal of the task's quoting (`sdeparse.canonical_spans`).
`read_canonical_extraction` reads a canonical text back into its (type, span) pairs.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import TypedDict

from lark import Lark, Token, Transformer, Tree
from lark.exceptions import GrammarError, UnexpectedInput
from lark.lexer import PatternStr

from .canonical_spans import bare_span_pattern, python_span_pattern
from .design import Design, Format
from .layouts import layout_for
from .render import check_design
from .schemas.spanlist import quote, unquote
from .task import Quoting, Task, load_task

_HERE = Path(__file__).resolve().parent

#: The piece every template is joined with.
COMMON = "common.lark"
#: The piece the extraction templates are joined with (the JSON span terminal).
SPANS = "spans.lark"


class Canonical(TypedDict):
    """What a canonical text says: every aspect's label (placeholder when left out) and the
    descriptions of the items printed (CoT and R-CoT; empty otherwise)."""

    labels: dict[str, str]
    descriptions: dict[str, str]


def canonical_dir() -> Path:
    """The folder of the canonical templates: in the installed package, or in a checkout."""
    for base in (_HERE / "grammars", _HERE.parent / "grammars"):
        candidate = base / "canonical"
        if (candidate / COMMON).is_file():
            return candidate
    raise FileNotFoundError(
        f"sdeparse canonical grammars not found under {_HERE / 'grammars'} "
        f"or {_HERE.parent / 'grammars'}"
    )


@cache
def _template(name: str) -> str:
    return (canonical_dir() / name).read_text(encoding="utf-8")


_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\f": "\\f"}


def lark_literal(text: str) -> str:
    """A lark string literal that lark reads back as exactly `text` (which must not be empty).

    Backslash and double quote are escaped; a newline, tab, carriage return or form feed is
    written as its short escape and any other unprintable character as a ``\\u`` escape (lark
    literals may not hold a raw newline); everything else stays as is, non-ASCII included.
    """
    if not text:
        raise ValueError("lark has no empty terminals")
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) <= 0xFFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _label_indices(task: Task, design: Design) -> list[int]:
    """Indices (into task.label_names) of the labels a design prints: OU never the placeholder."""
    return [
        j
        for j, name in enumerate(task.label_names)
        if not (design.omit_unmentioned and name == task.placeholder)
    ]


def _spellings(task: Task, design: Design) -> tuple[list[str], dict[int, str]]:
    """How the design writes each aspect and each printed label (by index), as render does."""

    def spell(text: str) -> str:
        return json.dumps(text, ensure_ascii=False) if design.is_json else text

    aspects = [spell(name) for name in task.aspect_names]
    labels = {}
    for j in _label_indices(task, design):
        name = task.label_names[j]
        labels[j] = str(task.code_by_label[name]) if design.numeric_labels else spell(name)
    return aspects, labels


def _answer_lines(count: int, design: Design, end: str) -> list[str]:
    """``_answer`` of `count` slots (or types) in order: all of them (PU), or any ordered
    subset, none included (OU), each ``item_<k>``; `end` names the terminator rule, if any."""
    lines = []
    if design.omit_unmentioned:
        lines.append(f"_answer: (_some{end})?" if end else "_answer: _some?")
        lines.append(
            "_some: "
            + " | ".join(
                f"item_{k} _later_{k + 1}" if k + 1 < count else f"item_{k}" for k in range(count)
            )
        )
        lines += [f"_later_{k}: _later{{item_{k}, _later_{k + 1}}}" for k in range(1, count - 1)]
        if count > 1:
            lines.append(f"_later_{count - 1}: (_SEP item_{count - 1})?")
    else:
        lines.append("_answer: " + " _SEP ".join(f"item_{k}" for k in range(count)) + end)
    return lines


def _generated_lines(task: Task, design: Design) -> list[str]:
    """The rule and terminal lines that specialise a template to `task` and `design`."""
    if task.is_extraction:
        return _extraction_lines(task, design)
    count = len(task.aspect_names)
    joiner, ending = layout_for(design).joiner(task, design)
    end = " _TERMINATOR" if ending else ""
    lines = [f"// ---- generated for task {task.name!r}, design {design.name} ----"]
    lines += _answer_lines(count, design, end)
    shape = layout_for(design).canonical_item(design)
    lines += [f"item_{k}: {shape}{{KEY_{k}}} -> item" for k in range(count)]
    aspects, labels = _spellings(task, design)
    lines.append("label: " + " | ".join(f"LABEL_{j}" for j in labels))
    lines += [f"KEY_{k}: {lark_literal(spelled)}" for k, spelled in enumerate(aspects)]
    lines += [f"LABEL_{j}: {lark_literal(spelled)}" for j, spelled in labels.items()]
    if design.is_json:
        keys = task.json_keys
        # all three, since the template's unused shapes name them too (lark drops what is unused)
        named = [
            ("_ASPECT_KEY", keys.aspect),
            ("_LABEL_KEY", keys.label),
            ("_DESCRIPTION_KEY", keys.description),
        ]
        lines += [
            f"{name}: {lark_literal(json.dumps(key, ensure_ascii=False))}" for name, key in named
        ]
    else:
        lines.append(f"_KEY_VALUE: {lark_literal(task.punctuation.key_value)}")
        lines.append(f"_SEP: {lark_literal(joiner)}")
        if ending:
            lines.append(f"_TERMINATOR: {lark_literal(ending)}")
    return lines


def _regex_terminal(pattern: str) -> str:
    """A lark regex literal of `pattern` (a slash inside escaped)."""
    return "/" + pattern.replace("/", "\\/") + "/"


def _extraction_lines(task: Task, design: Design) -> list[str]:
    """The generated lines of an extraction task's grammar (see the extraction templates)."""
    spans = task.spans
    numeric = design.numeric_labels
    names = [str(t.code) if numeric else t.name for t in spans.types]
    lines = [f"// ---- generated for task {task.name!r}, design {design.name} ----"]
    if design.format is Format.TUPLES:
        lines.append("_answer: tuple (_SEP tuple)*" + (" | _EMPTY" if spans.empty_tuples else ""))
        if not spans.empty_tuples:
            lines[-1] = "_answer: (tuple (_SEP tuple)*)?"
        lines.append("type: " + " | ".join(f"TYPE_{j}" for j in range(len(names))))
        written = [name if numeric else json.dumps(name, ensure_ascii=False) for name in names]
        lines += [f"TYPE_{j}: {lark_literal(text)}" for j, text in enumerate(written)]
        lines.append(f"_TUPLE_COMMA: {lark_literal(spans.tuple_comma)}")
        if spans.empty_tuples:
            lines.append(f"_EMPTY: {lark_literal(spans.empty_tuples)}")
        return lines
    joiner, ending = layout_for(design).joiner(task, design)
    end = " _TERMINATOR" if ending else ""
    lines += _answer_lines(len(names), design, end)
    if design.format is Format.JSON:
        lines += [f"item_{k}: _object{{KEY_{k}}} -> item" for k in range(len(names))]
        some = "span (_COMMA span)*"
        lines.append(
            f"spans: _LIST_OPEN {some} _LIST_CLOSE" if design.omit_unmentioned
            else f"spans: _LIST_OPEN ({some})? _LIST_CLOSE"
        )
        keys = [json.dumps(int(n) if numeric else n, ensure_ascii=False) for n in names]
        lines += [f"KEY_{k}: {lark_literal(key)}" for k, key in enumerate(keys)]
        named = (("_TYPE_KEY", task.json_keys.aspect), ("_SPANS_KEY", task.json_keys.label))
        for name, key in named:
            lines.append(f"{name}: {lark_literal(json.dumps(key, ensure_ascii=False))}")
        return lines
    lines += [f"item_{k}: _group{{KEY_{k}}} -> item" for k in range(len(names))]
    lines.append("spans: _list" if design.omit_unmentioned else "spans: _PLACEHOLDER | _list")
    if spans.quoting is Quoting.NONE:
        lines.append("_list: first_span (_JOINER span)* | (span _JOINER)* last_span")
        lines.append("span: SPAN")
        lines.append("first_span: SPAN_FIRST")
        lines.append("last_span: SPAN_LAST")
        for name, first, last in (("SPAN", False, False), ("SPAN_FIRST", True, False),
                                  ("SPAN_LAST", False, True)):
            pattern = bare_span_pattern(task.placeholder, first, last)
            lines.append(f"{name}: {_regex_terminal(pattern)}")
    else:
        lines.append("_list: span (_JOINER span)*")
        if spans.quoting is Quoting.PYTHON:
            lines.append("span: SPAN")
            lines.append(f"SPAN: {_regex_terminal(python_span_pattern())}")
        else:
            lines.append("span: JSON_SPAN")
    keys = [quote(name, spans.quoting) for name in names]
    lines += [f"KEY_{k}: {lark_literal(key)}" for k, key in enumerate(keys)]
    lines.append(f"_KEY_VALUE: {lark_literal(task.punctuation.key_value)}")
    lines.append(f"_SEP: {lark_literal(joiner)}")
    if ending:
        lines.append(f"_TERMINATOR: {lark_literal(ending)}")
    if not design.omit_unmentioned:
        lines.append(f"_PLACEHOLDER: {lark_literal(task.placeholder)}")
    lines.append(f"_JOINER: {lark_literal(spans.joiner)}")
    return lines


def _templates(task: Task, design: Design) -> list[str]:
    """The template files a task and design's grammar is made of, in order."""
    if not task.is_extraction:
        return [layout_for(design).canonical_template, COMMON]
    main = {Format.TUPLES: "tuples.lark", Format.JSON: "jsonspans.lark"}.get(
        design.format, "spanpairs.lark"
    )
    return [main, SPANS, COMMON]


def canonical_grammar(task: Task | str, design: Design | str) -> str:
    """The full grammar of `design`'s canonical outputs for `task`: template, shared pieces and
    generated lines in one self-contained lark text (no %import), start rule ``start``."""
    task = load_task(task)
    design = Design.parse(design)
    check_design(task, design)
    parts = [_template(name).rstrip("\n") for name in _templates(task, design)]
    parts.append("\n".join(_generated_lines(task, design)))
    return "\n\n".join(parts) + "\n"


def _lexing_is_exact(parser: Lark) -> bool:
    """Whether LALR's contextual lexer can only ever pick the right token: in no parser state
    does a regex terminal meet another terminal, or one literal start another literal.

    Then at most one terminal the state accepts matches at any position, so longest-match
    lexing cannot cut a canonical text wrongly.  Conservative: a prefix pair that the text
    would never actually confuse still sends the task to Earley.
    """
    patterns = {term.name: term.pattern for term in parser.terminals}
    table = parser.parser.parser._parse_table
    for actions in table.states.values():
        accepted = [patterns[name] for name in actions if name in patterns]
        if len(accepted) < 2:
            continue
        if not all(isinstance(pattern, PatternStr) for pattern in accepted):
            return False
        values = sorted(pattern.value for pattern in accepted)
        # sorted strings: a prefix of another sorts right before some string it starts
        if any(b.startswith(a) for a, b in zip(values, values[1:], strict=False)):
            return False
    return True


@lru_cache(maxsize=256)
def _parser(task: Task, design: Design) -> Lark:
    text = canonical_grammar(task, design)
    if task.is_extraction:
        # span terminals meet the other terminals, so LALR's lexer could not be exact anyway
        # (and lark's collision check of the ~15 kB span regex alone takes seconds)
        return Lark(text, parser="earley", lexer="dynamic", ambiguity="resolve")
    try:
        lalr = Lark(text, parser="lalr", lexer="contextual")
    except GrammarError:
        lalr = None
    if lalr is not None and _lexing_is_exact(lalr):
        return lalr
    return Lark(text, parser="earley", lexer="dynamic", ambiguity="resolve")


def canonical_parser(task: Task | str, design: Design | str) -> Lark:
    """The lark parser of `canonical_grammar`, built once per (task, design) compared by value.

    LALR(1) with the contextual lexer, which is exact whenever no parser state accepts two
    literals one of which starts the other (true of the built-in tasks in every design);
    otherwise (say labels ``pos`` and ``positive``, or a terminator equal to the separator)
    Earley with the dynamic lexer, which tries every tokenization.
    """
    return _parser(load_task(task), Design.parse(design))


class CanonicalReader(Transformer[Token, Canonical]):
    """Turns a canonical parse tree into labels and descriptions: one method per rule."""

    def __init__(self, task: Task, design: Design) -> None:
        super().__init__()
        self._names = task.aspect_names
        self._placeholder = task.placeholder
        self._aspect_of = {f"KEY_{k}": name for k, name in enumerate(task.aspect_names)}
        self._label_of = {f"LABEL_{j}": task.label_names[j] for j in _label_indices(task, design)}

    def start(self, items: list[tuple[str, str, str | None]]) -> Canonical:
        """The whole answer: items printed, the placeholder for every slot left out (OU)."""
        labels = dict.fromkeys(self._names, self._placeholder)
        descriptions = {}
        for aspect, label, description in items:
            labels[aspect] = label
            if description is not None:
                descriptions[aspect] = description
        return {"labels": labels, "descriptions": descriptions}

    def item(self, children: list) -> tuple[str, str, str | None]:
        """One slot (the alias of every ``item_<k>``): its aspect token, label, description."""
        key, *fields = children
        found: dict[str, str] = {}
        for field in fields:
            found.update(field)
        return self._aspect_of[key.type], found["label"], found.get("description")

    def label(self, children: list[Token]) -> dict[str, str]:
        """A label spelling: which terminal matched names the label."""
        return {"label": self._label_of[children[0].type]}

    def description(self, children: list[Token]) -> dict[str, str]:
        """A description: the JSON string decoded (the grammar admits only canonical escapes)."""
        return {"description": json.loads(children[0])}


@lru_cache(maxsize=256)
def _reader(task: Task, design: Design) -> CanonicalReader:
    return CanonicalReader(task, design)


def read_canonical(text: str, task: Task | str, design: Design | str) -> Canonical | None:
    """The labels (and descriptions) of a canonical `text`; None when `text` is not exactly
    what `render` writes for some labels and descriptions under `task` and `design`."""
    task, design, tree = _parse(text, task, design)
    return None if tree is None else _reader(task, design).transform(tree)


def _parse(text: str, task: Task | str, design: Design | str) -> tuple[Task, Design, Tree | None]:
    """The task, the design and the canonical grammar's tree of `text` (None: not canonical)."""
    task = load_task(task)
    design = Design.parse(design)
    try:
        return task, design, _parser(task, design).parse(text)
    except UnexpectedInput:
        return task, design, None


class ExtractionReader(Transformer[Token, list[tuple[str, str]]]):
    """Turns a canonical parse tree of an extraction task into its (type, span) pairs, in the
    order the text writes them: one method per rule."""

    def __init__(self, task: Task, design: Design) -> None:
        super().__init__()
        names = [t.name for t in task.spans.types]
        self._type_of = {f"KEY_{k}": name for k, name in enumerate(names)}
        self._type_of.update({f"TYPE_{k}": name for k, name in enumerate(names)})
        self._quoted = task.spans.quoting is Quoting.PYTHON

    def start(self, items: list[list[tuple[str, str]]]) -> list[tuple[str, str]]:
        """The whole answer: the pairs of every item (tuple or type) in order."""
        return [pair for item in items for pair in item]

    def item(self, children: list) -> list[tuple[str, str]]:
        """One type of a grouped design: its key token and its spans."""
        key, spans = children
        return [(self._type_of[key.type], span) for span in spans]

    def tuple(self, children: list) -> list[tuple[str, str]]:
        """One tuple: its type and its span."""
        kind, span = children
        return [(kind, span)]

    def type(self, children: list[Token]) -> str:
        """A tuple's type: which terminal matched names it."""
        return self._type_of[children[0].type]

    def spans(self, children: list[str]) -> list[str]:
        """A type's spans (none for the placeholder, a filtered terminal)."""
        return list(children)

    def span(self, children: list[Token]) -> str:
        """One span decoded: a JSON or Python string literal, or bare text as it is."""
        token = children[0]
        if token.type == "JSON_SPAN":
            return str(json.loads(token))
        if token.type == "SPAN" and token[:1] in ("'", '"') and self._quoted:
            return unquote(str(token))
        return str(token)

    first_span = span
    last_span = span


@lru_cache(maxsize=64)
def _extraction_reader(task: Task, design: Design) -> ExtractionReader:
    return ExtractionReader(task, design)


def read_canonical_extraction(
    text: str, task: Task | str, design: Design | str
) -> list[tuple[str, str]] | None:
    """The (type, span) pairs of a canonical extraction `text`, in written order; None when
    `text` is not exactly what `render` writes for some pairs under `task` and `design`."""
    task, design, tree = _parse(text, task, design)
    return None if tree is None else _extraction_reader(task, design).transform(tree)
