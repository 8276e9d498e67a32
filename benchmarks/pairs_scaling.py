"""Time the Natural and Lines readers on long outputs of several shapes, at two sizes, under the
strict and paper profiles, and print the large/small ratio (linearity) of each row.

    PYTHONPATH=. python benchmarks/pairs_scaling.py [--sizes 100000,1000000] [--json out.json]

Shapes: canonical outputs repeated to the size; corrupted outputs (one operator of
`sdeparse.testing` each, all but ``json_for_pairs``, whose JSON lines the JSON reader reads)
joined to the size; ``"a，" * n``; ``"a：" * n``; ``"，" * n``; one giant item; one canonical
output repeated 10,000 times (a fixed size, not scaled). Sizes are in UTF-8 bytes. Each cell is
the best of `--repeat` runs (fewer once a cell has used 3 s), in CPU time of this process
(`time.process_time`), which other work on a shared machine disturbs less than wall-clock time.
The first line of each block is the throughput on 2,000 short corrupted outputs.
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
from sdeparse.testing import CORRUPTIONS, corrupt

TASK = sdeparse.load_task("masa-d1")
#: Corruption operators of the pairs layouts: all but the one writing JSON lines instead, which
#: the JSON reader reads (this script times the Natural / Lines reader).
PAIR_OPERATORS = [name for name in CORRUPTIONS if name != "json_for_pairs"]


def _canonical(design: Design, rng: random.Random) -> str:
    labels = {a: rng.choice(TASK.label_names) for a in TASK.aspect_names}
    return sdeparse.render(labels, TASK, design)


def _fill(unit: str, size: int) -> str:
    return unit * max(1, size // len(unit.encode()))


def _joined(pieces, joiner: str, size: int) -> str:
    out, total = [], 0
    for piece in pieces:
        out.append(piece)
        total += len(piece.encode()) + len(joiner.encode())
        if total >= size:
            break
    return joiner.join(out)


def shape_text(shape: str, design: Design, size: int) -> str:
    """One long output of about `size` bytes (or fixed, for canon_x10000)."""
    rng = random.Random(7)
    joiner = "\n" if design.format == "lines" else ""
    if shape == "canonical":
        return _joined(iter(lambda: _canonical(design, rng), None), joiner, size)
    if shape == "canon_x10000":
        return joiner.join([_canonical(design, rng)] * 10_000)
    if shape == "corrupted":

        def pieces():
            while True:
                bad = corrupt(_canonical(design, rng), TASK, design, rng, PAIR_OPERATORS)
                if bad is not None:
                    yield bad[0]

        return _joined(pieces(), joiner, size)
    if shape == "a_comma":
        return _fill("a，", size)
    if shape == "a_colon":
        return _fill("a：", size)
    if shape == "commas":
        return _fill("，", size)
    if shape == "giant_item":
        return "食品评价：" + _fill("中", size)
    raise ValueError(shape)


SHAPES = ("canonical", "corrupted", "a_comma", "a_colon", "commas", "giant_item", "canon_x10000")


def best_time(text: str, design: Design, profile: str, repeat: int) -> float:
    parser = parser_for(TASK, design, profile)
    best = float("inf")
    spent = 0.0
    for _ in range(repeat):
        start = time.process_time()
        parser.parse(text)
        took = time.process_time() - start
        best = min(best, took)
        spent += took
        if spent > 3:
            break
    return best


def corpus_rate(design: Design, profile: str, n: int = 2000) -> float:
    """Short corrupted outputs parsed per second (the realistic case)."""
    rng = random.Random(3)
    texts = []
    while len(texts) < n:
        bad = corrupt(_canonical(design, rng), TASK, design, rng, PAIR_OPERATORS)
        if bad is not None:
            texts.append(bad[0])
    parser = parser_for(TASK, design, profile)
    for text in texts[:50]:
        parser.parse(text)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for text in texts:
            parser.parse(text)
        best = min(best, time.process_time() - start)
    return n / best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--designs", default="natural,lines")
    ap.add_argument("--profiles", default="strict,paper")
    ap.add_argument("--shapes", default=",".join(SHAPES))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default="")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for name in args.designs.split(","):
        design = Design.parse(name)
        for profile in args.profiles.split(","):
            rate = corpus_rate(design, profile)
            print(f"{name:8} {profile:6} corrupted corpus: {rate:8.0f} outputs/s", flush=True)
            rows.append({"design": name, "profile": profile, "shape": "corpus", "rate": rate})
            for shape in args.shapes.split(","):
                times = []
                for size in sizes if shape != "canon_x10000" else sizes[:1]:
                    text = shape_text(shape, design, size)
                    times.append(best_time(text, design, profile, args.repeat))
                ratio = times[-1] / times[0] if len(times) > 1 else float("nan")
                cells = "  ".join(f"{t * 1000:9.1f} ms" for t in times)
                print(f"{name:8} {profile:6} {shape:13} {cells}  ratio {ratio:5.1f}", flush=True)
                rows.append({"design": name, "profile": profile, "shape": shape, "times": times})
    if args.json:
        with open(args.json, "w") as out:
            json.dump(rows, out, indent=1)


if __name__ == "__main__":
    sys.exit(main())
