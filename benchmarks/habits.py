"""How the strict profile copes with the habits of current chat and reasoning models.

An independent corpus: written from the task files, the README and the format reference only,
never from the parser's code, so it measures the parser on outputs it was not written for.
For random gold label maps of `masa-d1` and `restaurant-en`, in the designs natural, lines,
json, cot and rcot (with +numeric and +omit variants), each output carries one, two or three
habits at once: a ``<think>`` block or reasoning prose before the answer, trailing special
tokens, markdown (bullets, numbering, bold, headings, tables), pairs written as prose or
joined by words, notes and degree words around labels, another case, pretty-printed JSON,
keys in another language, the answer twice or a repetition loop cut by the token limit; and
the never-guess habits, whose truth is not in the text (a negated label, a question, two
labels at once). Under `strict` it measures, per habit, per number of habits and overall:
the share of recoverable aspects recovered, confident wrong labels (must be 0), labels given
to unrecoverable aspects that happen to equal the gold ("guessed"), and the share of outputs
flagged as wrongly formatted. Run: python benchmarks/habits.py [--n N] [--seed S] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: measure the sdeparse of this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import use_checkout

    use_checkout()

import sdeparse  # noqa: E402
from sdeparse import Design, Task  # noqa: E402

TASKS = ("masa-d1", "restaurant-en")
DESIGNS = (
    "natural",
    "natural+omit",
    "natural+numeric",
    "lines",
    "lines+omit",
    "lines+numeric",
    "json",
    "json+omit",
    "json+numeric",
    "cot",
    "cot+omit",
    "rcot",
    "rcot+numeric",
)


# ---- the draft: an answer before it is written ----------------------------------------------


@dataclass
class Item:
    """One aspect as the model writes it: `value` is the label's spelling (a code in numeric
    designs); `raw` replaces the whole written value (never-guess habits); `recoverable` says
    whether the text still asserts exactly the gold label."""

    aspect: str
    label: str
    value: str | int
    description: str = ""
    raw: str | None = None
    recoverable: bool = True


@dataclass
class Draft:
    """An output being built: the items, then options set by the habits, read by `write`."""

    task: Task
    design: Design
    gold: dict[str, str]
    items: list[Item]
    english: bool
    layout: str | None = None  # pairs: bullets, numbered, table, prose, joined
    bullet: str = "- "
    number_style: str = "1. "
    prose_style: int = 0
    join_word: str = ""
    bold_keys: str = ""  # "**" or "`" around names
    bold_values: str = ""  # "**" or "`" around labels
    notes: dict[int, str] = field(default_factory=dict)  # item index -> note or reason
    note_style: int = 0
    degrees: dict[int, str] = field(default_factory=dict)  # item index -> degree word
    case: str = ""  # "title" / "upper" / "lower"
    merged: int | None = None  # item index whose pair runs into the next item's key
    json_layout: str | None = None  # pretty_objects, pretty_array, fenced_array, trailing_comma
    json_keys: tuple[str, str, str] | None = None  # (aspect, label, description)
    heads: list[str] = field(default_factory=list)  # text before the answer, outermost last
    tails: list[str] = field(default_factory=list)  # text after the answer, outermost last
    repeat: str | None = None  # "twice" / "loop"


def _cased(text: str, case: str) -> str:
    if case == "title":
        return text[:1].upper() + text[1:]
    if case == "upper":
        return text.upper()
    return text


def _value(draft: Draft, i: int, item: Item) -> str | int:
    """The value as written: a degree word, the label (in its case), a note; or the raw text."""
    if item.raw is not None:
        return item.raw
    value = item.value
    if isinstance(value, int):
        return value
    if draft.case:
        value = _cased(value, draft.case)
    if i in draft.degrees:
        value = draft.degrees[i] + (" " if draft.english else "") + value
    if i in draft.notes:
        note = draft.notes[i]
        if draft.english:
            value += f" - {note}" if draft.note_style == 0 else f" ({note})"
        else:
            value += f"（{note}）" if draft.note_style == 0 else f"，因为{note}"
    return value


def _key(draft: Draft, item: Item) -> str:
    return _cased(item.aspect, draft.case) if draft.case else item.aspect


def _write_pairs(draft: Draft) -> str:
    task, design = draft.task, draft.design
    kv, sep, end = (
        task.punctuation.key_value,
        task.punctuation.pair_separator,
        task.punctuation.terminator,
    )
    keys = [_key(draft, it) for it in draft.items]
    values = [str(_value(draft, i, it)) for i, it in enumerate(draft.items)]
    if draft.bold_keys:
        keys = [f"{draft.bold_keys}{k}{draft.bold_keys}" for k in keys]
    if draft.bold_values:
        values = [
            v if it.raw is not None else f"{draft.bold_values}{v}{draft.bold_values}"
            for v, it in zip(values, draft.items, strict=True)
        ]
    if draft.layout == "table":
        head = ("Aspect", "Sentiment") if draft.english else ("方面", "情感")
        rows = [f"| {head[0]} | {head[1]} |", "|---|---|"]
        rows += [f"| {k} | {v} |" for k, v in zip(keys, values, strict=True)]
        return "\n".join(rows)
    if draft.layout == "prose":
        if draft.english:
            verb = (" is ", " was ")[draft.prose_style % 2]
            pieces = [f"{k}{verb}{v}" for k, v in zip(keys, values, strict=True)]
        elif draft.prose_style % 2 == 0:
            pieces = [f"{k}为{v}" for k, v in zip(keys, values, strict=True)]
        else:
            pieces = [f"{k}是{v}的" for k, v in zip(keys, values, strict=True)]
    else:
        pieces = [f"{k}{kv}{v}" for k, v in zip(keys, values, strict=True)]
        if draft.merged is not None and draft.merged + 1 < len(pieces):
            m = draft.merged
            glue = " " if draft.english else ""
            pieces[m : m + 2] = [f"{keys[m]}{glue}{values[m]}{glue}{pieces[m + 1]}"]
    if draft.layout in ("bullets", "numbered"):
        marks = [
            draft.bullet if draft.layout == "bullets" else draft.number_style.replace("1", str(n))
            for n in range(1, len(pieces) + 1)
        ]
        return "\n".join(m + p for m, p in zip(marks, pieces, strict=True))
    if draft.layout == "joined":
        if draft.join_word in ("；\n", ";\n"):
            return draft.join_word.join(pieces) + (end if design.format == "natural" else "")
        if len(pieces) < 2:
            return sep.join(pieces) + end
        return sep.join(pieces[:-1]) + draft.join_word + pieces[-1] + end
    if design.format == "lines":
        return "\n".join(pieces)
    return sep.join(pieces) + end if pieces else ""


def _objects(draft: Draft) -> list[dict[str, Any]]:
    task, design = draft.task, draft.design
    ka, kl, kd = draft.json_keys or (
        task.json_keys.aspect,
        task.json_keys.label,
        task.json_keys.description,
    )
    out = []
    for i, item in enumerate(draft.items):
        obj: dict[str, Any] = {ka: _key(draft, item)}
        if design.format == "cot":
            obj[kd] = item.description
        obj[kl] = _value(draft, i, item)
        if design.format == "rcot":
            obj[kd] = item.description
        out.append(obj)
    return out


def _write_json(draft: Draft) -> str:
    objs = _objects(draft)
    if draft.json_layout in ("pretty_array", "fenced_array"):
        body = json.dumps(objs, ensure_ascii=False, indent=2)
        return f"```json\n{body}\n```" if draft.json_layout == "fenced_array" else body
    if draft.json_layout == "pretty_objects":
        return "\n".join(json.dumps(o, ensure_ascii=False, indent=2) for o in objs)
    comma = "," if draft.json_layout == "trailing_comma" else ""
    return "\n".join(json.dumps(o, ensure_ascii=False) + comma for o in objs)


def write(draft: Draft) -> str:
    """The output text of a draft: the answer, repeated or looped, wrapped in heads and tails."""
    answer = _write_json(draft) if draft.design.is_json else _write_pairs(draft)
    if draft.repeat == "twice":
        answer = f"{answer}\n\n{answer}"
    elif draft.repeat == "loop" and answer:
        # a generation loop: the last lines again and again, cut by the token limit mid-item
        lines = answer.split("\n")
        unit = "\n".join(lines[-2:]) if len(lines) > 1 else lines[-1]
        looped = answer + ("\n" + unit) * 40
        cut = len(answer) + 1 + (len(unit) + 1) * 3 + max(1, len(unit.split("\n")[0]) // 2)
        answer = looped[: min(cut, len(looped) - 1)]
    for head in draft.heads:
        answer = head + answer
    for tail in draft.tails:
        answer = answer + tail
    return answer


# ---- habits --------------------------------------------------------------------------------

#: A habit edits a draft in place; False when it does not apply to this draft (as it stands).
Habit = Callable[[Draft, random.Random], bool]


def _pick(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[rng.randrange(len(seq))]


def _pairs(draft: Draft) -> bool:
    return not draft.design.is_json


def _text_labels(draft: Draft) -> bool:
    return not draft.design.numeric_labels


def _free_items(draft: Draft, mentioned: bool = True) -> list[int]:
    """Indexes of items no habit has rewritten yet (with a mentioned label, by default)."""
    taken = set(draft.notes) | set(draft.degrees)
    if draft.merged is not None:
        taken |= {draft.merged, draft.merged + 1}
    return [
        i
        for i, it in enumerate(draft.items)
        if it.raw is None
        and i not in taken
        and (not mentioned or it.label != draft.task.placeholder)
    ]


def think(draft: Draft, rng: random.Random) -> bool:
    """A ``<think>`` block before the answer, reasoning about some aspects in the gold's words."""
    names = [it.aspect for it in draft.items if it.label != draft.task.placeholder][:2]
    if draft.english:
        said = " ".join(f"The review talks about the {n}." for n in names)
        body = f"Okay, let me read the review carefully. {said} Now I will write the answer."
    else:
        said = "".join(f"评论里说到了{n}。" for n in names)
        body = f"好的，我先仔细读一下这条评论。{said}现在给出答案。"
    if draft.heads and draft.heads[-1].startswith("<think>"):
        return False
    draft.heads.append(f"<think>\n{body}\n</think>\n\n")
    return True


