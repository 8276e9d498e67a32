"""Recognize canonical output with one compiled regular expression and read its labels.

A canonical output is the renderer's text, exactly; it has no diagnostics, so recognizing it
costs one C-level match instead of a grammar parse. Anything else returns None and goes to
the full parser. The expression is built once per (task, design) and its alternatives are
literal strings, so matching is linear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from itertools import product

from .design import Design, Format
from .layouts.base import Layout
from .render import spell
from .task import Task

#: A JSON string body: plain characters or escapes; `_description` keeps only canonical ones.
#: Written as an unrolled loop (one scan for a giant description) and without braces, since
#: the item pattern escapes every } it holds.
_DESCRIPTION = (
    r'([^"\\\x00-\x1f]*'
    r'(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F])[^"\\\x00-\x1f]*)*)'
)


def _description(body: str) -> str | None:
    """The text of a description string body, None unless it is escaped as render() does."""
    if "\\" not in body:
        return body
    try:
        value = json.loads('"' + body + '"')
    except ValueError:
        return None
    return value if json.dumps(value, ensure_ascii=False)[1:-1] == body else None


Reader = Callable[[str], "tuple[dict[str, str], dict[str, str]] | None"]


def _alternatives(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def build_reader(task: Task, design: Design, layout: Layout) -> Reader:
    """A function text -> (labels, descriptions) for canonical text, None for anything else."""
    if not design.has_description:
        table_reader = _build_table_reader(task, design, layout)
        if table_reader is not None:
            return table_reader
    return _build_regex_reader(task, design, layout)


_lookup: Callable[[dict[str, tuple[str, str]], str], tuple[str, str]] = dict.__getitem__


def _build_table_reader(task: Task, design: Design, layout: Layout) -> Reader | None:
    """Designs without descriptions have finitely many canonical items: split the text at the
    item separator and look every piece up in a table of them (about the cost of the naive
    splitter). None when an item could contain the separator, so splitting would be unsafe."""
    joiner, ending = layout.joiner(task, design)
    labels = task.mentioned_labels if design.omit_unmentioned else task.label_names
    names = task.aspect_names
    tables: list[dict[str, tuple[str, str]]] = []
    for aspect in names:
        table: dict[str, tuple[str, str]] = {}
        for label in labels:
            item = layout.render_item(aspect, spell(label, task, design), task, design)
            if joiner in item or (ending and ending in item):
                return None
            table[item] = (aspect, label)
        tables.append(table)
    cut = len(ending)
    placeholder = task.placeholder
    reader = _table_reader(tables, names, joiner, ending, cut, placeholder, design.omit_unmentioned)
    return _learning_whole_texts(
        reader, tables, names, joiner, ending, placeholder, design.omit_unmentioned
    )


#: A table reader learns every canonical text whole after this many calls (a run that parses
#: thousands of outputs), when there are at most `WHOLE_MAX` of them: a canonical output then
#: costs one dict lookup. Texts it does not know go to the item-by-item reader, as before.
WHOLE_AFTER = 1000
WHOLE_MAX = 5000


def _learning_whole_texts(
    reader: Reader,
    tables: list[dict[str, tuple[str, str]]],
    names: tuple[str, ...],
    joiner: str,
    ending: str,
    placeholder: str,
    omit: bool,
) -> Reader:
    """`reader`, with a table of whole canonical texts built on its `WHOLE_AFTER`th call.
    Every entry is checked against `reader` when built, so the table answers exactly as the
    reader does."""
    choices = [list(table.items()) for table in tables]
    count = 1
    for options in choices:
        count *= len(options) + (1 if omit else 0)
    if count > WHOLE_MAX:
        return reader
    whole: dict[str, dict[str, str]] | None = None
    calls = 0

    def build() -> dict[str, dict[str, str]]:
        found: dict[str, dict[str, str]] = {}
        options = [([None] if omit else []) + opts for opts in choices]
        for picked in product(*options):
            items = [item for item in picked if item is not None]
            text = joiner.join(item for item, _ in items) + ending if items else ""
            read = reader(text)
            if read is not None and not read[1]:  # the reader's own answer, checked
                found[text] = read[0]
        return found

    def read(text: str):
        nonlocal whole, calls
        if whole is not None:
            hit = whole.get(text)
            return (hit.copy(), {}) if hit is not None else reader(text)
        calls += 1
        if calls >= WHOLE_AFTER:
            whole = build()
        return reader(text)

    return read


def _table_reader(
    tables: list[dict[str, tuple[str, str]]],
    names: tuple[str, ...],
    joiner: str,
    ending: str,
    cut: int,
    placeholder: str,
    omit: bool,
) -> Reader:
    """The item-by-item reader: split at the joiner, look each piece up."""
    if not omit:
        count = len(names)

        def read_all(text: str):
            if cut:
                if not text.endswith(ending):
                    return None
                text = text[:-cut]
            pieces = text.split(joiner)
            if len(pieces) != count:
                return None
            try:
                return dict(map(_lookup, tables, pieces)), {}
            except KeyError:
                return None

        return read_all

    where = {item: (index, pair[1]) for index, table in enumerate(tables)
             for item, pair in table.items()}
    nothing = dict.fromkeys(names, placeholder)

    def read_some(text: str):
        if text == "":
            return dict(nothing), {}
        if cut:
            if not text.endswith(ending):
                return None
            text = text[:-cut]
        result = dict(nothing)
        last = -1
        for piece in text.split(joiner):
            hit = where.get(piece)
            if hit is None or hit[0] <= last:
                return None
            last = hit[0]
            result[names[last]] = hit[1]
        return result, {}

    return read_some


def _build_regex_reader(task: Task, design: Design, layout: Layout) -> Reader:
    """CoT and R-CoT: one regular expression over the whole text, descriptions as groups."""
    labels = task.mentioned_labels if design.omit_unmentioned else task.label_names
    if design.numeric_labels:
        spelled = {str(task.code_by_label[name]): name for name in labels}
    elif design.is_json:
        spelled = {json.dumps(name, ensure_ascii=False)[1:-1]: name for name in labels}
    else:
        spelled = {name: name for name in labels}
    label_group = f"({_alternatives(spelled)})"
    keys = task.json_keys
    punct = task.punctuation
    joiner, ending = layout.joiner(task, design)

    def jkey(text: str) -> str:
        return re.escape(json.dumps(text, ensure_ascii=False))

    items = []
    for aspect in task.aspect_names:
        if design.is_json:
            label_part = label_group if design.numeric_labels else f'"{label_group}"'
            head = "{" + jkey(keys.aspect) + ": " + jkey(aspect)
            desc = ", " + jkey(keys.description) + ': "' + _DESCRIPTION + '"'
            label = ", " + jkey(keys.label) + ": " + label_part
            if design.format is Format.COT:
                body = head + desc + label + "}"
            elif design.format is Format.RCOT:
                body = head + label + desc + "}"
            else:
                body = head + label + "}"
            item = body.replace("{", r"\{", 1).replace("}", r"\}") + r"\n"
        else:
            item = re.escape(aspect + punct.key_value) + label_group + re.escape(joiner)
        items.append(f"(?:{item})?" if design.omit_unmentioned else item)
    pattern = re.compile("".join(items))
    separator_length = len(joiner)
    names = task.aspect_names
    placeholder = task.placeholder
    fields_per_item = 2 if design.has_description else 1
    label_first = design.format is Format.RCOT
    omit = design.omit_unmentioned

    def read(text: str):
        if omit and text == "":
            return dict.fromkeys(names, placeholder), {}
        if ending:
            if not text.endswith(ending):
                return None
            body = text[: len(text) - len(ending)] + joiner
        else:
            body = text + joiner
        if len(body) <= separator_length:
            return None
        match = pattern.fullmatch(body)
        if match is None:
            return None
        groups = match.groups()
        result: dict[str, str] = {}
        descriptions: dict[str, str] = {}
        if fields_per_item == 1:
            for name, spelling in zip(names, groups, strict=True):
                result[name] = placeholder if spelling is None else spelled[spelling]
        else:
            for index, name in enumerate(names):
                first, second = groups[2 * index], groups[2 * index + 1]
                if first is None and second is None:
                    result[name] = placeholder
                    continue
                spelling, description = (first, second) if label_first else (second, first)
                result[name] = spelled[spelling]
                description = _description(description)
                if description is None:
                    return None
                descriptions[name] = description
        return result, descriptions

    return read
