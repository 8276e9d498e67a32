"""Long outputs, under both profiles: does parsing stay linear in the length of the output,
and does an answer after a long preamble still come back?

For every case of corpus.LONG_CASES (or those chosen with --long-cases), design (natural,
lines, json, cot by default) and profile (strict, paper), ``sdeparse.parse`` runs on three
sizes (100 kB, 1 MB and 10 MB by default) in a child process under a per-run timeout
(timing.run_jobs); the largest size runs only where the middle one took less than
GATE_SECONDS. The targets (reporting.py): the largest size within TARGET_SECONDS, the middle /
smallest time ratio at most TARGET_RATIO, and for ``think_preamble`` the labels equal to the
truth at every size run.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from corpus import long_text
from timing import run_jobs

from sdeparse import Design, Task

DEFAULT_LONG_DESIGNS = ("natural", "lines", "json", "cot")
PROFILES = ("strict", "paper")
#: the largest size runs only where the middle size took less than this (seconds)
GATE_SECONDS = 1.5
#: the largest size must parse within this (seconds)
TARGET_SECONDS = 2.0
#: the middle / smallest time ratio must be at most this (10x the size)
TARGET_RATIO = 12.0
#: cases whose labels must come back (the others report recovery where they stand for labels)
RECOVERY_CASES = ("think_preamble",)


def run_long(
    task: Task,
    designs: list[Design],
    profiles: list[str],
    cases: list[str],
    args: argparse.Namespace,
    log: Callable,
) -> dict[str, Any]:
    """Every (case, design, profile) at the three sizes of ``args.long_sizes``: a row each."""
    small, mid, big = sizes = args.long_sizes
    jobs: list[dict[str, Any]] = []
    rows: list[tuple[dict[str, Any], list[int]]] = []
    for case in cases:
        for design in designs:
            for profile in profiles:
                base = {
                    "kind": "long",
                    "design": design.name,
                    "case": case,
                    "parser": "sdeparse",
                    "profile": profile,
                }
                first = len(jobs)
                jobs.append({**base, "size": small})
                jobs.append({**base, "size": mid})
                gate = {"id": first + 1, "seconds": GATE_SECONDS}
                jobs.append({**base, "size": big, "only_if_below": gate})
                rows.append(
                    (
                        {"case": case, "design": design.name, "profile": profile},
                        [first, first + 1, first + 2],
                    )
                )
    log(f"  long outputs: {len(rows)} (case, design, profile) rows, up to {len(jobs)} runs")
    results = run_jobs(jobs, args.task, args.repeat, args.adv_budget, args.long_timeout, log)
    out_rows = []
    for row, indices in rows:
        runs = {str(jobs[i]["size"]): results[i] for i in indices}
        t_small, t_mid = runs[str(small)]["seconds"], runs[str(mid)]["seconds"]
        ratio = t_mid / t_small if t_small and t_mid is not None else None
        out_rows.append({**row, "runs": runs, "ratio": ratio})
    return {
        "sizes": [small, mid, big],
        "timeout": args.long_timeout,
        "gate_seconds": GATE_SECONDS,
        "target_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
        "designs": [d.name for d in designs],
        "profiles": list(profiles),
        "cases": list(cases),
        "rows": out_rows,
        "notes": {
            "many_pairs": {
                d.name: {str(size): long_text(task, d, "many_pairs", size).note for size in sizes}
                for d in designs
            }
        }
        if "many_pairs" in cases
        else {},
    }
