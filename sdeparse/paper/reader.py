"""The paper's reader: the released evaluation's splitting rules (rules 1 to 3), giving the
raw (key, value) pairs and the script's format-error verdict; `schema.py` maps them to labels.

Deliberate differences from the released script (its known faults):

* model output is never executed: a JSON line counts as a dict literal when Python's literal
  syntax accepts it, which is decided by parsing it with ``ast`` and checking that every node
  is a literal; nothing is evaluated;
* OU outputs get the Natural rules plus rule 6 (the script's OU branch crashes);
* the JSON fallback never reuses the previous line's aspect;
* a non-string 情感 or 方面 value in a dict line (a number, a list) maps to the placeholder
  (the script would crash or mis-map on it);
* numeric codes in JSON designs (ours, not the paper's) are mapped like rule 2.

For a task other than MASA the rules are read with the task's own punctuation: its key-value
mark, pair separator and terminator without their spaces, and, when those marks carry spaces
(``": "``, ``", "``), keys and values stripped of surrounding whitespace, so that
``food: 1, price: -1`` reads as the script reads ``食品评价：1，价格水平：-1``.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from math import isfinite

from ..design import Design, Format
from ..task import Task
from .schema import paper_rules_of

_LITERAL_NODES = (
    ast.Constant,
    ast.Dict,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.UnaryOp,
    ast.Load,
    ast.USub,
    ast.UAdd,
    ast.Expression,
)


def read_paper(text: str, task: Task, design: Design) -> tuple[dict[str, str], bool]:
    """(the raw key -> value pairs, is the output wrongly formatted) as the script reads them."""
    if design.is_json:
        return _json_rules(text, task, design)
    return _pair_rules(text, task, design)


def _pair_rules(text: str, task: Task, design: Design) -> tuple[dict[str, str], bool]:
    """Rules 1 and 2: Natural (also numeric and OU) and Lines."""
    if text == "":
        return {}, True
    punct = task.punctuation
    colon = punct.key_value.strip() or punct.key_value
    if design.format is Format.LINES:
        pieces = text.strip("\n").split("\n")
    else:
        pieces = text.strip(punct.terminator.strip() or punct.terminator).split(
            punct.pair_separator.strip() or punct.pair_separator
        )
    error = False
    pairs: dict[str, str] = {}
    spaced = paper_rules_of(task).spaced
    for piece in pieces:
        if not piece:  # an empty piece: no colon (10 MB of separators are 10M of these)
            error = True
            continue
        parts = piece.split(colon)
        if len(parts) < 2:
            error = True
            continue
        key, value = parts[0], parts[1]
        if spaced:  # the spaces the task's own marks carry (": ", ", ") are no part of either
            key, value = key.strip(), value.strip()
        if design.numeric_labels:
            mapped = task.label_for_code(value)
            if mapped is None:
                error = True
                continue
            value = mapped
        pairs[key] = value
    return pairs, error


_COT_JOINS = (("}, {", "}\n{"), ("},\n{", "}\n{"), ("}, \n{", "}\n{"))
_COT_SEPARATORS = ('"， "', '"; "', '" ; "', '"}, "', '"},"')


def _json_rules(text: str, task: Task, design: Design) -> tuple[dict[str, str], bool]:
    """Rule 3: one dict literal per line, with the string-splitting fallback."""
    pairs, error = _json_lines(text, task, design)
    if design.has_description:
        normalized = text
        for old, new in _COT_JOINS:
            normalized = normalized.replace(old, new)
        for old in _COT_SEPARATORS:
            normalized = normalized.replace(old, '", "')
        if normalized != text:  # the script reads its pairs from the normalized text
            pairs, _ = _json_lines(normalized, task, design)
    return pairs, error


def _json_lines(text: str, task: Task, design: Design) -> tuple[dict[str, str], bool]:
    error = text == ""
    pairs: dict[str, str] = {}
    # Each distinct line is read once: long outputs repeat their lines (a generation loop).
    known: dict[str, tuple[tuple[str, str] | None, bool]] = {}
    for line in text.strip("\n").split("\n"):
        outcome = known.get(line)
        if outcome is None:
            outcome = known[line] = _json_line(line, task, design)
        pair, line_error = outcome
        error = error or line_error
        if pair is not None:
            pairs[pair[0]] = pair[1]
    pairs.pop("", None)
    return pairs, error


def _json_line(line: str, task: Task, design: Design) -> tuple[tuple[str, str] | None, bool]:
    """The (aspect, label) one line gives, if any, and whether the line is a format error."""
    keys = task.json_keys
    literal = _dict_literal(line)
    if literal is not None and keys.aspect in literal and keys.label in literal:
        aspect, label = literal[keys.aspect], literal[keys.label]
        if design.numeric_labels and not isinstance(label, bool) and isinstance(label, int):
            label = task.label_for_code(str(label)) or ""
        return (
            aspect if isinstance(aspect, str) else "",
            label if isinstance(label, str) else "",
        ), False
    aspect = label = None
    for part in line.strip('"{}').split('", "'):
        fields = part.split('": "')
        if len(fields) < 2:
            continue
        if fields[0] == keys.aspect:
            aspect = fields[1]
        elif fields[0] == keys.label:
            label = fields[1]
    if aspect is not None and label is not None:
        return (aspect, label), True
    return None, True


def syntax_tree(text: str) -> ast.Expression | None:
    """The syntax tree of one Python expression, None when it is not one. Only parsed, never
    compiled or run; the warnings Python gives about the text (invalid escapes) are the
    model's, not the caller's, and are not raised."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return ast.parse(text, mode="eval")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None