def reasoning(draft: Draft, rng: random.Random) -> bool:
    """Reasoning in prose before the answer, then a line announcing it."""
    if any("Answer" in h or "答案" in h for h in draft.heads):
        return False
    if draft.english:
        head = _pick(
            rng,
            [
                "Let me analyze the review aspect by aspect.\n\nAnswer:\n",
                "Let's think step by step. The customer describes the visit in detail.\n\n"
                "Final answer:\n",
            ],
        )
    else:
        head = _pick(
            rng,
            [
                "让我逐个方面分析这条评论。\n\n答案：\n",
                "我们一步一步来分析。顾客详细描述了这次用餐。\n\n最终答案：\n",
            ],
        )
    draft.heads.insert(0, head)  # innermost: right before the answer
    return True


def special_token(draft: Draft, rng: random.Random) -> bool:
    """A chat model's end-of-turn token left at the end."""
    if any(t.startswith("<") for t in draft.tails):
        return False
    draft.tails.append(_pick(rng, ["</s>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>"]))
    return True


def heading(draft: Draft, rng: random.Random) -> bool:
    """A markdown heading before the answer."""
    if any(h.startswith("#") for h in draft.heads):
        return False
    title = _pick(
        rng,
        ["## Answer\n", "### Sentiment analysis\n"]
        if draft.english
        else ["## 分析结果\n", "### 各方面情感\n"],
    )
    draft.heads.insert(0, title)
    return True


