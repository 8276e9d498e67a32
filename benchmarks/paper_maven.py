"""The released MAVEN evaluation on a copy of the released files, and its timing.

    PYTHONPATH=. python benchmarks/paper_maven.py PREDICTIONS [--test TEST] [--json OUT]

PREDICTIONS is ``prediction_heuristic_llama2.json`` of beyondguo/LLM-Tuning
(``SDE/MAVEN/maven_eval_llama2/``), or any JSONL with "prediction" and "target" fields; TEST is
``heuristic_test.json`` beside it, whose "output" field is the gold the released script reads
(by line number). The files are not in this repository: the upstream repository carries no
licence. Prints the released report's figures (outputs, format errors, empty outputs,
precision, recall, F1, TP/FP/FN) and, when given the Llama-2 files, compares them with the
released figure: 100 outputs, 0 format errors, P 0.6569, R 0.4558, F1 0.5382, TP 67, FP 35,
FN 80. Exits 1 when the Llama-2 files give other figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sdeparse.paper.extraction import evaluate_outputs, read_released

#: The released soft-F1 report of Llama-2 on the tuples design (prediction_heuristic_llama2).
RELEASED = {"n": 100, "format_errors": 0, "tp": 67, "fp": 35, "fn": 80}
RELEASED_FIGURES = {"precision": 0.6569, "recall": 0.4558, "f1": 0.5382}


def main(argv: list[str] | None = None) -> int:
    """Evaluate, print, compare with the released figure when the file is the Llama-2 one."""
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("predictions", type=Path)
    args.add_argument("--test", type=Path, default=None)
    args.add_argument("--json", type=Path, default=None, help="write the figures here")
    opts = args.parse_args(argv)
    start = time.perf_counter()
    evaluation = evaluate_outputs(read_released(opts.predictions, opts.test))
    elapsed = time.perf_counter() - start
    d = evaluation.to_dict()
    print(f"file            {opts.predictions}")
    print(f"outputs         {d['n']}")
    print(f"format errors   {d['format_errors']} (empty outputs {d['empty_outputs']})")
    for name in ("precision", "recall", "f1"):
        print(f"{name:<15} {d[name]['all']:.4f}  ({d[name]['all']!r})")
    print(f"TP / FP / FN    {d['tp']} / {d['fp']} / {d['fn']}")
    print(f"time            {elapsed:.3f} s")
    if opts.json is not None:
        opts.json.write_text(json.dumps(d, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if "llama2" not in opts.predictions.name:
        return 0
    got = {k: d[k] for k in RELEASED}
    figures = {k: round(d[k]["all"], 4) for k in RELEASED_FIGURES}
    same = got == RELEASED and figures == RELEASED_FIGURES
    print("released figure " + ("REPRODUCED" if same else f"DIFFERS: {got} {figures}"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
