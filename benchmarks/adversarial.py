"""Adversarial outputs: unclosed brackets, repeated separators and one giant item at two
sizes in every design's layout, for sdeparse and the baselines, each run in a child process
under a timeout (timing.run_jobs)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import baselines
from corpus import ADVERSARIAL_CASES
from timing import run_jobs

from sdeparse import Design, Task


def run_adversarial(
    task: Task, designs: Sequence[Design], args: argparse.Namespace, log: Callable
) -> dict[str, Any]:
    """Every (design, case, parser, size) under a per-run timeout:
    design -> case -> parser -> str(size) -> result."""
    small, big = args.adv_sizes
    jobs = []
    for design in designs:
        parsers = ["sdeparse", "naive"]
        if design.is_json and baselines.available()["json_repair"]:
            parsers.append("json_repair")
        for case in ADVERSARIAL_CASES:
            for parser in parsers:
                for size in (small, big):
                    jobs.append(
                        {"design": design.name, "case": case, "parser": parser, "size": size}
                    )
    results = run_jobs(jobs, args.task, args.repeat, args.adv_budget, args.adv_timeout, log)
    out: dict[str, Any] = {}
    for index, job in enumerate(jobs):
        entry = out.setdefault(job["design"], {}).setdefault(job["case"], {})
        entry.setdefault(job["parser"], {})[str(job["size"])] = results[index]
    return out
