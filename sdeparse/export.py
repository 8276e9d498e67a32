"""Grammar export for constrained decoding: a design's canonical outputs as Lark, GBNF, a
regex or a JSON schema, so that a decoder can only generate what `render` writes.

Every export is a translation of `sdeparse.canonical.canonical_grammar` (the one definition
the fast path parses with): lark's own grammar loader reads that text, its rule templates are
instantiated, and the rules and terminals are written out in the target's syntax.  Nothing
here describes a format a second time.

* ``lark``: llguidance's Lark dialect (vLLM and llama.cpp via llguidance; xgrammar reads it
  too): plain rules, no templates or aliases, terminals as literals and one regex.
* ``gbnf``: llama.cpp's GBNF (also xgrammar's EBNF, vLLM takes it where it holds ``::=``).
* ``regex``: one regular expression of the whole output (outlines, vLLM ``regex``): the
  canonical languages are finite in structure (no recursion), so they are regular.
* ``json-schema``: JSON, CoT and R-CoT designs only: the schema of one line's object; a schema
  cannot say how the lines are joined, which slots appear in which order, the spacing or the
  escaping, and its ``description`` says so.  Prefer ``lark``/``gbnf``/``regex`` for exactness.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lark import Token, Tree
from lark.grammar import NonTerminal, Terminal
from lark.lexer import PatternStr
from lark.load_grammar import GrammarBuilder

from ._compat import StrEnum
from .canonical import canonical_grammar, lark_literal
from .design import Design, Format
from .errors import DesignError
from .render import check_design
from .task import Task, load_task

# Python's own regex parser (re._parser from 3.11, sre_parse before): its opcodes (LITERAL,
# IN, ...) drive the regex-to-GBNF translation of the one regex terminal.
try:
    _sre_parse: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _sre_parse = importlib.import_module("sre_parse")
_OPS: Any = _sre_parse


#: The longest regex export (characters): a design whose regex is longer gets
#: `GrammarTooLargeError` for the regex format (the lark and GBNF exports name each rule once;
#: a regex writes every rule out where it is used, which for OU designs is quadratic in the
#: slot count, and Python-quoted spans carry the ~700-range class of printable characters).
MAX_REGEX_CHARS = 1_000_000


class GrammarTooLargeError(DesignError):
    """A design whose language has no regex export within `MAX_REGEX_CHARS` (use the lark or
    GBNF export, which are exact and small)."""


class GrammarFormat(StrEnum):
    """The grammar languages `export_grammar` writes (values are the names users write)."""

    LARK = "lark"
    GBNF = "gbnf"
    REGEX = "regex"
    JSON_SCHEMA = "json-schema"


GRAMMAR_FORMATS: tuple[str, ...] = tuple(f.value for f in GrammarFormat)

# ---- a small grammar IR: what lark's loader read, with templates instantiated ---------------


@dataclass(frozen=True)
class Lit:
    """A literal string (never empty)."""

    text: str


@dataclass(frozen=True)
class Pat:
    """A regular expression terminal, in Python `re` syntax."""

    pattern: str


@dataclass(frozen=True)
class Sym:
    """A reference to a named rule or terminal of the grammar."""

    name: str
    terminal: bool


@dataclass(frozen=True)
class Seq:
    """Its parts one after another."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Alt:
    """One of its choices."""

    choices: tuple[Node, ...]


@dataclass(frozen=True)
class Rep:
    """Its body `low` or more times (`high` None: unbounded); ``Rep(x, 0, 1)`` is optional."""

    body: Node
    low: int
    high: int | None


Node = Lit | Pat | Sym | Seq | Alt | Rep


@dataclass(frozen=True)
class Grammar:
    """The rules (in the order the canonical grammar defines them, reachable from ``start``)
    and the terminals (each one literal or one regex) of one task and design."""

    rules: dict[str, Node]
    terminals: dict[str, Lit | Pat]


def _seq(parts: Iterable[Node]) -> Node:
    items = tuple(parts)
    return items[0] if len(items) == 1 else Seq(items)