def _layout(name: str) -> Habit:
    def habit(draft: Draft, rng: random.Random) -> bool:
        if not _pairs(draft) or draft.layout is not None or not draft.items:
            return False
        if name in ("table", "prose", "joined") and draft.merged is not None:
            return False
        draft.layout = name
        draft.bullet = _pick(rng, ["- ", "* "])
        draft.number_style = _pick(rng, ["1. ", "1) "])
        draft.prose_style = rng.randrange(2)
        if name == "joined":
            words = [", and ", " and ", ";\n"] if draft.english else ["和", "及", "；\n"]
            if draft.design.format == "lines":  # one pair a line: only a break can join them
                words = words[-1:]
            draft.join_word = _pick(rng, words)
        return True

    habit.__doc__ = f"Pairs written as {name}."
    return habit


def bold(draft: Draft, rng: random.Random) -> bool:
    """Bold or backticks around the names, the labels or both."""
    if not _pairs(draft) or draft.bold_keys or draft.bold_values:
        return False
    mark = _pick(rng, ["**", "**", "`"])
    where = rng.randrange(3)
    draft.bold_keys = mark if where != 1 else ""
    draft.bold_values = mark if where != 0 else ""
    return True


def note(draft: Draft, rng: random.Random) -> bool:
    """A parenthetical note or a reason after a label."""
    free = _free_items(draft)
    if not _text_labels(draft) or not free:
        return False
    notes = (
        ["great pasta", "a bit pricey", "friendly waiters", "slow at peak hours"]
        if draft.english
        else ["价格偏贵", "菜量很足", "服务热情", "上菜有点慢"]
    )
    for i in rng.sample(free, rng.randint(1, min(2, len(free)))):
        draft.notes[i] = _pick(rng, notes)
    draft.note_style = rng.randrange(2)
    return True


