"""Seeded inputs: the corpora the parse benchmark reads (canonical, a realistic share
corrupted, all corrupted, broken JSON), the eval JSON Lines files, the adversarial outputs
and the long outputs. Everything here is a pure function of its arguments and the seed."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import fail

from sdeparse import Design, Task, render

ADVERSARIAL_CASES = ("unclosed_brackets", "repeated_separators", "giant_item")
#: long-output shapes (long_outputs.py): the adversarial cases in each design's layout, plus
#: shapes of any design's output that must also stay linear
LONG_CASES = (
    "many_tiny_items",
    *ADVERSARIAL_CASES,
    "deep_brackets",
    "deep_braces",
    "deep_keys",
    "think_preamble",
    "many_pairs",
)

# realistic label distribution: most aspects of a review are not mentioned
# weights by position among the mentioned labels; the rest of the mass: the placeholder
_LABEL_WEIGHTS = {0: 0.30, 1: 0.12, 2: 0.10}
_REVIEW_BITS = (
    "菜很好吃",
    "分量有点少",
    "服务员态度很好",
    "上菜速度一般",
    "价格偏贵",
    "环境干净",
    "停车不方便",
    "饮料味道一般",
    "性价比很高",
    "下次还会再来",
)
_DESCRIPTION_BITS = ("评论提到", "菜品", "味道不错", "服务", "价格", "有点贵", "没有提到", "停车")


def load_corrupt() -> Any:
    """The corruption operators (sdeparse.testing), or a clear exit when they are missing."""
    try:
        from sdeparse import testing as corrupt
    except ImportError:
        fail(
            "sdeparse.testing is missing: the benchmark corrupts its corpus with the same "
            "operators as the tests; update the checkout (git pull) once it has landed"
        )
    if not hasattr(corrupt, "corrupt"):
        fail("sdeparse.testing has no corrupt() helper; the benchmark needs testing.corrupt()")
    return corrupt


# ---- canonical and corrupted corpora ------------------------------------------------------


@dataclass
class Corpus:
    """Texts to parse and the labels each stands for."""

    name: str
    texts: list[str]
    truths: list[dict[str, str]]
    corrupted: int = 0
    operators: dict[str, int] = field(default_factory=dict)


def random_labels(task: Task, rng: random.Random) -> dict[str, str]:
    """A realistic label map: mostly the placeholder, some positive, few neutral or negative."""
    mentioned = [name for name in task.label_names if name != task.placeholder]
    labels = {}
    for aspect in task.aspect_names:
        roll = rng.random()
        chosen = task.placeholder
        for index, weight in _LABEL_WEIGHTS.items():
            if index < len(mentioned) and roll < weight:
                chosen = mentioned[index]
                break
            roll -= weight
        labels[aspect] = chosen
    return labels


def random_descriptions(task: Task, rng: random.Random) -> dict[str, str]:
    return {a: "".join(rng.sample(_DESCRIPTION_BITS, 3)) for a in task.aspect_names}


def canonical(task: Task, design: Design, rng: random.Random) -> tuple[str, dict[str, str]]:
    labels = random_labels(task, rng)
    descriptions = random_descriptions(task, rng) if design.has_description else None
    return render(labels, task, design, descriptions), labels


def _is_broken_json(text: str) -> bool:
    for line in text.split("\n"):
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                return True
    return False


def build_corpus(
    task: Task,
    design: Design,
    n: int,
    share: float,
    seed: int,
    corrupt_mod: Any,
    broken_json: bool = False,
    name: str = "",
) -> Corpus:
    """`n` outputs, round(n * share) of them corrupted (spread evenly), seeded.

    With `broken_json`, every output is corrupted and kept only if some line is not valid JSON.
    """
    rng = random.Random(f"{seed}:{task.name}:{design.name}:{share}:{broken_json}")
    wanted = n if broken_json else round(n * share)
    positions = set(rng.sample(range(n), wanted)) if wanted < n else set(range(n))
    corpus = Corpus(name or f"{share:.0%}", [], [])
    for index in range(n):
        text, labels = canonical(task, design, rng)
        if index in positions:
            for _attempt in range(200):
                hit = corrupt_mod.corrupt(text, task, design, rng)
                if hit is not None and (not broken_json or _is_broken_json(hit[0])):
                    text = hit[0]
                    corpus.corrupted += 1
                    corpus.operators[hit[1].name] = corpus.operators.get(hit[1].name, 0) + 1
                    break
                text, labels = canonical(task, design, rng)
        corpus.texts.append(text)
        corpus.truths.append(labels)
    return corpus


# ---- eval files -----------------------------------------------------------------------------


def _prompt(rng: random.Random) -> str:
    review = "，".join(rng.sample(_REVIEW_BITS, rng.randint(2, 5))) + "。"
    return (
        "请判断以下餐厅评论在各方面的情感（正面、中性、负面、未提及）。\n"
        f"评论：{review}\n"
        '请用以下格式给出所有方面的情感："方面1：情感类别，方面2：情感类别，..."\n输出：'
    )


def write_eval_file(
    path: Path, task: Task, design: Design, lines: int, share: float, seed: int, corrupt_mod: Any
) -> int:
    """A JSON Lines file of `lines` records; predictions get some wrong labels and `share`
    corrupted. Records come from a seeded pool of 20,000 (written in a seeded random order)."""
    rng = random.Random(f"eval:{seed}:{task.name}:{design.name}")
    pool = []
    for _ in range(min(lines, 20_000)):
        target, labels = canonical(task, design, rng)
        predicted = {
            a: (rng.choice(task.label_names) if rng.random() < 0.15 else label)
            for a, label in labels.items()
        }
        descriptions = random_descriptions(task, rng) if design.has_description else None
        prediction = render(predicted, task, design, descriptions)
        if rng.random() < share:
            hit = corrupt_mod.corrupt(prediction, task, design, rng)
            if hit is not None:
                prediction = hit[0]
        record = {"prompt": _prompt(rng), "target": target, "prediction": prediction}
        pool.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    with open(path, "wb") as out:
        for _ in range(lines):
            out.write(pool[rng.randrange(len(pool))])
    return path.stat().st_size


# ---- adversarial outputs --------------------------------------------------------------------


def _fill(prefix: str, unit: str, suffix: str, size: int) -> str:
    """prefix + unit * k + suffix, with k chosen so the UTF-8 size is about `size` bytes."""
    fixed = len(prefix.encode()) + len(suffix.encode())
    count = max(1, (size - fixed) // len(unit.encode()))
    return prefix + unit * count + suffix


def adversarial_text(task: Task, design: Design, case: str, size: int) -> str:
    """A pathological output of about `size` bytes: unclosed brackets, repeated separators or
    one giant item, in the layout of `design`."""
    punct = task.punctuation
    keys = task.json_keys
    first, second = task.aspect_names[0], task.aspect_names[-1]
    label = task.label_names[0]
    spelled = str(task.code_by_label[label]) if design.numeric_labels else label
    if design.is_json:
        value = spelled if design.numeric_labels else json.dumps(spelled, ensure_ascii=False)
        head = f'{{"{keys.aspect}": "{first}", '
        if case == "unclosed_brackets":
            item = render({first: label}, task, design).split("\n")[0]
            return _fill(item + "\n", f'{{"{keys.aspect}": [', "", size)
        if case == "repeated_separators":
            return _fill(head.rstrip(" "), " ,", f' "{keys.label}": {value}}}', size)
        if design.format == "cot":
            return _fill(
                head + f'"{keys.description}": "', "很", f'", "{keys.label}": {value}}}', size
            )
        if design.format == "rcot":
            prefix = head + f'"{keys.label}": {value}, "{keys.description}": "'
            return _fill(prefix, "很", '"}', size)
        return _fill(head + f'"{keys.label}": "', "很", f'{spelled}"}}', size)
    kv = punct.key_value
    end = "" if design.format == "lines" else punct.terminator
    if case == "unclosed_brackets":
        return _fill(f"{first}{kv}", "{[", "", size)
    if case == "repeated_separators":
        separator = "\n" if design.format == "lines" else punct.pair_separator
        return _fill(f"{first}{kv}{spelled}", separator, f"{second}{kv}{spelled}{end}", size)
    return _fill(f"{first}{kv}", "很", f"{spelled}{end}", size)


# ---- long outputs ---------------------------------------------------------------------------

#: one paragraph of made-up reasoning (about 300 bytes), repeated to fill a <think> preamble;
#: it names no aspect and no label, so the answer after it is the only place they appear
_REASONING = (
    "好的，我来分析这条评论。用户说菜很好吃，分量有点少，上菜速度一般，环境干净，性价比很高，"
    "下次还会再来。我需要逐个判断每个方面的情感，先看评论里有没有提到，再看语气是好是坏，"
    "最后按训练的格式输出。\n"
)


@dataclass
class LongText:
    """A long output, the labels it stands for (None when it stands for none) and a note."""

    text: str
    truth: dict[str, str] | None = None
    note: str = ""


def long_truth(task: Task) -> dict[str, str]:
    """Fixed labels that use every label of the task (the placeholder included)."""
    names = task.label_names
    return {aspect: names[i % len(names)] for i, aspect in enumerate(task.aspect_names)}


def _answer(task: Task, design: Design, labels: dict[str, str]) -> str:
    descriptions = dict.fromkeys(labels, "评论提到了") if design.has_description else None
    return render(labels, task, design, descriptions)


def _many_pairs(task: Task, design: Design, size: int) -> LongText:
    """The items of one canonical output repeated, in the layout, to about `size` bytes."""
    labels = long_truth(task)
    answer = _answer(task, design, labels)
    if design.format == "natural":
        end = task.punctuation.terminator
        joiner = task.punctuation.pair_separator
        items = answer.removesuffix(end).split(joiner) if end else answer.split(joiner)
    else:
        end, joiner = "", "\n"
        items = answer.split("\n")
    block = joiner.join(items)
    count = max(1, (size - len(end.encode())) // len((block + joiner).encode()))
    text = joiner.join([block] * count) + end
    return LongText(text, labels, f"{count * len(items):,} pairs")


def long_text(task: Task, design: Design, case: str, size: int) -> LongText:
    """A long output of about `size` bytes of UTF-8 in one of LONG_CASES' shapes."""
    if case in ADVERSARIAL_CASES:
        return LongText(adversarial_text(task, design, case, size))
    if case == "many_tiny_items":
        return LongText(_fill("", "a，", "", size))
    if case == "deep_brackets":
        return LongText(_fill("", "[", "", size))
    if case == "deep_braces":
        return LongText(_fill("", "{", "", size))
    if case == "deep_keys":
        return LongText(_fill("", '{"a": ', "", size))
    if case == "think_preamble":
        labels = long_truth(task)
        answer = _answer(task, design, labels)
        text = _fill("<think>\n", _REASONING, "</think>\n\n" + answer, size)
        return LongText(text, labels, "canonical answer after the preamble")
    if case == "many_pairs":
        return _many_pairs(task, design, size)
    raise ValueError(f"unknown long-output case {case!r}")