def _alt(choices: Iterable[Node]) -> Node:
    items = tuple(choices)
    return items[0] if len(items) == 1 else Alt(items)


def _literal(token: Token) -> Lit | Pat:
    """A lark literal token (``"..."`` or ``/.../``) as a Lit or a Pat."""
    text = str(token)
    if token.type == "REGEXP":
        body, _, flags = text[1:].rpartition("/")
        if flags:
            raise DesignError(f"regex flags {flags!r} in a canonical grammar are not exported")
        return Pat(body)
    if text.endswith("i"):
        raise DesignError("case-insensitive literals in a canonical grammar are not exported")
    # the literal was written by lark_literal (json-like escapes), lark reads it the same way
    from lark.load_grammar import _literal_to_pattern

    pattern = _literal_to_pattern(token)
    assert isinstance(pattern, PatternStr)
    return Lit(pattern.value)


class _Reader:
    """Turns lark's loader trees into the IR, instantiating templates where they are used."""

    def __init__(self, text: str) -> None:
        builder = GrammarBuilder()
        builder.load_grammar(text)
        self.defs = builder._definitions  # lark's own parse of the grammar text

    def node(self, tree: Any, env: dict[str, Node]) -> Node:
        if isinstance(tree, NonTerminal | Terminal):
            if tree.name in env:
                return env[tree.name]
            return Sym(tree.name, isinstance(tree, Terminal))
        if isinstance(tree, Token):
            return _literal(tree)
        assert isinstance(tree, Tree)
        kind, kids = tree.data, list[Any](tree.children)
        if kind == "expansions":
            return _alt(self.node(kid, env) for kid in kids)
        if kind == "alias":  # `-> item`: only the parse tree's name, not the language
            return self.node(kids[0], env)
        if kind == "expansion":
            return _seq(self.node(kid, env) for kid in kids)
        if kind == "value" or kind == "literal":
            return self.node(kids[0], env)
        if kind == "maybe":
            return Rep(self.node(kids[0], env), 0, 1)
        if kind == "expr":
            body = self.node(kids[0], env)
            op = str(kids[1])
            if op == "?":
                return Rep(body, 0, 1)
            if op == "*":
                return Rep(body, 0, None)
            if op == "+":
                return Rep(body, 1, None)
            if op == "~" and len(kids) == 3:
                return Rep(body, int(kids[2]), int(kids[2]))
            if op == "~":
                return Rep(body, int(kids[2]), int(kids[3]))
            raise DesignError(f"operator {op!r} in a canonical grammar is not exported")
        if kind == "template_usage":
            name = kids[0].name
            definition = self.defs[name]
            args = [self.node(kid, env) for kid in kids[1:]]
            return self.node(definition.tree, dict(zip(definition.params, args, strict=True)))
        raise DesignError(f"grammar construct {kind!r} in a canonical grammar is not exported")

    def grammar(self) -> Grammar:
        rules: dict[str, Node] = {}
        terminals: dict[str, Lit | Pat] = {}
        pending = ["start"]
        while pending:
            name = pending.pop()
            if name in rules or name in terminals:
                continue
            definition = self.defs[name]
            node = self.node(definition.tree, {})
            if definition.is_term:
                if not isinstance(node, Lit | Pat):
                    raise DesignError(f"terminal {name} is not one literal or regex")
                terminals[name] = node
            else:
                rules[name] = node
            pending.extend(sym.name for sym in _symbols(node))
        order = list(self.defs)
        return Grammar(
            {name: rules[name] for name in order if name in rules},
            {name: terminals[name] for name in order if name in terminals},
        )


def _symbols(node: Node) -> Iterable[Sym]:
    """The references in `node`, in order."""
    if isinstance(node, Sym):
        yield node
    elif isinstance(node, Seq):
        for part in node.parts:
            yield from _symbols(part)
    elif isinstance(node, Alt):
        for choice in node.choices:
            yield from _symbols(choice)
    elif isinstance(node, Rep):
        yield from _symbols(node.body)