def degree(draft: Draft, rng: random.Random) -> bool:
    """A degree word before a positive or negative label."""
    pos_neg = {x for x, code in draft.task.code_by_label.items() if code in (1, -1)}
    free = [i for i in _free_items(draft) if draft.items[i].label in pos_neg]
    if not _text_labels(draft) or not free:
        return False
    words = (
        ["very", "quite", "extremely", "mostly"]
        if draft.english
        else ["非常", "很", "比较", "十分"]
    )
    for i in rng.sample(free, rng.randint(1, min(2, len(free)))):
        draft.degrees[i] = _pick(rng, words)
    return True


def case(draft: Draft, rng: random.Random) -> bool:
    """Names and labels in another case (title or upper case; English only)."""
    if not draft.english or draft.case:
        return False
    draft.case = _pick(rng, ["title", "title", "upper"])
    return True


def _json_layout(name: str) -> Habit:
    def habit(draft: Draft, rng: random.Random) -> bool:
        if not draft.design.is_json or draft.json_layout is not None or not draft.items:
            return False
        if draft.repeat == "loop" and name != "trailing_comma":
            return False
        draft.json_layout = name
        return True

    habit.__doc__ = f"JSON written as {name.replace('_', ' ')}."
    return habit


def json_keys(draft: Draft, rng: random.Random) -> bool:
    """JSON keys in another language (English for Chinese keys) or another case."""
    if not draft.design.is_json or draft.json_keys is not None:
        return False
    if draft.english:
        draft.json_keys = _pick(
            rng,
            [("Aspect", "Sentiment", "Description"), ("ASPECT", "SENTIMENT", "DESCRIPTION")],
        )
    else:
        draft.json_keys = _pick(
            rng,
            [("aspect", "sentiment", "description"), ("Aspect", "Sentiment", "Description")],
        )
    return True


def twice(draft: Draft, rng: random.Random) -> bool:
    """The whole answer written twice."""
    if draft.repeat is not None or not draft.items:
        return False
    draft.repeat = "twice"
    return True


def loop(draft: Draft, rng: random.Random) -> bool:
    """A repetition loop after the answer, cut by the token limit in the middle of an item."""
    if (
        draft.repeat is not None
        or not draft.items
        or draft.json_layout
        in (
            "pretty_array",
            "fenced_array",
            "pretty_objects",
        )
    ):
        return False
    draft.repeat = "loop"
    return True


def merged_key(draft: Draft, rng: random.Random) -> bool:
    """A pair running into the next key: 食品评价正面饮品评价：负面 (both labels stated)."""
    if (
        not _pairs(draft)
        or not _text_labels(draft)
        or draft.merged is not None
        or draft.layout in ("table", "prose", "joined")
    ):
        return False
    free = set(_free_items(draft, mentioned=False))
    starts = [i for i in sorted(free) if i + 1 in free]
    if not starts:
        return False
    draft.merged = _pick(rng, starts)
    return True


