"""Corruption operators (public test support): realistic ways a fine-tuned model departs from
its trained format. Apply them to your own task to test a pipeline end to end.

Each operator takes a canonical rendering (``render(labels, task, design)``) and returns a
corrupted text, or None when it does not apply to that text. Every operator names the
diagnostic code the parser must raise on its output and whether the strict profile must
still recover the true labels. They are task-generic: punctuation, JSON keys, aliases,
synonyms and codes all come from the task. Used by the tests and the recovery benchmark.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .design import FORMATS, Design, Format
from .layouts import LAYOUTS, layout_for
from .layouts.base import CanonicalReader
from .task import AspectHow, LabelHow, Task

Unit = dict
Apply = Callable[[str, Task, Design, random.Random], "str | None"]

PAIRS = frozenset(("natural", "lines"))
JSONS = frozenset(("json", "cot", "rcot"))
COTS = frozenset(("cot", "rcot"))
ALL = frozenset(FORMATS)


@dataclass(frozen=True)
class Corruption:
    """One operator: `code` the parser must raise, `recoverable` under strict, where it applies.

    `omit` / `numeric` restrict the design options (None: either)."""

    name: str
    code: str
    recoverable: bool
    formats: frozenset[str]
    func: Apply
    omit: bool | None = None
    numeric: bool | None = None
    doc: str = ""

    def applies_to(self, design: Design) -> bool:
        """Whether the operator makes sense for this design at all."""
        return (
            design.format in self.formats
            and (self.omit is None or design.omit_unmentioned == self.omit)
            and (self.numeric is None or design.numeric_labels == self.numeric)
        )

    def apply(self, text: str, task: Task, design: Design, rng: random.Random) -> str | None:
        """The corrupted text, or None when not applicable to this text or design."""
        if not self.applies_to(design):
            return None
        out = self.func(text, task, design, rng)
        return None if out is None or out == text else out


# ---- reading and writing canonical text -------------------------------------------------


def _ascii(task: Task) -> bool:
    return task.punctuation.key_value.strip().isascii()


def _read(text: str, task: Task, design: Design) -> list[Unit]:
    """The items of a canonical rendering, read by the layout's own canonical matcher, as
    dicts keyed by the task's JSON keys (in the order the layout writes the fields); [] for
    the empty output and for a text that is not canonical."""
    layout = layout_for(design)
    read = _canonical_reader(task, design)(text)
    if read is None:
        return []
    labels, descriptions = read
    keys = task.json_keys
    units: list[Unit] = []
    for aspect in task.aspect_names:
        label = labels[aspect]
        if design.omit_unmentioned and label == task.placeholder:
            continue
        spelled = _spell(label, task, design)
        if design.is_json:
            item = layout.render_item(aspect, spelled, task, design, descriptions.get(aspect, ""))
            units.append(json.loads(item))
        else:
            units.append({keys.aspect: aspect, keys.label: str(spelled)})
    return units


@lru_cache(maxsize=64)
def _canonical_reader(task: Task, design: Design) -> CanonicalReader:
    return layout_for(design).canonical_reader(task, design)


def _dump(unit: Unit, compact: bool = False, ascii_only: bool = False) -> str:
    """A unit as a JSON object, however deviating its fields (canonical spacing by default)."""
    seps = (",", ":") if compact else (", ", ": ")
    return json.dumps(unit, ensure_ascii=ascii_only, separators=seps)


def _pair(unit: Unit, task: Task, kv: str | None = None) -> str:
    """A unit as a key-value pair: the pairs layout's own item, or with another colon `kv`."""
    keys = task.json_keys
    key, value = unit.get(keys.aspect, ""), unit.get(keys.label, "")
    if kv is None:
        return LAYOUTS["natural"].render_item(key, value, task, _PAIRS_DESIGN)
    return f"{key}{kv}{value}"


_PAIRS_DESIGN = Design(Format.NATURAL)


def _write(
    units: Sequence[Unit],
    task: Task,
    design: Design,
    fmt: str | None = None,
    pieces: Sequence[str] | None = None,
) -> str:
    """Units written in `fmt`'s layout (default: the design's); `pieces` overrides pair text."""
    target = Design(Format(fmt or design.format), design.omit_unmentioned, design.numeric_labels)
    if target.is_json:
        return "\n".join(_dump(u) for u in units)
    pieces = list(pieces) if pieces is not None else [_pair(u, task) for u in units]
    joiner, ending = layout_for(target).joiner(task, target)
    return joiner.join(pieces) + ending if pieces else ""


def _spell(label: str, task: Task, design: Design) -> str | int:
    """How the design writes a label: text, or its numeric code (an int in JSON)."""
    if not design.numeric_labels:
        return label
    code = task.code_by_label[label]
    return code if design.is_json else str(code)


def _label_of(unit: Unit, task: Task, design: Design) -> str | None:
    value = unit.get(task.json_keys.label)
    return task.resolve_label(str(value), design.numeric_labels).label


def _pick(rng: random.Random, seq: Sequence):
    return seq[rng.randrange(len(seq))] if seq else None


