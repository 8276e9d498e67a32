"""Parse throughput: sdeparse and the baselines over one design's corpora (0 %, the
realistic share and 100 % corrupted, broken JSON), best of N passes, with the share of
(output, aspect) pairs each parser gets right."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import baselines
from common import rate
from corpus import build_corpus
from timing import best_of

from sdeparse import Design, Task, parse


def recovered(found: Sequence[dict[str, str]], truths: Sequence[dict[str, str]], task: Task) -> int:
    """(output, aspect) pairs whose label equals the truth; aspects not found: placeholder."""
    hits = 0
    placeholder = task.placeholder
    for labels, truth in zip(found, truths, strict=True):
        for aspect, gold in truth.items():
            if labels.get(aspect, placeholder) == gold:
                hits += 1
    return hits


def parsers_for(task: Task, design: Design) -> dict[str, tuple[Callable[[str], Any], Callable]]:
    """name -> (reader, results-to-labels) for sdeparse and every applicable baseline."""

    def sde(text: str) -> Any:
        return parse(text, task, design)

    chosen: dict[str, tuple[Callable[[str], Any], Callable]] = {
        "sdeparse": (sde, lambda result: result.labels),
        "naive": (baselines.naive(task, design), lambda found: found),
        "paper": (baselines.paper(task, design), lambda found: found),
    }
    if design.is_json:
        for name, factory in baselines.decoders().items():
            chosen[name] = (factory(task, design), lambda found: found)
        if baselines.available()["json_repair"]:
            chosen["json_repair"] = (baselines.json_repair_lines(task, design), lambda f: f)
    return chosen


def runs_on(parser: str, corpus: str) -> bool:
    """Which corpora each parser runs on (decoders only on valid JSON)."""
    if parser in ("json.loads", "orjson"):
        return corpus == "0%"
    return True


def bench_parse(
    task: Task, design: Design, args: argparse.Namespace, corrupt_mod: Any, log: Callable
) -> dict[str, Any]:
    """Throughput and recovery of sdeparse and the baselines on this design's corpora."""
    share = args.corrupt_share
    corpora = [
        build_corpus(task, design, args.n, 0.0, args.seed, corrupt_mod, name="0%"),
        build_corpus(task, design, args.n_mixed, share, args.seed, corrupt_mod),
        build_corpus(task, design, args.n_slow, 1.0, args.seed, corrupt_mod, name="100%"),
    ]
    if design.is_json:
        corpora.append(
            build_corpus(
                task, design, args.n_slow, 1.0, args.seed, corrupt_mod, True, name="broken"
            )
        )
    parsers = parsers_for(task, design)
    table: dict[str, dict[str, Any]] = {}
    for name, (func, labels_of) in parsers.items():
        row: dict[str, Any] = {}
        for corpus in corpora:
            if not runs_on(name, corpus.name):
                continue
            # Warm-up over the whole corpus: the grammars (a layout's is built the first time
            # an output needs it, one of them maybe late in the corpus) and the readers' memos,
            # so that a one-pass run (--quick) times what best of N times.
            for text in corpus.texts:
                func(text)
            seconds, results = best_of(func, corpus.texts, args.repeat)
            found = [labels_of(result) for result in results]
            total = sum(len(truth) for truth in corpus.truths)
            row[corpus.name] = {
                "n": len(corpus.texts),
                "seconds": seconds,
                "per_second": rate(len(corpus.texts), seconds),
                "recovered": recovered(found, corpus.truths, task),
                "aspects": total,
            }
        table[name] = row
        log(f"  parse {design.name:22} {name:12} done")
    return {
        "corpora": {
            c.name: {"n": len(c.texts), "corrupted": c.corrupted, "operators": len(c.operators)}
            for c in corpora
        },
        "parsers": table,
    }