def _unrecoverable(make: Callable[[Draft, Item, random.Random], str]) -> Habit:
    def habit(draft: Draft, rng: random.Random) -> bool:
        free = _free_items(draft, mentioned=False)
        if not _text_labels(draft) or not free:
            return False
        for i in rng.sample(free, rng.randint(1, min(2, len(free)))):
            item = draft.items[i]
            item.raw = make(draft, item, rng)
            item.recoverable = False
        return True

    habit.__doc__ = make.__doc__
    return habit


def _others(draft: Draft, label: str) -> list[str]:
    """The stated labels other than `label` (the placeholder is never stated)."""
    return [x for x in draft.task.label_names if x != draft.task.placeholder and x != label]


def _negated(draft: Draft, item: Item, rng: random.Random) -> str:
    """A negated label: 不是负面, not negative (which of the others is meant is unknown)."""
    said = _pick(rng, _others(draft, item.label))
    if draft.english:
        return _pick(rng, [f"not {said}", f"isn't {said}", f"no longer {said}", f"not {said}"])
    return _pick(rng, [f"不是{said}", f"并非{said}", f"没有{said}评价", f"不算{said}"])


def _question(draft: Draft, item: Item, rng: random.Random) -> str:
    """A label asked, not stated: 正面吗？, positive?"""
    said = _pick(rng, [x for x in draft.task.label_names if x != draft.task.placeholder])
    if draft.english:
        return _pick(rng, [f"{said}?", f"maybe {said}?"])
    return _pick(rng, [f"{said}吗？", f"{said}？", f"可能是{said}吗"])


def _contrast(draft: Draft, item: Item, rng: random.Random) -> str:
    """Two labels at once: 正面和负面, positive but negative."""
    stated = [x for x in draft.task.label_names if x != draft.task.placeholder]
    a, b = rng.sample(stated, 2)
    if draft.english:
        return _pick(rng, [f"{a} but {b}", f"{a} and {b}", f"{a} / {b}", f"{a} or {b}"])
    return _pick(rng, [f"{a}和{b}", f"{a}但{b}", f"{a}/{b}", f"{a}或{b}"])


def _hedged(draft: Draft, item: Item, rng: random.Random) -> str:
    """A label hedged, in the value or in a comment after it: 正面吧, 应该是正面, positive,
    not sure, positive (I think)."""
    said = _pick(rng, [x for x in draft.task.label_names if x != draft.task.placeholder])
    if draft.english:
        return _pick(rng, [f"{said}, not sure", f"{said} (I think)", f"probably {said}",
                           f"{said}, I guess", f"I'd say {said}"])
    return _pick(rng, [f"{said}吧", f"应该是{said}", f"{said}，不太确定", f"我觉得是{said}",
                       f"{said}（存疑）"])


def _corrected(draft: Draft, item: Item, rng: random.Random) -> str:
    """A label taken back and another given: 正面，不对，负面; positive, actually negative."""
    stated = [x for x in draft.task.label_names if x != draft.task.placeholder]
    a, b = rng.sample(stated, 2)
    if draft.english:
        return _pick(rng, [f"{a}, actually {b}", f"{a} - no, {b}", f"{a}, or rather {b}",
                           f"{a}. Correction: {b}"])
    return _pick(rng, [f"{a}，不对，{b}", f"{a}，应该是{b}", f"{a}，更正：{b}"])


negation = _unrecoverable(_negated)
question = _unrecoverable(_question)
contrast = _unrecoverable(_contrast)
hedge = _unrecoverable(_hedged)
correction = _unrecoverable(_corrected)