def _dict_literal(line: str) -> dict | None:
    """The dict a line of Python literal syntax denotes, or None.

    A JSON object without backslashes whose values are all strings or finite numbers denotes
    the same dict in Python's literal syntax, so it is read by the C-level JSON decoder; any
    other line is read from its syntax tree (`_dict_from_tree`). Nothing is evaluated.
    """
    stripped = line.strip()
    if not stripped.startswith("{"):
        return None
    if _SURROGATE.search(stripped):  # Python's parser rejects a lone surrogate; JSON does not
        return _dict_from_tree(stripped)
    if _FLAT_OBJECT.fullmatch(stripped):  # the usual line: read by one regex, no decoder
        return {
            key: value[1:-1] if value[0] == '"' else int(value)
            for key, value in _FLAT_MEMBER.findall(stripped)
        }
    if "\\" not in stripped:
        try:
            value = json.loads(stripped)
        except (ValueError, RecursionError):  # deep nesting: the syntax tree says no too
            value = None
        if isinstance(value, dict) and all(map(_plain, value.values())):
            return value
    return _dict_from_tree(stripped)


#: a flat JSON object of strings without backslashes and plain integers, as JSON designs
#: print one: the same dict in Python's literal syntax (no leading zeros in either)
_MEMBER = r'"([^"\\\n\r\x00]*)": ("[^"\\\n\r\x00]*"|-?(?:0|[1-9][0-9]*))'
_FLAT_OBJECT = re.compile(rf"\{{{_MEMBER}(?:, {_MEMBER})*\}}")
_FLAT_MEMBER = re.compile(_MEMBER)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain(value: object) -> bool:
    """A string or a finite number (not a bool): written the same in JSON and in Python."""
    if isinstance(value, str):
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and isfinite(value)


def _dict_from_tree(stripped: str) -> dict | None:
    """The dict a stripped line denotes, read from its syntax tree: only literal nodes are
    accepted, and containers become a marker object."""
    tree = syntax_tree(stripped)
    if tree is None:
        return None
    try:
        if not all(isinstance(node, _LITERAL_NODES) for node in ast.walk(tree)):
            return None
        body = tree.body
        if not isinstance(body, ast.Dict):
            return None
        result: dict = {}
        for key_node, value_node in zip(body.keys, body.values, strict=True):
            if key_node is None:  # {**x}
                return None
            key = _literal(key_node)
            result[key] = _literal(value_node)
        return result
    except (ValueError, TypeError, RecursionError):
        return None


def _literal(node: ast.AST):
    """The value of a literal node: strings and numbers; containers become a marker object."""
    if isinstance(node, ast.Constant):
        return node.value
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, (int, float, complex))
        and not isinstance(node.operand.value, bool)
    ):
        return -node.operand.value if isinstance(node.op, ast.USub) else node.operand.value
    if isinstance(node, (ast.List, ast.Tuple, ast.Set, ast.Dict)):
        return _Container()
    raise ValueError("not a literal")


class _Container:
    """Stands for a list, tuple, set or dict value: hashable as a key, never a label."""