def canonical_ir(task: Task | str, design: Design | str) -> Grammar:
    """The canonical grammar of `task` and `design` as rules and terminals (templates used)."""
    return _Reader(canonical_grammar(task, design)).grammar()


# ---- writers ---------------------------------------------------------------------------------


def _write_node(
    node: Node, name_of: Callable[[Sym], str], literal: Callable[[str], str], pattern: Callable[
        [str], str]
) -> str:
    """EBNF text of `node` in the syntax Lark and GBNF share: juxtaposition, |, ( ), ? * +."""

    def go(n: Node, inner: bool) -> str:
        if isinstance(n, Sym):
            return name_of(n)
        if isinstance(n, Lit):
            return literal(n.text)
        if isinstance(n, Pat):
            return pattern(n.pattern)
        if isinstance(n, Seq):
            text = " ".join(go(p, True) for p in n.parts)
            return f"({text})" if inner else text
        if isinstance(n, Alt):
            text = " | ".join(go(c, False) for c in n.choices)
            return f"({text})" if inner else text
        body = go(n.body, True)
        suffix = {(0, 1): "?", (0, None): "*", (1, None): "+"}.get((n.low, n.high))
        if suffix is None:
            high = "" if n.high is None else str(n.high)
            suffix = f"{{{n.low},{high}}}"
        return body + suffix

    return go(node, False)


def _header(task: Task, design: Design, comment: str) -> list[str]:
    content = "types, spans" if task.is_extraction else "labels"
    return [
        f"{comment} sdeparse {design.name} outputs of task {task.name!r}: exactly what "
        "`sdeparse.render` writes",
        f"{comment} (exported from sdeparse.canonical; {content}, order and punctuation as "
        "trained)",
    ]


def _lark_name(name: str, terminal: bool) -> str:
    bare = name.lstrip("_")
    return bare.upper() if terminal else bare.lower()


def to_lark(grammar: Grammar, header: list[str]) -> str:
    """llguidance's Lark dialect: plain rules (no templates, aliases or filtered names)."""
    _check_names(grammar, _lark_name)

    def name_of(sym: Sym) -> str:
        return _lark_name(sym.name, sym.terminal)

    lines = list(header)
    for name, node in grammar.rules.items():
        body = _write_node(node, name_of, lark_literal, _slashed)
        lines.append(f"{_lark_name(name, False)}: {body}")
    for name, term in grammar.terminals.items():
        value = lark_literal(term.text) if isinstance(term, Lit) else _slashed(term.pattern)
        lines.append(f"{_lark_name(name, True)}: {value}")
    return "\n".join(lines) + "\n"


def _slashed(pattern: str) -> str:
    return "/" + pattern.replace("/", "\\/") + "/"


def _gbnf_name(name: str, terminal: bool) -> str:
    bare = name.strip("_").replace("_", "-")
    return "root" if name == "start" else (bare.upper() if terminal else bare.lower())


def _check_names(grammar: Grammar, rename: Callable[[str, bool], str]) -> None:
    seen: dict[str, str] = {}
    for names, terminal in ((grammar.rules, False), (grammar.terminals, True)):
        for name in names:
            new = rename(name, terminal)
            if new in seen:
                raise DesignError(f"grammar names {seen[new]} and {name} would both be {new}")
            seen[new] = name


_GBNF_SHORT = {"\\": "\\\\", '"': '\\"', "[": "\\[", "]": "\\]", "\n": "\\n", "\t": "\\t",
               "\r": "\\r"}
_HEX = frozenset("0123456789abcdefABCDEF")


