"""Time the extraction readers (tuples, Natural/Lines span pairs, JSON span lists) on long
outputs of many shapes at 100 kB, 1 MB and 10 MB, and the per-output cost of short canonical and
lightly corrupted outputs next to the MASA designs.

    PYTHONPATH=. python benchmarks/extraction_scaling.py [--sizes 100000,1000000,10000000]
        [--tasks maven-ed,genia-ner] [--designs tuples,lines,natural+omit,natural+numeric,json]
        [--shapes ...] [--json out.json]

Each cell is ``sdeparse.parse(text, task, design)`` (strict profile), the best of `--repeat`
runs (fewer once a cell has used 3 s), in CPU time of this process (`time.process_time`),
which other work on a shared machine disturbs less than wall-clock time. Sizes are in UTF-8
bytes. A 10 MB cell is skipped (shown as ``skip``) where the 1 MB one took more than 1.5 s.
``ratio`` is the 1 MB / 100 kB time (the contract: at most 12), ``10M`` the 10 MB time (the
contract: at most 2 s).

Shapes: ``canonical`` (canonical outputs joined by newlines), ``lbrackets`` (``[`` * n),
``commas`` (``,`` * n), ``open_tuples`` (``["Motion", "`` * n), ``squotes`` (``'`` * n),
``dquotes`` (``"`` * n), ``type_colon`` (``Motion: `` * n), ``semis`` (``; `` * n),
``giant_span`` (one item whose span is the whole output), ``think`` (a long ``<think>``
preamble, then a canonical answer), ``prose`` (junk prose), ``grounded`` (canonical outputs,
parsed with a source text as long as the output: the grounding check).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import sdeparse
from sdeparse import Design
from sdeparse.parser import parser_for
from sdeparse.testing import CORRUPTIONS, EXTRACTION_CORRUPTIONS, corrupt

TASKS = ("maven-ed", "genia-ner")
DESIGNS = ("tuples", "lines", "natural+omit", "natural+numeric", "json")
SHAPES = (
    "canonical",
    "lbrackets",
    "commas",
    "open_tuples",
    "squotes",
    "dquotes",
    "type_colon",
    "semis",
    "giant_span",
    "think",
    "prose",
    "grounded",
)
_WORDS = [
    "the", "storm", "flew", "over", "the", "city", "and", "led", "to", "the", "collapse", "of",
    "several", "old", "bridges",
]  # fmt: skip
_PROSE = (
    "Sure! Here is the answer you asked for, with every event of the sentence and its trigger "
    "word, written one after the other as the instructions say. "
)


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode()))


def _pairs(task: sdeparse.Task, rng: random.Random) -> list[tuple[str, str]]:
    types = [t.name for t in task.spans.types]
    n = rng.randint(1, 3)
    return [(rng.choice(types), " ".join(rng.sample(_WORDS, rng.randint(1, 2)))) for _ in range(n)]


def _canonical(task: sdeparse.Task, design: Design, rng: random.Random) -> str:
    return sdeparse.render(_pairs(task, rng), task, design)


def _joined(pieces, size: int) -> str:
    out, total = [], 0
    for piece in pieces:
        out.append(piece)
        total += len(piece.encode()) + 1
        if total >= size:
            break
    return "\n".join(out)


def shape_text(
    shape: str, task: sdeparse.Task, design: Design, size: int
) -> tuple[str, str | None]:
    """One long output of about `size` bytes, and the source to ground it against (or None)."""
    rng = random.Random(7)
    first = task.spans.types[0].name
    if shape in ("canonical", "grounded"):
        text = _joined(iter(lambda: _canonical(task, design, rng), None), size)
        if shape == "grounded":
            return text, _fill(" ".join(_WORDS) + " ", size)
        return text, None
    if shape == "lbrackets":
        return _fill("[", size), None
    if shape == "commas":
        return _fill(",", size), None
    if shape == "open_tuples":
        return _fill(f'["{first}", "', size), None
    if shape == "squotes":
        return _fill("'", size), None
    if shape == "dquotes":
        return _fill('"', size), None
    if shape == "type_colon":
        return _fill(f"{first}: ", size), None
    if shape == "semis":
        return _fill("; ", size), None
    if shape == "giant_span":
        answer = sdeparse.render([(first, "x")], task, design)
        at = answer.index("x")
        return answer[:at] + _fill("x", size) + answer[at + 1 :], None
    if shape == "think":
        answer = sdeparse.render(_pairs(task, rng), task, design)
        return "<think>\n" + _fill(_PROSE, size) + "\n</think>\n" + answer, None
    if shape == "prose":
        return _fill(_PROSE, size), None
    raise ValueError(shape)


def best_time(parser, text: str, source: str | None, repeat: int) -> float:
    best, spent = float("inf"), 0.0
    for _ in range(repeat):
        start = time.process_time()
        parser.parse(text, source)
        took = time.process_time() - start
        best = min(best, took)
        spent += took
        if spent > 3:
            break
    return best


def per_output(task_name: str, design_name: str, corrupted: bool, n: int = 1000) -> float:
    """Microseconds per short output (canonical, or one corruption operator applied)."""
    task = sdeparse.load_task(task_name)
    design = task.design(design_name)
    rng = random.Random(3)
    texts: list[str] = []
    attempts = 0
    while len(texts) < n and attempts < 20 * n:
        attempts += 1
        if task.is_extraction:
            text = _canonical(task, design, rng)
            if corrupted:
                ops = [op for op in EXTRACTION_CORRUPTIONS.values() if op.applies_to(design)]
                op = rng.choice(ops)
                text = op.apply(text, task, design, rng)
                if text is None:
                    continue
        else:
            labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
            text = sdeparse.render(labels, task, design)
            if corrupted:
                bad = corrupt(text, task, design, rng, list(CORRUPTIONS))
                if bad is None:
                    continue
                text = bad[0]
        texts.append(text)
    parser = parser_for(task, design)
    for text in texts[:50]:
        parser.parse(text)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for text in texts:
            parser.parse(text)
        best = min(best, time.process_time() - start)
    return best / len(texts) * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000,10000000")
    ap.add_argument("--tasks", default=",".join(TASKS))
    ap.add_argument("--designs", default=",".join(DESIGNS))
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-per-output", action="store_true")
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: list[dict] = []
    over = []
    if not args.no_per_output:
        print("per output (µs)            canonical  corrupted", flush=True)
        cases = [(t, d) for t in args.tasks.split(",") for d in args.designs.split(",")]
        cases += [("masa-d1", "natural"), ("masa-d1", "lines"), ("masa-d1", "json")]
        for task_name, design_name in cases:
            try:
                sdeparse.load_task(task_name).design(design_name)
            except Exception:
                continue
            clean = per_output(task_name, design_name, False)
            bad = per_output(task_name, design_name, True)
            print(f"{task_name:10} {design_name:16} {clean:9.1f}  {bad:9.1f}", flush=True)
            rows.append(
                {"task": task_name, "design": design_name, "shape": "per_output",
                 "canonical_us": clean, "corrupted_us": bad}
            )
    header = "  ".join(f"{s // 1000:>7} kB" for s in sizes)
    print(f"{'task':10} {'design':16} {'shape':12} {header}  ratio", flush=True)
    for task_name in args.tasks.split(","):
        task = sdeparse.load_task(task_name)
        for design_name in args.designs.split(","):
            try:
                design = task.design(design_name)
            except Exception:
                continue
            parser = parser_for(task, design)
            for shape in args.shapes.split(","):
                times: list[float | None] = []
                for size in sizes:
                    if size >= 10_000_000 and times and (times[-1] is None or times[-1] > 1.5):
                        times.append(None)
                        continue
                    text, source = shape_text(shape, task, design, size)
                    repeat = args.repeat if size < 10_000_000 else 1
                    times.append(best_time(parser, text, source, repeat))
                ratio = (
                    times[1] / times[0]
                    if len(times) > 1 and times[0] and times[1] is not None
                    else float("nan")
                )
                cells = "  ".join("     skip" if t is None else f"{t * 1000:8.0f}ms" for t in times)
                print(
                    f"{task_name:10} {design_name:16} {shape:12} {cells}  {ratio:5.1f}", flush=True
                )
                rows.append(
                    {"task": task_name, "design": design_name, "shape": shape, "sizes": sizes,
                     "times": times}
                )
                big = times[-1] if len(sizes) > 2 else None
                if ratio > 12 or big is None and len(sizes) > 2 or (big or 0) > 2:
                    over.append((task_name, design_name, shape))
    if over:
        print("over target:", ", ".join("/".join(o) for o in over))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
