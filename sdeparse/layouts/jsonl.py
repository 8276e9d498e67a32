"""Reader of the JSON-lines layouts (JSON, CoT, R-CoT): grammar parse of a widened JSON, then
objects to Items, with every syntax slip, layout change and cut-off reported."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lark import Token, Tree

from ..design import Design
from ..diagnostics import Code, Severity
from ..grammar import RegexLexer, Tok, lexer_for, parser_for
from ..records import Diagnostics, Field, Record, preview, record
from ..task import Task
from .base import KeyKind, Layout, Reading, Shape, ValueKind, Vocabulary

_VALUE_TYPES = frozenset(("STRING", "SQ_STRING", "OPEN_STRING", "NUMBER", "WORD", "QUOTES"))
_PYTHON_LITERALS = frozenset(("True", "False", "None"))
_CURLY = "“”‘’「」"


@dataclass(slots=True)
class _Field:
    key: str
    value: str
    key_tok: Tok
    value_tok: Tok | None


@dataclass(slots=True)
class _Object:
    start: int
    end: int
    closed: bool
    fields: list[_Field] = field(default_factory=list)
    bare: bool = False
    #: Whether reading its tokens raised a diagnostic (then its spacing is not compared).
    slipped: bool = False


def _decode(tok: Tok, diags: Diagnostics, role: str, numeric_ok: bool = False) -> str:
    """The text a value token stands for, reporting how it departs from a JSON string."""
    kind, raw = tok.type, tok.value
    s, e = tok.start_pos, tok.end_pos
    if kind == "STRING":
        try:
            return json.loads(raw)
        except ValueError:
            diags.add(
                Code.JSON_SYNTAX,
                s,
                e,
                f"invalid escape in the {role} {preview(raw)!r}",
                "kept the characters as written",
            )
            return raw[1:-1]
    if kind == "SQ_STRING":
        diags.add(Code.JSON_SYNTAX, s, e, f"single quotes around the {role}", "read as a string")
        return raw[1:-1].replace("\\'", "'").replace('\\"', '"')
    if kind == "OPEN_STRING":
        return raw[1:].rstrip("\\")
    if kind == "QUOTES":
        diags.add(
            Code.JSON_SYNTAX, s, e, f"a run of {len(raw)} quotes as the {role}", "read as empty"
        )
        return ""
    if kind == "NUMBER":
        if not numeric_ok:
            diags.add(
                Code.JSON_SYNTAX,
                s,
                e,
                f"the {role} {raw!r} is a bare number, not a string",
                "read as text",
            )
        return raw
    stripped = raw.strip(_CURLY)
    if raw in _PYTHON_LITERALS or raw in ("null", "true", "false"):
        diags.add(Code.JSON_SYNTAX, s, e, f"literal {raw!r} as the {role}", "read as text")
    elif stripped != raw:
        diags.add(
            Code.JSON_SYNTAX, s, e, f"typographic quotes around the {role}", "read as a string"
        )
    else:
        diags.add(
            Code.JSON_SYNTAX,
            s,
            e,
            f"missing quotes around the {role} {preview(raw)!r}",
            "read as a string",
        )
    return stripped


def _member_fields(
    tokens: list[Tok], obj: _Object, diags: Diagnostics, numeric: bool, keys: set[str]
) -> None:
    """Key/value pairs of one comma-separated member (several when commas are missing)."""
    values = [t for t in tokens if t.type in _VALUE_TYPES]
    brackets = [t for t in tokens if t.type in ("LSQB", "RSQB", "BRACKETS")]
    if brackets:
        diags.add(
            Code.JSON_SYNTAX,
            brackets[0].start_pos,
            brackets[-1].end_pos,
            "brackets inside an object",
            "ignored",
        )
    colon_at = [i for i, t in enumerate(tokens) if t.type == "COLON"]
    for i in colon_at:
        if len(tokens[i].value.replace(" ", "")) > 1:
            diags.add(
                Code.JSON_SYNTAX,
                tokens[i].start_pos,
                tokens[i].end_pos,
                "repeated colons",
                "read as one",
            )
    used: set[int] = set()
    pairs: list[tuple[Tok, Tok | None]] = []
    for j in colon_at:
        k = j - 1
        while k >= 0 and tokens[k].type not in _VALUE_TYPES:
            k -= 1
        v = j + 1
        while v < len(tokens) and tokens[v].type not in _VALUE_TYPES:
            v += 1
        if k < 0 or k in used:
            diags.add(
                Code.JSON_SYNTAX,
                tokens[j].start_pos,
                tokens[j].end_pos,
                "colon without a key",
                "ignored",
            )
            continue
        used.add(k)
        if (
            v < len(tokens)
            and v not in used
            and (v + 1 >= len(tokens) or tokens[v + 1].type != "COLON")
        ):
            used.add(v)
            pairs.append((tokens[k], tokens[v]))
        else:
            pairs.append((tokens[k], None))
    orphans = [i for i, t in enumerate(tokens) if t.type in _VALUE_TYPES and i not in used]
    if not colon_at and len(values) == 2:
        diags.add(
            Code.JSON_SYNTAX,
            values[0].end_pos,
            values[1].start_pos,
            "missing colon between key and value",
            "inserted",
        )
        pairs.append((values[0], values[1]))
        orphans = []
    elif len(pairs) > 1:
        diags.add(
            Code.JSON_SYNTAX,
            tokens[0].start_pos,
            tokens[-1].end_pos,
            "missing comma between members",
            "inserted",
        )
    for i in orphans:
        tok = tokens[i]
        if obj.closed or tok.end_pos < obj.end:
            diags.add(
                Code.JSON_SYNTAX,
                tok.start_pos,
                tok.end_pos,
                f"value {preview(tok.value)!r} without a key",
                "ignored",
            )
        else:
            pairs.append((tok, None))
    for key_tok, value_tok in pairs:
        key = _decode(key_tok, diags, "key")
        if value_tok is None:
            obj.fields.append(_Field(key, "", key_tok, None))
            continue
        label_role = numeric and key in keys
        value = _decode(value_tok, diags, "value", numeric_ok=label_role)
        obj.fields.append(_Field(key, value, key_tok, value_tok))


def _read_object(tree: Tree, diags: Diagnostics, numeric: bool, keys: set[str]) -> _Object:
    children = tree.children
    closed = tree.data == "object"
    first = children[0]
    start = first.start_pos if isinstance(first, Tok) else _first_pos(first)
    end = children[-1].end_pos if isinstance(children[-1], Tok) else _last_pos(children[-1])
    obj = _Object(start, end, closed)
    before = len(diags)
    previous_comma = True
    for child in children[1:]:
        if isinstance(child, Tree):
            _member_fields(_tokens(child), obj, diags, numeric, keys)
            previous_comma = False
        elif child.type == "COMMA":
            if sum(ch in ",，" for ch in child.value) > 1:
                diags.add(
                    Code.JSON_SYNTAX,
                    child.start_pos,
                    child.end_pos,
                    "repeated commas",
                    "read as one",
                )
            elif previous_comma:
                diags.add(
                    Code.JSON_SYNTAX,
                    child.start_pos,
                    child.end_pos,
                    "comma with no member before it",
                    "ignored",
                )
            previous_comma = True
        elif (
            child.type == "RBRACE"
            and previous_comma
            and len(children) > 2
            and isinstance(children[-2], Tok)
        ):
            comma = children[-2]
            diags.add(
                Code.JSON_SYNTAX,
                comma.start_pos,
                comma.end_pos,
                "trailing comma before }",
                "ignored",
            )
    obj.slipped = len(diags) > before
    return obj


_FLAT_VALUES = (str, int, float, bool, type(None))


def _top_level(text: str) -> list:
    """The children of the grammar's start rule for the whole text.

    A line holding exactly one flat JSON object (the common case, even in a broken output)
    gets its tree built from the grammar's own tokens, since the json module vouches for its
    structure; every other stretch of lines is parsed by the LALR parser. Only deviating
    lines pay for the parser, and the trees are the ones the parser would build.
    """
    parser = parser_for("json.lark")
    lexer = lexer_for("json.lark")
    children: list = []
    region: tuple[int, int] | None = None
    position = 0
    for line_number, line in enumerate(text.split("\n"), 1):
        tree = _flat_object_tree(line, position, line_number, lexer) if "{" in line else None
        if tree is None:
            if region is None:
                region = (position, line_number)
        else:
            if region is not None:
                children.extend(_parse_region(parser, text, region, position))
                region = None
            children.append(tree)
        position += len(line) + 1
    if region is not None:
        children.extend(_parse_region(parser, text, region, len(text)))
    return children


def _parse_region(parser, text: str, region: tuple[int, int], end: int) -> list:
    """LALR parse of text[start:end], tokens moved to their place in the whole text."""
    start, first_line = region
    tree = parser.parse(text[start:end])
    if start or first_line != 1:
        for tok in tree.scan_values(lambda value: isinstance(value, Token)):
            tok.start_pos += start
            tok.end_pos += start
            tok.line += first_line - 1
    return tree.children


def _flat_object_tree(line: str, offset: int, line_number: int, lexer: RegexLexer) -> Tree | None:
    """The tree of a line that is one JSON object with scalar values, or None."""
    stripped = line.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        pairs = json.loads(stripped, object_pairs_hook=list)
    except (ValueError, RecursionError):
        return None
    if not isinstance(pairs, list) or not all(isinstance(v, _FLAT_VALUES) for _, v in pairs):
        return None
    tokens = list(lexer.scan(line, offset, line_number))
    if len(tokens) != 2 + 4 * len(pairs) - (1 if pairs else 0):
        return None
    children: list = [tokens[0]]
    for index in range(len(pairs)):
        key, colon, value = tokens[1 + 4 * index : 4 + 4 * index]
        if colon.type != "COLON" or key.type != "STRING" or value.type not in _VALUE_TYPES:
            return None
        if index:
            children.append(tokens[4 * index])
        children.append(Tree("member", [key, colon, value]))
    children.append(tokens[-1])
    return Tree("object", children)


def _tokens(tree: Tree) -> list[Tok]:
    """The tokens directly under a rule (a member holds tokens only)."""
    return [child for child in tree.children if isinstance(child, Tok)]


def _first_pos(tree: Tree) -> int:
    first = tree.children[0]
    return first.start_pos if isinstance(first, Tok) else _first_pos(first)


def _last_pos(tree: Tree) -> int:
    last = tree.children[-1]
    return last.end_pos if isinstance(last, Tok) else _last_pos(last)


def read_json(
    text: str,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool = True,
) -> Reading:
    """Records of a JSON-lines answer. With `expected` False (the design was trained on
    another layout) the CoT field and spacing checks are skipped."""
    keys = task.json_keys
    label_keys = {keys.label}
    objects: list[_Object] = []
    array = False
    stray_run: list[Tok] = []

    def flush_strays() -> None:
        if not stray_run:
            return
        by_line: dict[int, list[Tok]] = {}
        for tok in stray_run:
            by_line.setdefault(tok.line, []).append(tok)
        for tokens in by_line.values():
            _read_strays(tokens)
        stray_run.clear()

    def _read_strays(tokens: list[Tok]) -> None:
        nonlocal array
        words = [t for t in tokens if t.type in _VALUE_TYPES]
        has_key = any(
            t.type in ("STRING", "SQ_STRING", "WORD")
            and t.value.strip("\"'" + _CURLY) in (keys.aspect, keys.label)
            for t in words
        )
        if has_key and any(t.type == "COLON" for t in tokens):
            inner = [t for t in tokens if t.type not in ("RBRACE", "LSQB", "RSQB")]
            start, end = inner[0].start_pos, inner[-1].end_pos
            diags.add(Code.JSON_SYNTAX, start, end, "object without braces", "read as an object")
            obj = _Object(start, end, True, bare=True)
            member: list[Tok] = []
            for tok in inner + [None]:
                if tok is None or tok.type == "COMMA":
                    if member:
                        _member_fields(member, obj, diags, design.numeric_labels, label_keys)
                    member = []
                else:
                    member.append(tok)
            objects.append(obj)
            return
        for tok in tokens:
            if tok.type in ("LSQB", "RSQB"):
                array = True
            elif tok.type == "COMMA":
                if sum(ch in ",，" for ch in tok.value) > 1:
                    diags.add(
                        Code.JSON_SYNTAX, tok.start_pos, tok.end_pos, "repeated commas", "ignored"
                    )
                elif not array:
                    diags.add(
                        Code.JSON_SYNTAX,
                        tok.start_pos,
                        tok.end_pos,
                        "comma after an object",
                        "ignored",
                    )
            elif tok.type == "RBRACE":
                diags.add(Code.JSON_SYNTAX, tok.start_pos, tok.end_pos, "unmatched }", "ignored")
            elif tok.type == "BRACKETS":
                diags.add(
                    Code.JSON_SYNTAX,
                    tok.start_pos,
                    tok.end_pos,
                    f"a run of {len(tok.value)} brackets",
                    "ignored",
                )
        if words or any(t.type == "COLON" for t in tokens):
            spans = [
                t for t in tokens if t.type not in ("LSQB", "RSQB", "COMMA", "RBRACE", "BRACKETS")
            ]
            start, end = spans[0].start_pos, spans[-1].end_pos
            diags.add(
                Code.EXTRA_TEXT,
                start,
                end,
                f"text outside the objects: {preview(text[start:end])!r}",
                "removed",
            )

    for child in _top_level(text):
        if isinstance(child, Tree):
            flush_strays()
            objects.append(_read_object(child, diags, design.numeric_labels, label_keys))
        else:
            stray_run.append(child)
    flush_strays()
    objects.sort(key=lambda o: o.start)

    reading = Reading([])
    if array:
        reading.shapes.add(Shape.JSON_ARRAY)
    content_end = len(text.rstrip())
    items = reading.records

    for index, obj in enumerate(objects):
        if index and expected:
            gap = text[objects[index - 1].end : obj.start]
            if "\n" not in gap and not array:
                reading.shapes.add(Shape.JSON_JOINED)
            elif gap.count("\n") >= 2:
                diags.add(
                    Code.EMPTY_ITEM,
                    objects[index - 1].end,
                    obj.start,
                    "blank line between objects",
                    "skipped",
                )
        items.extend(
            _object_items(
                text,
                obj,
                task,
                design,
                vocabulary,
                diags,
                expected,
                reading.shapes,
                at_end=obj.end >= content_end,
            )
        )
    if (
        expected
        and objects
        and (
            text[: objects[0].start].strip() == ""
            and text[: objects[0].start]
            or text[objects[-1].end :].strip() == ""
            and text[objects[-1].end :]
        )
    ):
        diags.add(Code.PUNCTUATION, 0, len(text), "whitespace around the answer", "ignored")
    return reading


def _object_items(
    text: str,
    obj: _Object,
    task: Task,
    design: Design,
    vocabulary: Vocabulary,
    diags: Diagnostics,
    expected: bool,
    shapes: set[Shape],
    at_end: bool,
) -> list[Record]:
    keys = task.json_keys
    found: dict[str, _Field] = {}
    others: list[_Field] = []
    for fld in obj.fields:
        if fld.key in (keys.aspect, keys.label, keys.description):
            found[fld.key] = fld
        else:
            others.append(fld)
    items: list[Record] = []
    before = len(diags)
    #: The object itself is in another layout (a mapping, CoT fields in the wrong design or
    #: order): that is reported once by detection, and its spacing is not compared.
    other_shape = False
    if keys.aspect not in found and keys.label not in found:
        mapped = [f for f in others if vocabulary.key_kind(f.key).names_slot]
        if mapped:
            shapes.add(Shape.JSON_MAPPING)
            other_shape = True
            for f in mapped:
                vs, ve = _span(f.value_tok, f.key_tok)
                items.append(
                    record(
                        f.key,
                        f.key_tok.start_pos,
                        f.key_tok.end_pos,
                        f.value if f.value_tok is not None else None,
                        vs,
                        ve,
                        f.key_tok.start_pos,
                        ve,
                    )
                )
            others = [f for f in others if f not in mapped]
        elif not obj.fields and obj.closed:
            diags.add(Code.EMPTY_ITEM, obj.start, obj.end, "empty object", "skipped")
        elif not (at_end and not obj.closed):
            diags.add(
                Code.MALFORMED_ITEM,
                obj.start,
                obj.end,
                f"object without {keys.aspect!r} or {keys.label!r}: "
                f"{preview(text[obj.start : obj.end])!r}",
                "dropped",
            )
    if at_end and not obj.closed and keys.aspect not in found and keys.label not in found:
        diags.add(
            Code.TRUNCATED,
            obj.start,
            len(text),
            "the output ends inside an object before its aspect and label",
            "dropped",
        )
        others = []
    for f in others:
        diags.add(
            Code.EXTRA_TEXT,
            f.key_tok.start_pos,
            _span(f.value_tok, f.key_tok)[1],
            f"unexpected field {f.key!r}",
            "ignored",
        )
    truncated = at_end and not obj.closed
    if keys.aspect in found or keys.label in found:
        aspect = found.get(keys.aspect)
        label = found.get(keys.label)
        desc = found.get(keys.description)
        label_missing = label is None or label.value_tok is None
        if (
            truncated
            and label is not None
            and label.value_tok is not None
            and label.value_tok.type == "OPEN_STRING"
        ):
            cut = vocabulary.value_kind(label.value)
            label_missing = cut not in (ValueKind.CANONICAL, ValueKind.OTHER_KIND)
        if truncated:
            complete = not label_missing and (desc is not None or not design.has_description)
            diags.add(
                Code.TRUNCATED,
                obj.start,
                len(text),
                "the output ends inside an unclosed object"
                + ("" if complete else " before its label"),
                "kept the complete fields" if complete else "aspect gets the placeholder",
                severity=Severity.WARNING if complete else Severity.ERROR,
            )
        elif not obj.closed and not obj.bare:
            diags.add(Code.JSON_SYNTAX, obj.end, obj.end, "missing closing brace", "inserted")
        if aspect is None or aspect.value_tok is None:
            if not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.aspect!r} field",
                    "dropped",
                )
        else:
            if label_missing and not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.label!r} field",
                    "aspect gets the placeholder",
                )
            if expected and design.has_description and desc is None and not truncated:
                diags.add(
                    Code.MISSING_FIELD,
                    obj.start,
                    obj.end,
                    f"object without its {keys.description!r} field",
                    "none needed",
                    severity=Severity.WARNING,
                )
            vs, ve = _span(label.value_tok if label else None, aspect.value_tok)
            items.append(
                record(
                    aspect.value,
                    aspect.value_tok.start_pos,
                    aspect.value_tok.end_pos,
                    None if label_missing or label is None else label.value,
                    vs,
                    ve,
                    obj.start,
                    obj.end,
                    description=_description_field(desc),
                )
            )
        if desc is not None:
            shapes.add(Shape.DESCRIPTIONS)
            other_shape = other_shape or not design.has_description
            if label is not None:
                order = [f.key for f in obj.fields]
                desc_first = order.index(keys.description) < order.index(keys.label)
                shapes.add(Shape.COT_ORDER if desc_first else Shape.RCOT_ORDER)
                if design.has_description and desc_first != (design.format == "cot"):
                    other_shape = True
    if (
        expected
        and obj.closed
        and not obj.bare
        and not obj.slipped
        and not other_shape
        and len(diags) == before
        and len(items) == 1
        and items[0].value is not None
    ):
        canonical = _canonical_object(items[0], task, design, vocabulary)
        if canonical is not None and text[obj.start : obj.end] != canonical:
            diags.add(
                Code.PUNCTUATION,
                obj.start,
                obj.end,
                "spacing, key order or escaping differs from canonical JSON",
                "ignored",
            )
    return items


def _span(value_tok: Tok | None, key_tok: Tok) -> tuple[int, int]:
    if value_tok is None:
        return key_tok.end_pos, key_tok.end_pos
    return value_tok.start_pos, value_tok.end_pos


def _description_field(found: _Field | None) -> Field | None:
    if found is None:
        return None
    start, end = _span(found.value_tok, found.key_tok)
    return Field(found.value, start, end)


def _canonical_object(
    item: Record, task: Task, design: Design, vocabulary: Vocabulary
) -> str | None:
    """The canonical spelling of an object whose key and label are spelled canonically."""
    if item.value is None:
        return None
    key, value = item.key.text.strip(), item.value.text.strip()
    if vocabulary.key_kind(key) is not KeyKind.EXACT:
        return None
    if vocabulary.value_kind(value) is not ValueKind.CANONICAL:
        return None
    spelled: str | int = int(value) if design.numeric_labels else value
    description = item.description.text if item.description is not None else ""
    return render_json_object(key, spelled, task, design, description)


def render_json_object(
    key: str, value: str | int, task: Task, design: Design, description: str = ""
) -> str:
    """One canonical JSON line: keys in the design's order, ``ensure_ascii=False`` spacing."""
    keys = task.json_keys
    obj: dict[str, str | int]
    if design.format == "cot":
        obj = {keys.aspect: key, keys.description: description, keys.label: value}
    elif design.format == "rcot":
        obj = {keys.aspect: key, keys.label: value, keys.description: description}
    else:
        obj = {keys.aspect: key, keys.label: value}
    return json.dumps(obj, ensure_ascii=False)


class JsonLinesLayout(Layout):
    """One JSON object per line: the json, cot and rcot designs (they differ only in keys)."""

    name = "jsonl"
    formats = ("json", "cot", "rcot")
    grammar = "json.lark"

    def sniff(self, text: str) -> bool:
        return "{" in text

    def read(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> Reading:
        return read_json(text, task, design, vocabulary, diags, expected)

    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        return "\n", ""

    def render_item(
        self, key: str, value: str | int, task: Task, design: Design, description: str = ""
    ) -> str:
        return render_json_object(key, value, task, design, description)