def _gbnf_chars(codes: Iterable[int], in_class: bool) -> str:
    r"""Characters inside a GBNF literal or class: themselves when plain, else an escape that
    llama.cpp and xgrammar read alike (\\ \" \[ \] \n \t \r, else \xHH or \uHHHH); a hex
    digit right after a numeric escape is escaped too, since xgrammar's \x reads on."""
    out = []
    numeric = False
    for code in codes:
        char = chr(code)
        plain = char.isprintable() and (not char.isspace() or char == " ")
        if in_class and char in "-^":
            plain = False
        if char in _GBNF_SHORT and (in_class or char not in "[]"):
            out.append(_GBNF_SHORT[char])
            numeric = False
        elif plain and not (numeric and char in _HEX):
            out.append(char)
            numeric = False
        else:
            out.append(f"\\x{code:02X}" if code <= 0xFF else (
                f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"))
            numeric = True
    return "".join(out)


def _gbnf_char(code: int, in_class: bool) -> str:
    """One character inside a GBNF class (see `_gbnf_chars`)."""
    return _gbnf_chars([code], in_class)


def gbnf_literal(text: str) -> str:
    """A GBNF string literal of `text` (escapes for quotes, backslashes and control chars)."""
    return '"' + _gbnf_chars(map(ord, text), False) + '"'


def _gbnf_regex(pattern: str) -> str:
    """A Python regex (the canonical grammars' one terminal kind beside literals) in GBNF."""

    def items(parsed: Any) -> str:
        out: list[str] = []
        run: list[str] = []  # consecutive literal characters, written as one literal
        for op, av in parsed:
            if op is _OPS.LITERAL:
                run.append(chr(av))
                continue
            if run:
                out.append(gbnf_literal("".join(run)))
                run = []
            out.append(one(op, av))
        if run:
            out.append(gbnf_literal("".join(run)))
        return " ".join(out) or '""'

    def klass(members: list, negate: bool = False) -> str:
        out = []
        for op, av in members:
            if op is _OPS.NEGATE:
                negate = True
            elif op is _OPS.LITERAL:
                out.append(_gbnf_char(av, True))
            elif op is _OPS.RANGE:
                out.append(_gbnf_char(av[0], True) + "-" + _gbnf_char(av[1], True))
            else:
                raise DesignError(f"regex class item {op} has no GBNF export")
        return "[" + ("^" if negate else "") + "".join(out) + "]"

    def one(op: Any, av: Any) -> str:
        if op is _OPS.LITERAL:
            return gbnf_literal(chr(av))
        if op is _OPS.NOT_LITERAL:
            return klass([(_OPS.LITERAL, av)], negate=True)
        if op is _OPS.IN:
            return klass(list(av))
        if op is _OPS.SUBPATTERN:
            return "(" + items(av[-1]) + ")"
        if op is _OPS.BRANCH:
            return "(" + " | ".join(items(branch) for branch in av[1]) + ")"
        if op in (_OPS.MAX_REPEAT, _OPS.MIN_REPEAT):
            low, high, body = av
            inner = "(" + items(body) + ")"
            if (low, high) == (0, _OPS.MAXREPEAT):
                return inner + "*"
            if (low, high) == (1, _OPS.MAXREPEAT):
                return inner + "+"
            if (low, high) == (0, 1):
                return inner + "?"
            return inner + "{" + f"{low}," + ("" if high == _OPS.MAXREPEAT else str(high)) + "}"
        raise DesignError(f"regex construct {op} has no GBNF export")

    return "(" + items(_sre_parse.parse(pattern)) + ")"


def to_gbnf(grammar: Grammar, header: list[str]) -> str:
    """GBNF (llama.cpp, xgrammar): ``root`` is the start rule; names use dashes."""
    _check_names(grammar, _gbnf_name)

    def name_of(sym: Sym) -> str:
        return _gbnf_name(sym.name, sym.terminal)

    lines = list(header)
    for name, node in grammar.rules.items():
        body = _write_node(node, name_of, gbnf_literal, _gbnf_regex)
        lines.append(f"{_gbnf_name(name, False)} ::= {body}")
    for name, term in grammar.terminals.items():
        value = gbnf_literal(term.text) if isinstance(term, Lit) else _gbnf_regex(term.pattern)
        lines.append(f"{_gbnf_name(name, True)} ::= {value}")
    return "\n".join(lines) + "\n"


_REGEX_SPECIAL = frozenset(".^$*+?()[]{}|\\")


def regex_literal(text: str) -> str:
    """`text` as a regex matching only itself: special characters escaped with a backslash,
    control characters as ``\\xHH``/``\\n`` (valid in Python's re and Rust's regex alike)."""
    out = []
    for char in text:
        if char in _REGEX_SPECIAL:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif not char.isprintable() or char.isspace() and char != " ":
            code = ord(char)
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\x{{{code:x}}}")
        else:
            out.append(char)
    return "".join(out)


def to_regex(grammar: Grammar) -> str:
    """One regex of the whole language: every rule written out where it is used (the
    canonical grammars do not recurse)."""

    def go(node: Node, active: tuple[str, ...]) -> str:
        if isinstance(node, Sym):
            if node.name in active:
                raise DesignError(f"rule {node.name} is recursive: no regex export")
            target = (grammar.terminals if node.terminal else grammar.rules)[node.name]
            return go(target, (*active, node.name))
        if isinstance(node, Lit):
            return regex_literal(node.text)
        if isinstance(node, Pat):
            return f"(?:{node.pattern})"
        if isinstance(node, Seq):
            return "".join(go(part, active) for part in node.parts)
        if isinstance(node, Alt):
            # longest literal first: engines such as outlines build leftmost-first automata,
            # where `pos|positive` would never get past "pos"
            choices = sorted(node.choices, key=lambda c: -len(_literal_text(c, grammar)))
            return "(?:" + "|".join(go(choice, active) for choice in choices) + ")"
        body = f"(?:{go(node.body, active)})"
        if (node.low, node.high) == (0, 1):
            return body + "?"
        if (node.low, node.high) == (0, None):
            return body + "*"
        if (node.low, node.high) == (1, None):
            return body + "+"
        return body + f"{{{node.low},{'' if node.high is None else node.high}}}"

    return go(grammar.rules["start"], ("start",))


def _literal_text(node: Node, grammar: Grammar) -> str:
    """The text of a choice that is one literal (directly or as a terminal), else ""."""
    if isinstance(node, Sym) and node.terminal:
        node = grammar.terminals[node.name]
    return node.text if isinstance(node, Lit) else ""


def _flatten(node: Node, grammar: Grammar) -> list[Node]:
    """A sequence of terminals and rule references with inline (``_``) rules written out."""
    if isinstance(node, Seq):
        return [x for part in node.parts for x in _flatten(part, grammar)]
    if isinstance(node, Sym) and not node.terminal and node.name.startswith("_"):
        return _flatten(grammar.rules[node.name], grammar)
    return [node]


def _terminal_values(node: Node, grammar: Grammar) -> list[Lit | Pat]:
    """The terminals a value position can hold (a terminal, or a rule choosing terminals)."""
    if isinstance(node, Sym) and node.terminal:
        return [grammar.terminals[node.name]]
    if isinstance(node, Sym):
        return _terminal_values(grammar.rules[node.name], grammar)
    if isinstance(node, Alt):
        return [v for choice in node.choices for v in _terminal_values(choice, grammar)]
    if isinstance(node, Lit | Pat):
        return [node]
    raise DesignError("a JSON member value that is not a choice of terminals")


_NOT_EXPRESSIBLE = (
    "A JSON schema describes one line: the output is one such object per line, joined by "
    "'\\n' with no trailing newline. The schema cannot express: {order}; the exact spelling "
    "of the canonical line (members in this order, ', ' and ': ' between them, strings "
    "escaped as json.dumps(..., ensure_ascii=False) does). Use the lark, gbnf "
    "or regex export to constrain all of that; sdeparse diagnoses the rest after decoding."
)


def _span_list_schema(grammar: Grammar) -> dict[str, Any]:
    """The schema of an extraction item's ``spans`` rule: an array of non-empty strings, at
    least one where the rule has no optional body (OU)."""
    rule = grammar.rules["spans"]
    optional = isinstance(rule, Seq) and any(
        isinstance(part, Rep) and part.low == 0 and part.high == 1 for part in rule.parts
    )
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 0 if optional else 1,
    }


def to_json_schema(grammar: Grammar, task: Task, design: Design) -> str:
    """The JSON schema of one line's object, read off the canonical items' members."""
    items = [name for name in grammar.rules if re.fullmatch(r"item_\d+", name)]
    properties: dict[str, dict[str, Any]] = {}
    for name in items:
        parts = _flatten(grammar.rules[name], grammar)
        values = [
            [] if part == Sym("spans", False) else _terminal_values(part, grammar)
            for part in parts
        ]
        texts = [v[0].text if len(v) == 1 and isinstance(v[0], Lit) else None for v in values]
        if texts[0] != "{" or texts[-1] != "}":
            raise DesignError(f"{design.name} items are not JSON objects: no json-schema export")
        members = parts[1:-1]
        for start in range(0, len(members), 4):
            key_text = texts[1 + start]
            if key_text is None or texts[2 + start] != ": ":
                raise DesignError(f"{design.name}: an item member is not `\"key\": value`")
            key = json.loads(key_text)
            slot = properties.setdefault(key, {"values": []})
            if parts[3 + start] == Sym("spans", False):  # an extraction type's span list
                slot["list"] = _span_list_schema(grammar)
                continue
            slot["values"].extend(values[3 + start])
    schema_properties: dict[str, Any] = {}
    for key, slot in properties.items():
        if "list" in slot:
            schema_properties[key] = slot["list"]
            continue
        literal = [json.loads(v.text) for v in slot["values"] if isinstance(v, Lit)]
        if any(isinstance(v, Pat) for v in slot["values"]):
            schema_properties[key] = {"type": "string"}
        elif len(set(map(json.dumps, literal))) == 1:
            schema_properties[key] = {"const": literal[0]}
        else:
            unique = list({json.dumps(v, ensure_ascii=False): v for v in literal}.values())
            schema_properties[key] = {"enum": unique}
    slots = "types" if task.is_extraction else "slots"
    order = (
        f"which {slots} appear and in which order (here any ordered subset of the {slots} in "
        "task order, each at most once, or no line at all)"
        if design.omit_unmentioned
        else f"that every {slots[:-1]} appears exactly once, in task order"
    )
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"sdeparse {task.name} {design.name}: one output line",
        "description": _NOT_EXPRESSIBLE.format(order=order),
        "type": "object",
        "properties": schema_properties,
        "required": list(schema_properties),
        "additionalProperties": False,
    }
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def export_grammar(
    task: Task | str, design: Design | str, format: GrammarFormat | str = GrammarFormat.LARK
) -> str:
    """The grammar of exactly the canonical outputs of `task` and `design` (`format`: lark,
    gbnf, regex or json-schema), for constrained decoding; see the module docstring."""
    task = load_task(task)
    design = task.design(design)
    check_design(task, design)
    try:
        fmt = GrammarFormat(str(format).strip().lower())
    except ValueError:
        raise DesignError(
            f"unknown grammar format {format!r}; valid: {', '.join(GRAMMAR_FORMATS)}"
        ) from None
    if fmt is GrammarFormat.JSON_SCHEMA and not design.is_json:
        designs = "the json design" if task.is_extraction else "the JSON designs (json, cot, rcot)"
        lines = (
            " (a tuples line is a JSON array, not an object)"
            if design.format is Format.TUPLES else ""
        )
        raise DesignError(
            f"{design.name}: json-schema applies to JSON-object designs only, {designs}"
            f"{lines}; use lark, gbnf or regex"
        )
    grammar = canonical_ir(task, design)
    if fmt is GrammarFormat.LARK:
        return to_lark(grammar, _header(task, design, "//"))
    if fmt is GrammarFormat.GBNF:
        return to_gbnf(grammar, _header(task, design, "#"))
    if fmt is GrammarFormat.REGEX:
        regex = to_regex(grammar)
        if len(regex) > MAX_REGEX_CHARS:
            raise GrammarTooLargeError(
                f"{task.name} {design.name}: its regex would be {len(regex):,} characters "
                f"(over sdeparse.export.MAX_REGEX_CHARS = {MAX_REGEX_CHARS:,}); a regex writes "
                "every span list out once per place it can occur. Use the lark or gbnf export"
            )
        return regex
    return to_json_schema(grammar, task, design)