#: Every habit by name (the names are the rows of the report).
HABITS: dict[str, Habit] = {
    "think": think,
    "reasoning": reasoning,
    "special_token": special_token,
    "heading": heading,
    "bullets": _layout("bullets"),
    "numbered": _layout("numbered"),
    "table": _layout("table"),
    "prose_pairs": _layout("prose"),
    "joined_by_words": _layout("joined"),
    "bold": bold,
    "note": note,
    "degree": degree,
    "case": case,
    "json_pretty_objects": _json_layout("pretty_objects"),
    "json_pretty_array": _json_layout("pretty_array"),
    "json_fenced_array": _json_layout("fenced_array"),
    "json_trailing_comma": _json_layout("trailing_comma"),
    "json_keys": json_keys,
    "twice": twice,
    "loop": loop,
    "merged_key": merged_key,
    "negation": negation,
    "question": question,
    "contrast": contrast,
    "hedge": hedge,
    "correction": correction,
}

#: The habits whose truth is not in the text for the aspects they touch.
NEVER_GUESS = ("negation", "question", "contrast", "hedge", "correction")


# ---- the corpus ----------------------------------------------------------------------------

_DESCRIPTIONS = {
    False: ("评论里说到了这一点", "顾客写得很详细", ""),
    True: ("the review talks about this", "the customer says so", ""),
}


@dataclass(frozen=True)
class Sample:
    """One output of the corpus: its text, the gold, the aspects whose gold the text asserts,
    and the habits applied (in order)."""

    task: str
    design: str
    text: str
    gold: dict[str, str]
    recoverable: frozenset[str]
    habits: tuple[str, ...]


def draft_for(task: Task, design: Design, gold: dict[str, str], rng: random.Random) -> Draft:
    """The canonical answer of `gold` as a draft (no habit yet)."""
    english = task.punctuation.key_value.strip().isascii()
    items = []
    for aspect in task.aspect_names:
        label = gold[aspect]
        if design.omit_unmentioned and label == task.placeholder:
            continue
        value: str | int = label
        if design.numeric_labels:
            code = task.code_by_label[label]
            value = code if design.is_json else str(code)
        description = _pick(rng, _DESCRIPTIONS[english]) if design.has_description else ""
        items.append(Item(aspect, label, value, description))
    return Draft(task, design, gold, items, english)


def sample(
    task: Task, design: Design, rng: random.Random, k: int, names: Sequence[str] | None = None
) -> Sample | None:
    """One output with up to `k` habits (of `names`, default all); None when none applies."""
    labels = task.label_names
    weights = [1.0 if x != task.placeholder else 2.0 for x in labels]
    gold = {a: rng.choices(labels, weights)[0] for a in task.aspect_names}
    draft = draft_for(task, design, gold, rng)
    options = list(names if names is not None else HABITS)
    rng.shuffle(options)
    applied: list[str] = []
    for name in options:
        if len(applied) == k:
            break
        if HABITS[name](draft, rng):
            applied.append(name)
    if not applied:
        return None
    recoverable = frozenset(
        a for a in task.aspect_names if all(it.recoverable for it in draft.items if it.aspect == a)
    )
    return Sample(task.name, str(design), write(draft), gold, recoverable, tuple(applied))