def _edit(
    func: Callable[[list[Unit], Task, Design, random.Random], bool],
) -> Apply:
    """An operator that edits the units in place (returns False when not applicable)."""

    def run(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
        units = _read(text, task, design)
        if not func(units, task, design, rng):
            return None
        return _write(units, task, design)

    return run


# ---- whole output -----------------------------------------------------------------------


def _empty(text, task, design, rng):
    return ""


def _whitespace(text, task, design, rng):
    return _pick(rng, [" ", "\n", "  \n ", "\t"])


# ---- truncation -------------------------------------------------------------------------


def _cut_points(text: str, task: Task, design: Design, part: str) -> list[int]:
    """Cut positions strictly inside some item's label (`part` label) or aspect (`key`)."""
    points = []
    keys = task.json_keys
    at = 0
    punct = task.punctuation
    for unit in _read(text, task, design):
        aspect = str(unit[keys.aspect])
        if design.is_json:
            line = _dump(unit)
            target = aspect if part == "key" else str(unit[keys.label])
            quoted = json.dumps(target, ensure_ascii=False)
            if part == "key":
                offset = line.index(": ", 0) + 2
            else:
                offset = line.index(json.dumps(keys.label, ensure_ascii=False) + ": ") + len(
                    json.dumps(keys.label, ensure_ascii=False) + ": "
                )
            if isinstance(unit[keys.label], int) and part == "label":
                quoted = target
            inner = 1 if quoted.startswith('"') else 0
            start = at + offset + inner
            length = len(quoted) - 2 * inner
            for cut in range(1, length):
                prefix = target[:cut]
                if part == "label" and task.resolve_label(prefix, design.numeric_labels).label:
                    continue
                points.append(start + cut)
            at += len(line) + 1
        else:
            label = str(unit[keys.label])
            if part == "key":
                points.extend(at + cut for cut in range(1, len(aspect)))
            else:
                start = at + len(aspect) + len(punct.key_value)
                for cut in range(1, len(label)):
                    if not task.resolve_label(label[:cut], design.numeric_labels).label:
                        points.append(start + cut)
            sep = "\n" if design.format == "lines" else punct.pair_separator
            at += len(aspect) + len(punct.key_value) + len(label) + len(sep)
    return points


def _truncate(part: str) -> Apply:
    def run(text, task, design, rng):
        points = _cut_points(text, task, design, part)
        return text[: _pick(rng, points)] if points else None

    return run


def _truncate_after_colon(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    index = rng.randrange(len(units))
    pieces = [_pair(u, task) for u in units[:index]]
    sep = "\n" if design.format == "lines" else task.punctuation.pair_separator
    kv = task.punctuation.key_value
    return "".join(p + sep for p in pieces) + str(units[index][task.json_keys.aspect]) + kv


def _truncate_in_description(text, task, design, rng):
    """A CoT/R-CoT output cut inside a description string (the 200-token cap)."""
    keys = task.json_keys
    units = _read(text, task, design)
    if not units:
        return None
    lines = text.split("\n")
    options: list[int] = []
    at = 0
    marker = json.dumps(keys.description, ensure_ascii=False) + ': "'
    for unit, line in zip(units, lines, strict=True):
        start = line.index(marker) + len(marker)
        body = json.dumps(unit[keys.description], ensure_ascii=False)[1:-1]
        options.extend(at + start + cut for cut in range(0, len(body) + 1))
        at += len(line) + 1
    return text[: _pick(rng, options)] if options else None


def _truncate_mid_object(text, task, design, rng):
    """A JSON output cut after a complete field but before the closing brace."""
    lines = text.split("\n")
    if not text:
        return None
    index = rng.randrange(len(lines))
    line = lines[index]
    cuts = [i for i, ch in enumerate(line) if ch == ","]
    if not cuts:
        return None
    return "\n".join(lines[:index] + [line[: _pick(rng, cuts)]])


# ---- layout mismatches ------------------------------------------------------------------


def _as_format(fmt: str, minimum: int = 1) -> Apply:
    def run(text, task, design, rng):
        units = _read(text, task, design)
        if len(units) < minimum:
            return None
        if fmt in PAIRS and design.is_json:
            for unit in units:
                unit.pop(task.json_keys.description, None)
        return _write(units, task, design, fmt=fmt)

    return run


def _json_for_pairs(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    if design.numeric_labels:
        for unit in units:
            unit[task.json_keys.label] = int(unit[task.json_keys.label])
    return "\n".join(_dump(u) for u in units)


def _json_array(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    if rng.random() < 0.5:
        return "[" + ", ".join(_dump(u) for u in units) + "]"
    return "[\n" + ",\n".join("  " + _dump(u) for u in units) + "\n]"


def _json_joined(text, task, design, rng):
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    return _pick(rng, [", ", " ", ""]).join(_dump(u) for u in units)


def _json_mapping(text, task, design, rng):
    keys = task.json_keys
    units = _read(text, task, design)
    if not units or design.has_description:
        return None
    return _dump({u[keys.aspect]: u[keys.label] for u in units})


def _swap_cot_order(text, task, design, rng):
    keys = task.json_keys
    units = _read(text, task, design)
    if not units:
        return None
    out = []
    for u in units:
        if design.format == "rcot":
            out.append(
                {
                    keys.aspect: u[keys.aspect],
                    keys.description: u[keys.description],
                    keys.label: u[keys.label],
                }
            )
        else:
            out.append(
                {
                    keys.aspect: u[keys.aspect],
                    keys.label: u[keys.label],
                    keys.description: u[keys.description],
                }
            )
    return "\n".join(_dump(u) for u in out)


def _cot_fields_in_json(text, task, design, rng):
    keys = task.json_keys
    units = _read(text, task, design)
    if not units:
        return None
    reason = "review mentions it" if _ascii(task) else "评论提到了"
    out = [
        {keys.aspect: u[keys.aspect], keys.description: reason, keys.label: u[keys.label]}
        for u in units
    ]
    return "\n".join(_dump(u) for u in out)


# ---- punctuation ------------------------------------------------------------------------


def _other(canonical: str, variants: Sequence[str], rng: random.Random) -> str | None:
    return _pick(rng, [v for v in variants if v != canonical])


def _colon_variant(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    kv = _other(task.punctuation.key_value, [":", "：", ": ", " : ", ":  "], rng)
    chosen = set(rng.sample(range(len(units)), rng.randint(1, len(units))))
    pieces = [_pair(u, task, kv if i in chosen else None) for i, u in enumerate(units)]
    return _write(units, task, design, pieces=pieces)


def _separator_variant(text, task, design, rng):
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    sep = _other(task.punctuation.pair_separator, ["；", "、", ";", ",", "; ", "，"], rng)
    if sep is None:
        return None
    body = sep.join(_pair(u, task) for u in units)
    return body + task.punctuation.terminator


def _stray_spaces(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    kv = task.punctuation.key_value
    i = rng.randrange(len(units))
    pieces = [_pair(u, task) for u in units]
    pieces[i] = _pair(units[i], task, _pick(rng, [" " + kv, kv + " ", " " + kv + "  "]))
    return _write(units, task, design, pieces=pieces)


def _terminator_variant(text, task, design, rng):
    if not text:
        return None
    term = task.punctuation.terminator
    body = text[: -len(term)] if term and text.endswith(term) else text
    return body + _other(term, ["", term + term, "。", ".", "．"], rng)


def _lines_terminator(text, task, design, rng):
    if not text:
        return None
    term = task.punctuation.terminator or "。"
    if rng.random() < 0.5:
        return text + term
    return "\n".join(line + term for line in text.split("\n"))


def _missing_colon(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    keys = task.json_keys
    i = rng.randrange(len(units))
    pieces = [_pair(u, task) for u in units]
    glue = " " if _ascii(task) else ""
    pieces[i] = f"{units[i][keys.aspect]}{glue}{units[i][keys.label]}"
    return _write(units, task, design, pieces=pieces)


def _json_spacing(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    if rng.random() < 0.5:
        return "\n".join(_dump(u, compact=True) for u in units)
    return "\n".join(_dump(u, ascii_only=True) for u in units)


def _surrounding_whitespace(text, task, design, rng):
    if not text:
        return None
    return _pick(rng, ["\n", " ", "\n\n"]) + text + _pick(rng, ["", "\n"])


# ---- JSON syntax ------------------------------------------------------------------------


def _sq(value) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _object(unit: Unit, key_fmt, value_fmt, trailing: str = "") -> str:
    body = ", ".join(f"{key_fmt(k)}: {value_fmt(k, v)}" for k, v in unit.items())
    return "{" + body + trailing + "}"


def _dq(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _on_some_lines(make: Callable[[Unit, Task], str | None]) -> Apply:
    def run(text, task, design, rng):
        units = _read(text, task, design)
        if not units:
            return None
        chosen = set(rng.sample(range(len(units)), rng.randint(1, len(units))))
        lines = []
        changed = False
        for i, u in enumerate(units):
            new = make(u, task) if i in chosen else None
            changed |= new is not None
            lines.append(new if new is not None else _dump(u))
        return "\n".join(lines) if changed else None

    return run


def _single_quotes(unit, task):
    return _object(unit, _sq, lambda k, v: _sq(v))


def _trailing_comma(unit, task):
    return _object(unit, _dq, lambda k, v: _dq(v), trailing=",")


def _unquoted(unit, task):
    keys = task.json_keys
    aspect = str(unit[keys.aspect])
    label = unit[keys.label]
    if any(ch in aspect + str(label) for ch in " ,，:：{}[]\"'"):
        return None
    return _object(unit, _dq, lambda k, v: str(v) if k in (keys.aspect, keys.label) else _dq(v))


def _python_literal(unit, task):
    keys = task.json_keys
    return _object(unit, _sq, lambda k, v: "None" if k == keys.label else _sq(v))


def _missing_comma(unit, task):
    items = list(unit.items())
    return "{" + " ".join(f"{_dq(k)}: {_dq(v)}" for k, v in items) + "}"


def _missing_brace(text, task, design, rng):
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    i = rng.randrange(len(lines) - 1)
    lines[i] = lines[i][:-1]
    return "\n".join(lines)


# ---- extra text -------------------------------------------------------------------------


def _prefix(text, task, design, rng):
    if not text:
        return None
    words = ["Output: ", "Answer: "] if _ascii(task) else ["输出：", "答案：", "结果："]
    head = _pick(rng, words)
    if design.is_json or rng.random() < 0.5:
        return head + ("\n" if design.is_json or design.format == "lines" else "") + text
    return head + text


def _code_fence(text, task, design, rng):
    if not text:
        return None
    lang = "json" if design.is_json else ""
    return f"```{lang}\n{text}\n```"


def _trailing_prose(text, task, design, rng):
    if not text:
        return None
    prose = (
        ["Hope this helps", "That is my analysis"]
        if _ascii(task)
        else ["以上是我的分析", "希望对你有帮助"]
    )
    return text + "\n" + _pick(rng, prose)


def _leading_prose(text, task, design, rng):
    if not text:
        return None
    prose = ["Here is the result"] if _ascii(task) else ["下面是分析结果", "好的"]
    return _pick(rng, prose) + "\n" + text


def _extra_field(unit, task):
    name = "confidence" if _ascii(task) else "置信度"
    return _dump({**unit, name: 0.9})


def _list_marker(text, task, design, rng):
    if not text:
        return None
    lines = text.split("\n")
    marks = _pick(rng, ["- ", "* ", "• "])
    return "\n".join(marks + line for line in lines)


# ---- empty and malformed items ----------------------------------------------------------


def _double_separator(text, task, design, rng):
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    sep = task.punctuation.pair_separator
    i = rng.randrange(1, len(units))
    pieces = [_pair(u, task) for u in units]
    pieces.insert(i, "")
    return sep.join(pieces) + task.punctuation.terminator if sep.strip() else None


def _blank_line(text, task, design, rng):
    lines = text.split("\n")
    if len(lines) < 2:
        return None
    i = rng.randrange(1, len(lines))
    lines.insert(i, _pick(rng, ["", ""]))
    return "\n".join(lines)


def _empty_object(text, task, design, rng):
    lines = text.split("\n") if text else []
    if not lines:
        return None
    lines.insert(rng.randrange(len(lines) + 1), "{}")
    return "\n".join(lines)


_PROSE = ("很好吃", "环境不错但是有点吵")
_PROSE_EN = ("really nice", "would come again")


def _malformed_piece(text, task, design, rng):
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    pieces = [_pair(u, task) for u in units]
    junk = _pick(rng, _PROSE_EN if _ascii(task) else _PROSE)
    if rng.random() < 0.3:
        junk = (
            task.punctuation.key_value.strip()
            + _pair(units[0], task).split(task.punctuation.key_value, 1)[1]
        )
    pieces.insert(rng.randrange(1, len(pieces)), junk)
    return _write(units, task, design, pieces=pieces)


def _malformed_object(text, task, design, rng):
    lines = text.split("\n") if text else []
    if not lines:
        return None
    name, value = ("comment", "really nice") if _ascii(task) else ("评论", "很好吃")
    lines.insert(rng.randrange(len(lines) + 1), _dump({name: value}))
    return "\n".join(lines)


# ---- template echo ----------------------------------------------------------------------

_TEMPLATE_KEYS = ("方面1", "方面2", "aspect 1", "aspect 2", "Aspect1")
_TEMPLATE_VALUES = ("情感类别", "sentiment", "sentiment label")


def _template_units(task: Task) -> list[Unit] | None:
    keys = [k for k in _TEMPLATE_KEYS if task.is_template(k)]
    values = [v for v in _TEMPLATE_VALUES if task.is_template(v)]
    if not keys or not values:
        return None
    return [{task.json_keys.aspect: k, task.json_keys.label: values[0]} for k in keys[:2]]


def _template_prefix(text, task, design, rng):
    echo = _template_units(task)
    if echo is None or not text:
        return None
    units = echo + _read(text, task, design)
    if design.is_json:
        return "\n".join(_dump(u) for u in units)
    return _write(units, task, design)


def _template_only(text, task, design, rng):
    echo = _template_units(task)
    if echo is None:
        return None
    if design.is_json:
        return "\n".join(_dump(u) for u in echo)
    return _write(echo, task, design)


# ---- aspects ----------------------------------------------------------------------------


def _aspect_spellings(task: Task, aspect: str, how: str) -> list[str]:
    spec = next(a for a in task.aspects if a.name == aspect)
    if how == "alias":
        candidates = list(spec.aliases) + [aspect.upper(), aspect.title()]
    else:
        candidates = list(spec.keywords)
    return [
        c
        for c in candidates
        if c != aspect
        and task.resolve_aspect(c).aspects == (aspect,)
        and task.resolve_aspect(c).how in (AspectHow.ALIAS, AspectHow.KEYWORD)
    ]


def _rename(how: str):
    def edit(units, task, design, rng):
        keys = task.json_keys
        options = [
            (i, s)
            for i, u in enumerate(units)
            for s in _aspect_spellings(task, u[keys.aspect], how)
        ]
        if not options:
            return False
        i, spelling = _pick(rng, options)
        units[i][keys.aspect] = spelling
        return True

    return edit


_UNKNOWN = ("环境", "口味", "位置", "wifi", "portion size", "music")


def _unknown_key(task: Task, rng: random.Random) -> str | None:
    options = [k for k in _UNKNOWN if task.resolve_aspect(k).how == AspectHow.NONE]
    return _pick(rng, options)


def _unknown_extra(units, task, design, rng):
    key = _unknown_key(task, rng)
    if key is None:
        return False
    unit = _unit(key, _spell(_pick(rng, task.mentioned_labels), task, design), task, design)
    units.insert(rng.randrange(len(units) + 1), unit)
    return True


def _unit(aspect: str, value, task: Task, design: Design) -> Unit:
    """A new item in the design's field order (empty description for CoT/R-CoT)."""
    keys = task.json_keys
    if design.format == "cot":
        return {keys.aspect: aspect, keys.description: "", keys.label: value}
    if design.format == "rcot":
        return {keys.aspect: aspect, keys.label: value, keys.description: ""}
    return {keys.aspect: aspect, keys.label: value}


def _unknown_replace(units, task, design, rng):
    key = _unknown_key(task, rng)
    if key is None or not units:
        return False
    units[rng.randrange(len(units))][task.json_keys.aspect] = key
    return True


def _duplicate(same: bool):
    def edit(units, task, design, rng):
        if not units:
            return False
        i = rng.randrange(len(units))
        copy = dict(units[i])
        if not same:
            current = _label_of(copy, task, design)
            others = [lab for lab in task.label_names if lab != current]
            copy[task.json_keys.label] = _spell(_pick(rng, others), task, design)
        units.insert(rng.randrange(i + 1, len(units) + 1), copy)
        return True

    return edit


def _drop(only_placeholder: bool):
    def edit(units, task, design, rng):
        options = [
            i
            for i, u in enumerate(units)
            if not only_placeholder or _label_of(u, task, design) == task.placeholder
        ]
        if not options:
            return False
        del units[_pick(rng, options)]
        return True

    return edit


def _shuffle(units, task, design, rng):
    # Items that are all equal cannot be put out of order (shuffling them would never end).
    if len(units) < 2 or all(u == units[0] for u in units):
        return False
    original = list(units)
    while units == original:
        rng.shuffle(units)
    return True


def _add_placeholder(units, task, design, rng):
    keys = task.json_keys
    present = {u[keys.aspect] for u in units}
    absent = [a for a in task.aspect_names if a not in present]
    if not absent:
        return False
    aspect = _pick(rng, absent)
    order = task.aspect_names.index(aspect)
    at = sum(1 for u in units if task.aspect_names.index(u[keys.aspect]) < order)
    units.insert(at, _unit(aspect, _spell(task.placeholder, task, design), task, design))
    return True


# ---- labels -----------------------------------------------------------------------------


def _relabel(
    choose: Callable[[str, Task, Design, random.Random], str | int | None], last: bool = True
):
    """Replace one item's label by `choose`'s value; `last` False spares a Lines output's last
    item (an empty last label there reads as a cut-off output, which it may well be)."""

    def edit(units, task, design, rng):
        keys = task.json_keys
        options = []
        for i, u in enumerate(units):
            if not last and design.format == "lines" and i == len(units) - 1:
                continue
            label = _label_of(u, task, design)
            if label is not None:
                new = choose(label, task, design, rng)
                if new is not None:
                    options.append((i, new))
        if not options:
            return False
        i, new = _pick(rng, options)
        units[i][keys.label] = new
        return True

    return edit


def _synonym(label, task, design, rng):
    spec = next(lab for lab in task.labels if lab.name == label)
    options = [
        s
        for s in spec.synonyms
        if task.resolve_label(s, False).label == label
        and task.resolve_label(s, False).how == LabelHow.SYNONYM
    ]
    return _pick(rng, options)


def _contains(label, task, design, rng):
    suffixes = [" sentiment", " overall"] if _ascii(task) else ["评价", "情绪", "的"]
    options = [
        label + s
        for s in suffixes
        if task.resolve_label(label + s, False).how == LabelHow.CONTAINS
        and task.resolve_label(label + s, False).label == label
    ]
    return _pick(rng, options)


def _code_in_text(label, task, design, rng):
    code = str(task.code_by_label[label])
    return code


def _text_in_numeric(label, task, design, rng):
    return label


_INVALID = ("好吃", "一般般", "还行", "great", "so-so", "okay")


def _invalid(label, task, design, rng):
    options = [
        v for v in _INVALID if task.resolve_label(v, design.numeric_labels).how == LabelHow.INVALID
    ]
    if design.numeric_labels:
        codes = {lab.code for lab in task.labels}
        options.append(str(max(codes) + 1 + rng.randrange(5)))
    return _pick(rng, options)


def _empty_label(label, task, design, rng):
    return ""


def _ambiguous(label, task, design, rng):
    mentioned = list(task.mentioned_labels)
    if len(mentioned) < 2:
        return None
    first, second = rng.sample(mentioned, 2)
    value = f"{first} to {second}" if _ascii(task) else f"{first}偏{second}"
    return (
        value
        if task.resolve_label(value, design.numeric_labels).how == LabelHow.AMBIGUOUS
        else None
    )


# ---- labels: unasserted, noted, repeated answers (labels part) ---------------------------

_REASONS_ZH = ("价格偏贵", "上菜快", "环境整洁", "菜量大")
_REASONS_EN = ("great pasta", "friendly staff", "small portions", "see review")


def _as(how: LabelHow, label: str, value: str, task: Task, design: Design) -> str | None:
    """`value` when the task reads it as `how` (and, for a note, as `label`), else None."""
    match = task.resolve_label(value, design.numeric_labels)
    if match.how is not how or (how is LabelHow.NOTE and match.label != label):
        return None
    return value


def _cued(kind: str) -> Callable[[str, Task, Design, random.Random], str | None]:
    """A label negated, questioned or hedged (the label's text, in a text or numeric design)."""
    wraps = {
        "negated": (("不是{}", "并非{}", "没有{}"), ("not {}", "isn't {}", "no longer {}")),
        "questioned": (("{}吗？", "{}？", "是否{}"), ("{}?", "{}??", "whether {}")),
        "hedged": (("可能{}", "也许{}", "大概{}"), ("maybe {}", "possibly {}", "perhaps {}")),
    }[kind]

    def choose(label: str, task: Task, design: Design, rng: random.Random) -> str | None:
        form = _pick(rng, wraps[0] if not _ascii(task) else wraps[1])
        return _as(LabelHow.UNASSERTED, label, form.format(label), task, design)

    return choose


def _noted(label, task, design, rng):
    spelled = str(_spell(label, task, design))
    if _ascii(task):
        reason = _pick(rng, _REASONS_EN)
        value = _pick(rng, [f"{spelled} ({reason})", f"{spelled} - {reason}"])
    else:
        value = f"{spelled}（{_pick(rng, _REASONS_ZH)}）"
    return _as(LabelHow.NOTE, label, value, task, design)


def _degree(label, task, design, rng):
    if label == task.placeholder:
        return None
    words = ("very", "quite", "mostly", "slightly") if _ascii(task) else ("非常", "很", "比较")
    sep = " " if _ascii(task) else ""
    return _as(LabelHow.NOTE, label, f"{_pick(rng, words)}{sep}{label}", task, design)


def _repeat_answer(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    copies = 3 if len(units) == 1 else rng.choice((2, 3))
    return _write(units * copies, task, design)


def _loop_cut(text, task, design, rng):
    """The answer given once or twice more, then cut inside the first aspect of the next copy
    (a generation loop stopped by the token limit)."""
    units = _read(text, task, design)
    if not units:
        return None
    full = _write(units * (1 + rng.choice((1, 2))), task, design)
    first = units[0]
    aspect = str(first[task.json_keys.aspect])
    item = _dump(first) if design.is_json else _pair(first, task)
    last = full.rfind(item)
    at = item.find(f'"{aspect}"') + 1 if design.is_json else item.find(aspect)
    if last < 0 or at < 0 or len(aspect) < 2:
        return None
    return full[: last + at + rng.randrange(1, len(aspect))]


# ---- missing fields ---------------------------------------------------------------------


def _without(field_of: Callable[[Task], str]) -> Apply:
    def run(text, task, design, rng):
        units = _read(text, task, design)
        if not units:
            return None
        i = rng.randrange(len(units))
        units[i].pop(field_of(task), None)
        return "\n".join(_dump(u) for u in units)

    return run


# ---- prose: pairs written as sentences, joined by words, merged keys (layouts/pairs.py) ----


def _prose_copula(text, task, design, rng):
    """One pair written as a sentence: 食品评价为正面, 卫生情况是正面的, the food is positive."""
    units = _read(text, task, design)
    if not units:
        return None
    keys = task.json_keys
    pieces = [_pair(u, task) for u in units]
    i = rng.randrange(len(units))
    aspect, label = units[i][keys.aspect], units[i][keys.label]
    if _ascii(task):
        verb = _pick(rng, ["is", "was", "looks", "=", "->"])
        lead = "the " if rng.random() < 0.3 else ""
        pieces[i] = f"{lead}{aspect} {verb} {label}"
    else:
        copula = _pick(rng, ["为", "是", "属于", "算是", "评价为"])
        tail = "的" if copula == "是" and not design.numeric_labels and rng.random() < 0.5 else ""
        pieces[i] = f"{aspect}{copula}{label}{tail}"
    return _write(units, task, design, pieces=pieces)


def _joined_by_word(text, task, design, rng):
    """Two neighbouring pairs joined by a word (和, 以及, and, &) instead of the separator."""
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    pieces = [_pair(u, task) for u in units]
    i = rng.randrange(len(units) - 1)
    english = [" and ", " & ", " plus ", " / "]
    words = english if _ascii(task) else ["和", "及", "以及", "与", "还有"]
    pieces[i : i + 2] = [pieces[i] + _pick(rng, words) + pieces[i + 1]]
    return _write(units, task, design, pieces=pieces)


def _merged_key(text, task, design, rng):
    """A pair glued to the key of the next one, without its colon or separator:
    食品评价正面饮品评价：负面, food positive price: negative."""
    units = _read(text, task, design)
    if len(units) < 2:
        return None
    keys = task.json_keys
    pieces = [_pair(u, task) for u in units]
    i = rng.randrange(len(units) - 1)
    glue = " " if _ascii(task) else ""
    first = f"{units[i][keys.aspect]}{glue}{units[i][keys.label]}{glue}"
    pieces[i : i + 2] = [first + pieces[i + 1]]
    return _write(units, task, design, pieces=pieces)


# ---- jsonhabits: JSON written by other habits ------------------------------------------

_ENGLISH_KEYS = ("aspect", "sentiment", "description")
_CHINESE_KEYS = ("方面", "情感", "描述")


def _other_language_keys(task: Task) -> dict[str, str]:
    """The task's JSON keys in the other language: English for Chinese ones, and back."""
    keys = task.json_keys
    own = (keys.aspect, keys.label, keys.description)
    other = _CHINESE_KEYS if all(k.isascii() for k in own) else _ENGLISH_KEYS
    return dict(zip(own, other, strict=True))


def _capitalized_keys(task: Task) -> dict[str, str]:
    """Capitalised English keys (Aspect, Sentiment, Description) for the task's own."""
    keys = task.json_keys
    own = (keys.aspect, keys.label, keys.description)
    english = own if all(k.isascii() for k in own) else _ENGLISH_KEYS
    return {k: e[:1].upper() + e[1:] for k, e in zip(own, english, strict=True)}


def _json_keys_as(rename: Callable[[Task], dict[str, str]]) -> Apply:
    """Every object written with its keys renamed."""

    def run(text, task, design, rng):
        units = _read(text, task, design)
        if not units:
            return None
        names = rename(task)
        return "\n".join(_dump({names.get(k, k): v for k, v in u.items()}) for u in units)

    return run


def _pretty_objects(text, task, design, rng):
    """Each object pretty-printed (indent 2) over several lines."""
    units = _read(text, task, design)
    if not units:
        return None
    return "\n".join(json.dumps(u, ensure_ascii=False, indent=2) for u in units)


def _pretty_array(text, task, design, rng):
    """The objects as one pretty-printed array (indent 2), in a ```json fence or not."""
    units = _read(text, task, design)
    if not units:
        return None
    body = json.dumps(units, ensure_ascii=False, indent=2)
    return f"```json\n{body}\n```" if rng.random() < 0.5 else body


def _comma_after_objects(text, task, design, rng):
    """A comma after every object, the last one too."""
    units = _read(text, task, design)
    if not units:
        return None
    return "\n".join(_dump(u) + "," for u in units)


# ---- unwrap: chat wrappers and markdown decoration (unwrap.py) ---------------------------

_EOS_TOKENS = (
    "</s>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end|>", "<eos>", "<end_of_turn>",
    "<|end_of_text|>",
)
_CHAT_WRAPS = (
    ("<|im_start|>assistant\n", "<|im_end|>"),
    ("<|start_header_id|>assistant<|end_header_id|>\n\n", "<|eot_id|>"),
    ("[/INST] ", "</s>"),
    ("<start_of_turn>model\n", "<end_of_turn>"),
    ("<|assistant|>\n", "<|end|>"),
    ("<s>", "</s>"),
)


def _reasoning_text(text: str, task: Task, rng: random.Random) -> str:
    """A few words of reasoning that name an aspect and a label (never read as the answer)."""
    aspect, label = _pick(rng, task.aspect_names), _pick(rng, task.label_names)
    if _ascii(task):
        return f"The review is about the {aspect}; maybe {label}? Check: {aspect}: {label}"
    return f"评论提到了{aspect}，可能是{label}。检查一下：{aspect}：{label}"


def _think_block(text, task, design, rng):
    if not text:
        return None
    thought = _reasoning_text(text, task, rng)
    form = rng.randrange(4)
    if form == 0:
        return f"<think>\n{thought}\n</think>\n\n{text}"
    if form == 1:
        name = _pick(rng, ["thinking", "reasoning"])
        return f"<{name}>{thought}</{name}>\n{text}"
    if form == 2:
        return f"<think>\n\n</think>\n\n{text}"
    return f"{thought}\n</think>\n\n{text}"  # the template opened the block in the prompt


def _think_unclosed(text, task, design, rng):
    return f"<think>\n{text}" if text else None


def _eos_token(text, task, design, rng):
    return text + _pick(rng, ["", "\n"]) + _pick(rng, _EOS_TOKENS)


def _chat_tokens(text, task, design, rng):
    head, tail = _pick(rng, _CHAT_WRAPS)
    return head + text + tail + _pick(rng, ["", "\n<|endoftext|>"])


def _line_prefix(marks: Callable[[int, random.Random], str]) -> Apply:
    """Every line of the answer prefixed by a list mark (the i-th line by marks(i))."""

    def run(text, task, design, rng):
        if not text:
            return None
        return "\n".join(marks(i, rng) + line for i, line in enumerate(text.split("\n")))

    return run


def _bullet(i: int, rng: random.Random) -> str:
    return "+ " if i % 2 else _pick(rng, ["- ", "* ", "• "])


def _number(i: int, rng: random.Random) -> str:
    return (f"{i + 1}. ", f"{i + 1}) ", f"({i + 1}) ", f"{i + 1}、")[i % 4]


def _decorate(on_key: bool, marks: Sequence[str]) -> Apply:
    """The aspect names (or the labels) of some items wrapped in emphasis marks."""

    def run(text, task, design, rng):
        units = _read(text, task, design)
        if not units:
            return None
        field = task.json_keys.aspect if on_key else task.json_keys.label
        mark = _pick(rng, marks)
        chosen = [i for i in range(len(units)) if rng.random() < 0.6] or [0]
        for i in chosen:
            value = units[i][field]
            if design.is_json and isinstance(value, int):
                return _write_marked(units, task, i, field, mark)
            units[i][field] = f"{mark}{value}{mark}"
        return _write(units, task, design)

    return run


def _write_marked(units: list[Unit], task: Task, i: int, field: str, mark: str) -> str:
    """JSON lines with a numeric label wrapped in marks outside any string (``**1**``)."""
    lines = [_dump(u) for u in units]
    value = units[i][field]
    head = json.dumps(field, ensure_ascii=False) + ": "
    lines[i] = lines[i].replace(f"{head}{value}", f"{head}{mark}{value}{mark}", 1)
    return "\n".join(lines)


def _heading(text, task, design, rng):
    if not text:
        return None
    title = _pick(rng, ["Result", "Answer"] if _ascii(task) else ["结果", "分析结果"])
    if design.format == "natural" and rng.random() < 0.5:
        return "### " + text  # the heading is the answer itself
    return f"## {title}\n{text}" if design.format != "natural" else f"# {text}"


def _markdown_table(text, task, design, rng):
    units = _read(text, task, design)
    if not units:
        return None
    keys = task.json_keys
    header = _pick(rng, [(keys.aspect, keys.label), ("Aspect", "Sentiment"), ("方面", "情感")])
    rows = [f"| {u[keys.aspect]} | {u[keys.label]} |" for u in units]
    rule = _pick(rng, ["|---|---|", "| --- | --- |", "|:---|:---:|"])
    return "\n".join([f"| {header[0]} | {header[1]} |", rule, *rows])


# ---- registry ---------------------------------------------------------------------------


def _c(name, code, recoverable, formats, func, omit=None, numeric=None, doc=""):
    return Corruption(name, code, recoverable, frozenset(formats), func, omit, numeric, doc)


_ALL_OPS = (
    _c("empty", "empty_output", False, ALL, _empty, omit=False, doc="nothing at all"),
    _c("whitespace_only", "empty_output", False, ALL, _whitespace, doc="only whitespace"),
    _c("truncate_label", "truncated", False, ALL, _truncate("label"), doc="cut inside a label"),
    _c("truncate_key", "truncated", False, ALL, _truncate("key"), doc="cut inside an aspect"),
    _c(
        "truncate_after_colon",
        "truncated",
        False,
        PAIRS,
        _truncate_after_colon,
        doc="cut right after the colon",
    ),
    _c(
        "truncate_description",
        "truncated",
        False,
        COTS,
        _truncate_in_description,
        doc="cut inside a CoT description string",
    ),
    _c(
        "truncate_mid_object",
        "truncated",
        False,
        JSONS,
        _truncate_mid_object,
        doc="cut after a field, before the closing brace",
    ),
    _c(
        "natural_for_lines",
        "format_mismatch",
        True,
        {"lines"},
        _as_format("natural", 2),
        doc="one Natural sentence where Lines was trained",
    ),
    _c(
        "lines_for_natural",
        "format_mismatch",
        True,
        {"natural"},
        _as_format("lines", 2),
        doc="one pair per line where Natural was trained",
    ),
    _c(
        "json_for_pairs",
        "format_mismatch",
        True,
        PAIRS,
        _json_for_pairs,
        doc="JSON lines where Natural or Lines was trained",
    ),
    _c(
        "pairs_for_json",
        "format_mismatch",
        True,
        JSONS,
        _as_format("natural"),
        doc="Natural pairs where JSON was trained",
    ),
    _c(
        "lines_for_json",
        "format_mismatch",
        True,
        JSONS,
        _as_format("lines"),
        doc="Lines pairs where JSON was trained",
    ),
    _c("json_array", "format_mismatch", True, JSONS, _json_array, doc="a JSON array"),
    _c(
        "json_joined",
        "format_mismatch",
        True,
        JSONS,
        _json_joined,
        doc="objects joined on one line",
    ),
    _c(
        "json_mapping",
        "format_mismatch",
        True,
        {"json"},
        _json_mapping,
        doc="one object mapping aspects to labels",
    ),
    _c(
        "cot_order_swapped",
        "format_mismatch",
        True,
        COTS,
        _swap_cot_order,
        doc="CoT field order in R-CoT or the reverse",
    ),
    _c(
        "cot_fields_in_json",
        "format_mismatch",
        True,
        {"json"},
        _cot_fields_in_json,
        doc="a description field where plain JSON was trained",
    ),
    _c("colon_variant", "punctuation", True, PAIRS, _colon_variant, doc="ASCII or other colon"),
    _c(
        "separator_variant",
        "punctuation",
        True,
        {"natural"},
        _separator_variant,
        doc="；、; or , between pairs",
    ),
    _c("stray_spaces", "punctuation", True, PAIRS, _stray_spaces, doc="spaces around the colon"),
    _c(
        "terminator_variant",
        "punctuation",
        True,
        {"natural"},
        _terminator_variant,
        doc="missing, doubled or other terminator",
    ),
    _c(
        "lines_terminator",
        "punctuation",
        True,
        {"lines"},
        _lines_terminator,
        doc="a terminator at the end of lines",
    ),
    _c(
        "missing_colon",
        "punctuation",
        True,
        PAIRS,
        _missing_colon,
        doc="aspect and label run together",
    ),
    _c(
        "json_spacing",
        "punctuation",
        True,
        JSONS,
        _json_spacing,
        doc="compact separators or ASCII escapes",
    ),
    _c(
        "surrounding_whitespace",
        "punctuation",
        True,
        JSONS,
        _surrounding_whitespace,
        doc="blank lines or spaces around the answer",
    ),
    _c(
        "single_quotes",
        "json_syntax",
        True,
        JSONS,
        _on_some_lines(_single_quotes),
        doc="Python-style single quotes",
    ),
    _c(
        "trailing_comma",
        "json_syntax",
        True,
        JSONS,
        _on_some_lines(_trailing_comma),
        doc="a comma before }",
    ),
    _c(
        "missing_quotes",
        "json_syntax",
        True,
        JSONS,
        _on_some_lines(_unquoted),
        doc="bare words for aspect and label",
    ),
    _c(
        "missing_comma",
        "json_syntax",
        True,
        JSONS,
        _on_some_lines(_missing_comma),
        doc="no comma between members",
    ),
    _c(
        "missing_brace",
        "json_syntax",
        True,
        JSONS,
        _missing_brace,
        doc="an object without its closing brace",
    ),
    _c(
        "python_none",
        "json_syntax",
        False,
        JSONS,
        _on_some_lines(_python_literal),
        doc="Python None as the label",
    ),
    _c("prefix", "extra_text", True, ALL, _prefix, doc="输出： or Output: before the answer"),
    _c("code_fence", "extra_text", True, ALL, _code_fence, doc="a Markdown code fence"),
    _c("trailing_prose", "extra_text", True, ALL, _trailing_prose, doc="prose after the answer"),
    _c("leading_prose", "extra_text", True, ALL, _leading_prose, doc="prose before the answer"),
    _c(
        "extra_field",
        "extra_text",
        True,
        JSONS,
        _on_some_lines(_extra_field),
        doc="an unexpected JSON field",
    ),
    _c("list_marker", "markdown", True, {"lines"}, _list_marker, doc="- before each line"),
    _c("double_separator", "empty_item", True, {"natural"}, _double_separator, doc="，，"),
    _c(
        "blank_line",
        "empty_item",
        True,
        {"lines", "json", "cot", "rcot"},
        _blank_line,
        doc="a blank line between items",
    ),
    _c("empty_object", "empty_item", True, JSONS, _empty_object, doc="an empty {} line"),
    _c(
        "malformed_piece",
        "malformed_item",
        True,
        PAIRS,
        _malformed_piece,
        doc="a piece without an aspect/label split",
    ),
    _c(
        "malformed_object",
        "malformed_item",
        True,
        JSONS,
        _malformed_object,
        doc="an object without aspect or label",
    ),
    _c(
        "template_prefix",
        "template_echo",
        True,
        ALL,
        _template_prefix,
        doc="the format template echoed before the answer",
    ),
    _c(
        "template_only", "template_echo", False, ALL, _template_only, doc="only the format template"
    ),
    _c(
        "aspect_alias",
        "aspect_alias",
        True,
        ALL,
        _edit(_rename("alias")),
        doc="an alias of an aspect",
    ),
    _c(
        "aspect_keyword",
        "aspect_alias",
        True,
        ALL,
        _edit(_rename("keyword")),
        doc="a keyword of an aspect",
    ),
    _c(
        "unknown_extra",
        "unknown_aspect",
        True,
        ALL,
        _edit(_unknown_extra),
        doc="an extra pair for an aspect the task lacks",
    ),
    _c(
        "unknown_replace",
        "unknown_aspect",
        False,
        ALL,
        _edit(_unknown_replace),
        doc="an aspect renamed to one the task lacks",
    ),
    _c(
        "duplicate_same",
        "duplicate_aspect",
        True,
        ALL,
        _edit(_duplicate(True)),
        doc="an item repeated",
    ),
    _c(
        "duplicate_conflict",
        "duplicate_aspect",
        False,
        ALL,
        _edit(_duplicate(False)),
        doc="an aspect given again with another label",
    ),
    _c(
        "drop_unmentioned",
        "missing_aspect",
        True,
        ALL,
        _edit(_drop(True)),
        omit=False,
        doc="a placeholder item left out (PU)",
    ),
    _c(
        "drop_item",
        "missing_aspect",
        False,
        ALL,
        _edit(_drop(False)),
        omit=False,
        doc="an item left out (PU)",
    ),
    _c(
        "label_synonym",
        "label_synonym",
        True,
        ALL,
        _edit(_relabel(_synonym)),
        numeric=False,
        doc="a synonym of the label",
    ),
    _c(
        "label_contains",
        "label_synonym",
        True,
        ALL,
        _edit(_relabel(_contains)),
        numeric=False,
        doc="the label inside other words",
    ),
    _c(
        "code_in_text_design",
        "label_kind_mismatch",
        True,
        ALL,
        _edit(_relabel(_code_in_text)),
        numeric=False,
        doc="a numeric code in a text design",
    ),
    _c(
        "text_in_numeric_design",
        "label_kind_mismatch",
        True,
        ALL,
        _edit(_relabel(_text_in_numeric)),
        numeric=True,
        doc="a text label in a numeric design",
    ),
    _c(
        "invalid_label",
        "invalid_label",
        False,
        ALL,
        _edit(_relabel(_invalid)),
        doc="a value naming no label",
    ),
    _c(
        "empty_label",
        "invalid_label",
        False,
        PAIRS | {"json"},
        _edit(_relabel(_empty_label, last=False)),
        doc="an empty label",
    ),
    _c(
        "ambiguous_label",
        "ambiguous_label",
        False,
        ALL,
        _edit(_relabel(_ambiguous)),
        doc="two labels in one value (负面偏正面)",
    ),
    # labels part: unasserted labels, notes around a label, repeated answers
    _c(
        "negated_label",
        "unasserted_label",
        False,
        ALL,
        _edit(_relabel(_cued("negated"))),
        doc="a label negated (不是负面, not negative)",
    ),
    _c(
        "questioned_label",
        "unasserted_label",
        False,
        ALL,
        _edit(_relabel(_cued("questioned"))),
        doc="a label questioned (正面吗？, positive?)",
    ),
    _c(
        "hedged_label",
        "unasserted_label",
        False,
        ALL,
        _edit(_relabel(_cued("hedged"))),
        doc="a label hedged (可能正面, maybe positive)",
    ),
    _c(
        "label_note",
        "label_note",
        True,
        ALL,
        _edit(_relabel(_noted)),
        doc="a label with a parenthetical or a reason after it (负面（价格偏贵）)",
    ),
    _c(
        "degree_word",
        "label_note",
        True,
        ALL,
        _edit(_relabel(_degree)),
        numeric=False,
        doc="a label after a degree word (非常正面, very positive)",
    ),
    _c(
        "repeated_answer",
        "repeated_answer",
        True,
        ALL,
        _repeat_answer,
        doc="the whole answer given two or three times",
    ),
    _c(
        "loop_cut",
        "repeated_answer",
        True,
        ALL,
        _loop_cut,
        doc="the answer repeated until the token limit cut the next copy",
    ),
    _c(
        "cot_without_description",
        "missing_field",
        True,
        COTS,
        _without(lambda t: t.json_keys.description),
        doc="a CoT object without its description",
    ),
    _c(
        "without_label",
        "missing_field",
        False,
        JSONS,
        _without(lambda t: t.json_keys.label),
        doc="an object without its label",
    ),
    _c(
        "without_aspect",
        "missing_field",
        False,
        JSONS,
        _without(lambda t: t.json_keys.aspect),
        doc="an object without its aspect",
    ),
    _c("aspect_order", "aspect_order", True, ALL, _edit(_shuffle), doc="items reordered"),
    _c(
        "unexpected_placeholder",
        "unexpected_placeholder",
        True,
        ALL,
        _edit(_add_placeholder),
        omit=True,
        doc="OU: an unmentioned aspect printed with the placeholder",
    ),
    # jsonhabits: JSON written by other habits
    _c(
        "english_json_keys",
        "json_key",
        True,
        JSONS,
        _json_keys_as(_other_language_keys),
        doc="JSON keys in the other language (aspect/sentiment for 方面/情感, and back)",
    ),
    _c(
        "capitalized_json_keys",
        "json_key",
        True,
        JSONS,
        _json_keys_as(_capitalized_keys),
        doc="capitalised English JSON keys (Aspect, Sentiment)",
    ),
    _c(
        "pretty_objects",
        "punctuation",
        True,
        JSONS,
        _pretty_objects,
        doc="each object pretty-printed over several lines",
    ),
    _c(
        "pretty_array",
        "format_mismatch",
        True,
        JSONS,
        _pretty_array,
        doc="one pretty-printed JSON array, in a ```json fence or not",
    ),
    _c(
        "comma_after_objects",
        "json_syntax",
        True,
        JSONS,
        _comma_after_objects,
        doc="a comma after every object, the last one too",
    ),
    # unwrap: chat wrappers and markdown decoration (unwrap.py)
    _c("think_block", "reasoning_block", True, ALL, _think_block,
       doc="a <think> block before the answer, or reasoning ended by a lone </think>"),
    _c("think_unclosed", "reasoning_block", True, ALL, _think_unclosed,
       doc="<think> opened and never closed before the answer"),
    _c("eos_token", "special_token", True, ALL, _eos_token,
       doc="an end-of-sequence token after the answer (</s>, <|im_end|>, <|eot_id|>...)"),
    _c("chat_tokens", "special_token", True, ALL, _chat_tokens,
       doc="the answer inside a chat template's turn tokens"),
    _c("bullets", "markdown", True, {"lines"} | JSONS, _line_prefix(_bullet),
       doc="a list bullet before each line"),
    _c("numbering", "markdown", True, {"lines"} | JSONS, _line_prefix(_number),
       doc="1. / 1) / (1) / 1、 before each line"),
    _c("bold_names", "markdown", True, ALL, _decorate(True, ["**", "__"]),
       doc="aspect names in bold"),
    _c("bold_labels", "markdown", True, ALL, _decorate(False, ["**", "*"]),
       doc="labels in bold or italics"),
    _c("backticks", "markdown", True, PAIRS, _decorate(True, ["`"]),
       doc="aspect names as inline code"),
    _c("heading", "markdown", True, ALL, _heading, doc="a markdown heading line or marks"),
    _c("markdown_table", "markdown", True, ALL, _markdown_table,
       doc="the pairs as a markdown table"),
    # prose: pairs written as sentences, joined by words, merged keys (layouts/pairs.py)
    _c(
        "prose_copula",
        "prose_pair",
        True,
        PAIRS,
        _prose_copula,
        doc="a pair written as a sentence (食品评价为正面, the food is positive)",
    ),
    _c(
        "joined_by_word",
        "prose_pair",
        True,
        PAIRS,
        _joined_by_word,
        doc="two pairs joined by a word (和, and) instead of the separator",
    ),
    _c(
        "merged_key",
        "punctuation",
        True,
        PAIRS,
        _merged_key,
        doc="a pair glued to the next key, its colon and separator missing",
    ),
)

#: Every operator by name.
CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in _ALL_OPS}


def applicable(design: Design, names: Sequence[str] | None = None) -> list[Corruption]:
    """The operators (of `names`, default all) that apply to `design`."""
    chosen = [CORRUPTIONS[n] for n in names] if names is not None else list(CORRUPTIONS.values())
    return [c for c in chosen if c.applies_to(design)]


def corrupt(
    text: str,
    task: Task,
    design: Design,
    rng: random.Random,
    names: Sequence[str] | None = None,
) -> tuple[str, Corruption] | None:
    """Apply one random applicable operator (of `names`) to canonical `text`; None if none fits."""
    options = applicable(design, names)
    rng.shuffle(options)
    for op in options:
        out = op.apply(text, task, design, rng)
        if out is not None:
            return out, op
    return None


# ---- combined corruptions (habits part) -------------------------------------------------------


@dataclass(frozen=True)
class Combined:
    """Several operators applied one after another: the final `text`, the operators in the order
    applied and the text after each of them (`steps[-1] == text`)."""

    text: str
    ops: tuple[Corruption, ...]
    steps: tuple[str, ...]

    @property
    def recoverable(self) -> bool:
        """Whether every operator applied keeps the truth recoverable under strict."""
        return all(op.recoverable for op in self.ops)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(op.name for op in self.ops)


#: A text no operator reads as an answer: what an operator writes from it, it writes from nothing.
_SENTINEL = "#"


def _from_nothing(op: Corruption, task: Task, design: Design, state: object) -> str | None:
    """What `op` writes from a text holding no answer, with the random state it was given."""
    probe = random.Random()
    probe.setstate(state)  # type: ignore[arg-type]
    return op.apply(_SENTINEL, task, design, probe)


def combine(
    text: str,
    task: Task,
    design: Design,
    rng: random.Random,
    k: int = 2,
    names: Sequence[str] | None = None,
) -> Combined | None:
    """Apply up to `k` different operators (of `names`) to canonical `text`, each to the previous
    output, in a random order; None when none applies.

    Models make several slips at once. Most operators read the text as canonical, so after the
    first slip many no longer apply: those are skipped (each operator is tried once, so this
    ends), as is an operator that gives back a text seen before (a slip undoing another). After
    the first, an operator whose output does not depend on its input (the empty output, only
    whitespace, items written from nothing because the text no longer reads as canonical) is
    skipped too: it would erase the earlier slips rather than add to them."""
    options = applicable(design, names)
    rng.shuffle(options)
    seen = {text}
    ops: list[Corruption] = []
    steps: list[str] = []
    current = text
    for op in options:
        if len(ops) >= k:
            break
        state = rng.getstate()
        out = op.apply(current, task, design, rng)
        if out is None or out in seen:
            continue
        if ops and (not out.strip() or out == _from_nothing(op, task, design, state)):
            continue
        seen.add(out)
        ops.append(op)
        steps.append(out)
        current = out
    if not ops:
        return None
    return Combined(current, tuple(ops), tuple(steps))


# ---- extraction tasks -------------------------------------------------------------------------
#
# The operators below take a canonical rendering of an extraction task
# (``render(pairs, task, design)``) and work on its pairs, read back by the parser (canonical
# text reads without a diagnostic) and written again by the renderer's own pieces. They are
# kept apart from `CORRUPTIONS` (whose operators all apply to classification tasks).

Pairs = list[tuple[str, str]]
TUPLES = frozenset(("tuples",))
GROUPED = frozenset(("natural", "lines", "json"))
EXTRACTION_ALL = TUPLES | GROUPED


def _extracted(text: str, task: Task, design: Design) -> Pairs:
    from .parser import parser_for

    return list(parser_for(task, design).parse(text).extractions)


def _lines_edit(edit: Callable[[list[str], Task, random.Random], bool]) -> Apply:
    """An operator that edits the lines of a tuples answer in place."""

    def run(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
        lines = text.split("\n") if text and text != "[]" else []
        if not edit(lines, task, rng):
            return None
        return "\n".join(lines)

    return run


def _one_element(lines: list[str], task: Task, rng: random.Random) -> bool:
    if not lines:
        return False
    i = rng.randrange(len(lines))
    head = lines[i].split(task.spans.tuple_comma, 1)[0]
    lines[i] = head + "]"
    return True


def _three_elements(lines: list[str], task: Task, rng: random.Random) -> bool:
    if not lines:
        return False
    i = rng.randrange(len(lines))
    lines[i] = lines[i][:-1] + task.spans.tuple_comma + '"extra"]'
    return True


def _not_a_list(lines: list[str], task: Task, rng: random.Random) -> bool:
    if len(lines) < 3:
        return False
    i = rng.randrange(1, len(lines) - 1)
    kind, span = json.loads(lines[i])
    lines[i] = f"{kind}: {span}"
    return True


def _repeat_tuple(lines: list[str], task: Task, rng: random.Random) -> bool:
    if not lines:
        return False
    i = rng.randrange(len(lines))
    lines.insert(i + 1, lines[i])
    return True


def _tuples_array(lines: list[str], task: Task, rng: random.Random) -> bool:
    if len(lines) < 2:
        return False
    lines[:] = ["[" + ", ".join(lines) + "]"]
    return True


def _single_quoted(lines: list[str], task: Task, rng: random.Random) -> bool:
    options = [i for i, line in enumerate(lines) if "'" not in line and "\\" not in line]
    if not options:
        return False
    i = rng.choice(options)
    kind, span = json.loads(lines[i])
    head = json.dumps(kind, ensure_ascii=False) if isinstance(kind, str) else str(kind)
    lines[i] = f"[{head}{task.spans.tuple_comma}'{span}']"
    return True


def _rewrite(edit: Callable[[Pairs, Task, Design, random.Random], Pairs | None]) -> Apply:
    """An operator on the pairs, written back by the renderer (grouped designs)."""

    def run(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
        from .render import render

        pairs = _extracted(text, task, design)
        changed = edit(pairs, task, design, rng)
        return None if changed is None else render(changed, task, design)

    return run


def _type_variant(name: str, rng: random.Random) -> str | None:
    variants = [v for v in (name.lower(), name.upper(), name.replace("_", " ")) if v != name]
    return rng.choice(variants) if variants else None


def _alias_type(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    """A type name written with another case or with spaces for underscores."""
    names = [t.name for t in task.spans.types if t.name in text]
    rng.shuffle(names)
    for name in names:
        variant = _type_variant(name, rng)
        if variant is None or design.numeric_labels:
            continue
        quoted = {
            "tuples": json.dumps(name),
            "json": json.dumps(name),
        }.get(design.format)
        if quoted is None:
            from .schemas.spanlist import quote

            quoted = quote(name, task.spans.quoting)
        index = text.find(quoted + ("" if design.format in ("tuples", "json") else ":"))
        if index < 0:
            continue
        spelled = quoted.replace(name, variant)
        return text[:index] + spelled + text[index + len(quoted) :]
    return None


def _unknown_type_item(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    """A pair of a type the task does not have, added at the end."""
    from .schemas.spanlist import quote

    kind, span = "Unheard_of_type", "something"
    if design.format == "tuples":
        item = f'["{kind}"{task.spans.tuple_comma}"{span}"]'
        joiner = "\n"
    elif design.format == "json":
        keys = task.json_keys
        item = json.dumps({keys.aspect: kind, keys.label: [span]}, ensure_ascii=False)
        joiner = "\n"
    else:
        quoting = task.spans.quoting
        item = f"{quote(kind, quoting)}{task.punctuation.key_value}{quote(span, quoting)}"
        joiner = "\n" if design.format == "lines" else task.punctuation.pair_separator
    if not text or text == "[]":
        return item
    return text + joiner + item


def _duplicate_span(pairs: Pairs, task: Task, design: Design, rng: random.Random):
    if not pairs:
        return None
    i = rng.randrange(len(pairs))
    return pairs[: i + 1] + [pairs[i]] + pairs[i + 1 :]


def _mixed_placeholder(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    """The placeholder written among a type's spans (``Motion: NONE, flew``)."""
    from .schemas.spanlist import quote

    pairs = _extracted(text, task, design)
    if not pairs:
        return None
    kind, span = rng.choice(pairs)
    spans = task.spans
    written = quote(span, spans.quoting)
    key = quote(str(spans.types[[t.name for t in spans.types].index(kind)].code)
                if design.numeric_labels else kind, spans.quoting)
    head = key + task.punctuation.key_value
    index = text.find(head)
    if index < 0:
        return None
    at = index + len(head)
    if not text.startswith(written, at):
        return None
    return text[:at] + task.placeholder + spans.joiner + text[at:]


def _requote_span(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    """One span quoted in the other style (or quoted where spans are bare)."""
    from .schemas.spanlist import quote

    pairs = _extracted(text, task, design)
    rng.shuffle(pairs)
    quoting = task.spans.quoting if design.format in ("natural", "lines") else None
    for _, span in pairs:
        if "'" in span or '"' in span or "\\" in span or not span.isprintable():
            continue
        if quoting is None:  # JSON strings
            written, other = json.dumps(span, ensure_ascii=False), f"'{span}'"
        elif quoting.value == "none":
            written, other = span, f'"{span}"'
        else:
            written = quote(span, quoting)
            other = f'"{span}"' if written.startswith("'") else f"'{span}'"
        for lead in (" ", "[", "\n"):
            index = text.find(lead + written)
            while index >= 0:
                at = index + 1
                end = at + len(written)
                # the whole span, not a word inside another span: it starts after a
                # separator (": ", ", ", "[" or a line start) and ends before one
                starts = lead != " " or (index > 0 and text[index - 1] in ":,")
                if starts and (end == len(text) or text[end] in ",]\n;"):
                    return text[:at] + other + text[end:]
                index = text.find(lead + written, index + 1)
    return None


def _cut_last_span(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    """The output cut inside its last span (inside its quotes), or inside a placeholder that
    ends it."""
    from .schemas.spanlist import quote

    if not text or text == "[]":
        return None
    grouped = design.format in ("natural", "lines")
    placeholder = task.placeholder
    if grouped and text.endswith(placeholder) and len(placeholder) > 1:
        return text[:-1]
    if grouped and task.spans.quoting.value == "none":
        return None  # a bare span cut short is still a span: nothing tells
    pairs = _extracted(text, task, design)
    if not pairs:
        return None
    span = pairs[-1][1]
    written = quote(span, task.spans.quoting) if grouped else json.dumps(span, ensure_ascii=False)
    at = text.rfind(written)
    if at < 0 or len(written) < 3 or written[1] == "\\":
        return None
    return text[: at + 2]


def _fenced(text: str, task: Task, design: Design, rng: random.Random) -> str | None:
    if not text:
        return None
    return "```\n" + text + "\n```"


def _ungrounded(pairs: Pairs, task: Task, design: Design, rng: random.Random):
    """A span replaced by a word that is in no input (checked against a source the caller
    gives: the true spans joined)."""
    if not pairs:
        return None
    i = rng.randrange(len(pairs))
    changed = list(pairs)
    changed[i] = (pairs[i][0], "zqxjv")
    return changed


def _e(name, code, recoverable, formats, func, doc=""):
    return Corruption(name, code, recoverable, frozenset(formats), func, None, None, doc)


_EXTRACTION_OPS = (
    _e("tuple_one_element", "malformed_tuple", False, TUPLES, _lines_edit(_one_element),
       doc="a tuple of one element"),
    _e("tuple_three_elements", "malformed_tuple", False, TUPLES, _lines_edit(_three_elements),
       doc="a tuple of three elements"),
    _e("tuple_not_a_list", "malformed_tuple", False, TUPLES, _lines_edit(_not_a_list),
       doc="a line between tuples written as type: span"),
    _e("tuples_array", "format_mismatch", True, TUPLES, _lines_edit(_tuples_array),
       doc="the tuples in one outer array"),
    _e("unknown_type", "unknown_type", True, EXTRACTION_ALL, _unknown_type_item,
       doc="a pair of a type the task does not have"),
    _e("type_alias", "type_alias", True, EXTRACTION_ALL, _alias_type,
       doc="a type in another case or with spaces for underscores"),
    _e("duplicate_tuple", "duplicate_pair", True, TUPLES, _lines_edit(_repeat_tuple),
       doc="a tuple repeated"),
    _e("duplicate_span", "duplicate_pair", True, GROUPED, _rewrite(_duplicate_span),
       doc="a span repeated in its type's list"),
    _e("placeholder_mixed", "placeholder_mixed", True, frozenset(("natural", "lines")),
       _mixed_placeholder, doc="the placeholder among a type's spans"),
    _e("span_requoted", "span_quoting", True, EXTRACTION_ALL, _requote_span,
       doc="a span quoted in the other style, or quoted where spans are bare"),
    _e("tuple_single_quotes", "span_quoting", True, TUPLES, _lines_edit(_single_quoted),
       doc="a tuple's span in single quotes"),
    _e("cut_in_span", "truncated", False, EXTRACTION_ALL, _cut_last_span,
       doc="the output cut inside its last span"),
    _e("code_fence", "extra_text", True, EXTRACTION_ALL, _fenced,
       doc="the answer inside a code fence"),
    _e("ungrounded_span", "ungrounded_span", False, EXTRACTION_ALL, _rewrite(_ungrounded),
       doc="a span that is not in the input (the parse must be given the input)"),
)

#: The extraction operators by name; each names the code it raises (ungrounded_span only when
#: the parse is given the input text).
EXTRACTION_CORRUPTIONS: dict[str, Corruption] = {c.name: c for c in _EXTRACTION_OPS}