def corpus(n: int, seed: int, names: Sequence[str] | None = None) -> list[Sample]:
    """`n` outputs, seeded: tasks and designs in turn, 1, 2 or 3 habits each."""
    rng = random.Random(seed)
    tasks = [sdeparse.load_task(t) for t in TASKS]
    designs = [Design.parse(d) for d in DESIGNS]
    out: list[Sample] = []
    attempts = 0
    while len(out) < n and attempts < 20 * n + 20:
        attempts += 1
        task = tasks[attempts % len(tasks)]
        design = designs[(attempts // len(tasks)) % len(designs)]
        got = sample(task, design, rng, 1 + attempts % 3, names)
        if got is not None:
            out.append(got)
    return out


# ---- measuring -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Counts for one row of the report."""

    outputs: int = 0
    flagged: int = 0
    recoverable: int = 0
    recovered: int = 0
    wrong: int = 0
    guessed: int = 0

    def add(self, other: Tally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def to_dict(self) -> dict[str, float | int]:
        return {
            **{name: getattr(self, name) for name in self.__dataclass_fields__},
            "recovered_share": self.recovered / self.recoverable if self.recoverable else 1.0,
            "flagged_share": self.flagged / self.outputs if self.outputs else 1.0,
        }


def score(s: Sample, labels: dict[str, str], flagged: bool, placeholder: str) -> Tally:
    """One output's counts: recovered and confident wrong labels, guesses, the verdict."""
    t = Tally(outputs=1, flagged=int(flagged))
    for aspect, truth in s.gold.items():
        got = labels[aspect]
        if aspect in s.recoverable:
            t.recoverable += 1
            t.recovered += got == truth
            t.wrong += got not in (truth, placeholder)
        elif got != placeholder:
            if got == truth:
                t.guessed += 1
            else:
                t.wrong += 1
    return t


def measure(samples: Sequence[Sample], profile: str = "strict") -> dict[str, Any]:
    """Per habit, per number of habits and overall: the tallies, and the worst examples."""
    tasks = {name: sdeparse.load_task(name) for name in TASKS}
    by_habit: dict[str, Tally] = {}
    alone: dict[str, Tally] = {}
    by_count: dict[int, Tally] = {}
    overall = Tally()
    examples: list[dict[str, Any]] = []
    for s in samples:
        task = tasks[s.task]
        result = sdeparse.parse(s.text, task, s.design, profile=profile)
        t = score(s, dict(result.labels), result.is_format_error, task.placeholder)
        overall.add(t)
        by_count.setdefault(len(s.habits), Tally()).add(t)
        for h in s.habits:
            by_habit.setdefault(h, Tally()).add(t)
        if len(s.habits) == 1:
            alone.setdefault(s.habits[0], Tally()).add(t)
        if t.wrong and len(examples) < 10:
            examples.append(
                {
                    "task": s.task,
                    "design": s.design,
                    "habits": list(s.habits),
                    "text": s.text,
                    "gold": s.gold,
                    "labels": dict(result.labels),
                }
            )
    return {
        "profile": profile,
        "overall": overall.to_dict(),
        "by_habit": {h: by_habit[h].to_dict() for h in HABITS if h in by_habit},
        "by_habit_alone": {h: alone[h].to_dict() for h in HABITS if h in alone},
        "by_count": {str(k): by_count[k].to_dict() for k in sorted(by_count)},
        "wrong_examples": examples,
    }


def table(report: dict[str, Any]) -> str:
    """The report as a text table."""
    head = (
        f"{'habit':<22}{'outputs':>8}{'recovered':>11}{'wrong':>7}{'guessed':>9}{'flagged':>9}"
        f"{'alone: n':>10}{'recovered':>11}{'wrong':>7}"
    )
    lines = [head, "-" * len(head)]

    def row(name: str, d: dict[str, Any], a: dict[str, Any] | None = None) -> str:
        text = (
            f"{name:<22}{d['outputs']:>8}{d['recovered_share']:>11.1%}{d['wrong']:>7}"
            f"{d['guessed']:>9}{d['flagged_share']:>9.1%}"
        )
        if a is not None:
            text += f"{a['outputs']:>10}{a['recovered_share']:>11.1%}{a['wrong']:>7}"
        return text

    alone = report["by_habit_alone"]
    empty = Tally().to_dict()
    lines += [row(h, d, alone.get(h, empty)) for h, d in report["by_habit"].items()]
    lines.append("-" * len(head))
    lines += [row(f"{k} habit(s) at once", d) for k, d in report["by_count"].items()]
    lines.append(row("all", report["overall"]))
    return "\n".join(lines)


def run(n: int, seed: int, as_json: bool = False) -> dict[str, Any]:
    """Build the corpus, measure it under strict, print the table (or the JSON)."""
    report = measure(corpus(n, seed))
    report.update(n=n, seed=seed)
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(
            f"habits corpus: {n} outputs (seed {seed}), tasks {', '.join(TASKS)}, "
            f"profile {report['profile']}"
        )
        print(
            "recovered = recoverable aspects given their gold; wrong = confident wrong labels "
            "(must be 0); guessed = unrecoverable aspects given a label that is the gold by "
            "chance; flagged = outputs counted as wrongly formatted; alone = the outputs with "
            "that habit only"
        )
        print(table(report))
    return report


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=3000, help="outputs (default 3000)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    args = parser.parse_args(argv)
    run(args.n, args.seed, args.json)


if __name__ == "__main__":
    main()
