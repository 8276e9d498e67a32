"""``sdeparse eval`` end to end: write a large JSON Lines file, run the CLI on it with
--jobs 1 and 2 (wall time and peak memory via memory.run_measured), and a naive eval loop as
the floor."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import baselines
from common import MB, RUN_SCRIPT, child_env, rate
from corpus import write_eval_file
from memory import run_measured

from sdeparse import Design, Task, load_task

#: eval runs on these by default (the paper's two SDE mixes), since all 20 take too long.
DEFAULT_EVAL_DESIGNS = ("lines", "natural+omit")


def eval_cli_available() -> str | None:
    """None when ``python -m sdeparse eval`` works, else why not."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sdeparse", "eval", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env=child_env(),
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the sdeparse CLI: {exc}"
    if done.returncode != 0:
        return "`sdeparse eval` is not available yet (python -m sdeparse eval --help failed)"
    return None


def naive_eval_child(path: str, task_name: str, design_name: str) -> int:
    """Child mode: the floor of an eval: json.loads each line, naive-split target and
    prediction, count correct aspects. Prints the counts as JSON."""
    task, design = load_task(task_name), Design.parse(design_name)
    read = baselines.naive(task, design)
    placeholder = task.placeholder
    records = correct = 0
    with open(path, "rb") as fh:
        for raw in fh:
            record = json.loads(raw)
            gold, predicted = read(record["target"]), read(record["prediction"])
            records += 1
            for aspect in task.aspect_names:
                if gold.get(aspect, placeholder) == predicted.get(aspect, placeholder):
                    correct += 1
    print(json.dumps({"records": records, "correct": correct}))
    return 0


def run_eval(
    task: Task, design: Design, args: argparse.Namespace, corrupt_mod: Any, log: Callable
) -> dict[str, Any]:
    """``sdeparse eval`` with --jobs 1 and 2 on one large file, and the naive-eval floor."""
    result: dict[str, Any] = {"lines": args.eval_lines}
    with tempfile.TemporaryDirectory(prefix="sdeparse-eval-") as tmp:
        path = Path(tmp) / f"{design.name.replace('+', '_')}.jsonl"
        start = time.perf_counter()
        result["bytes"] = write_eval_file(
            path, task, design, args.eval_lines, args.corrupt_share, args.seed, corrupt_mod
        )
        log(
            f"  eval {design.name}: wrote {args.eval_lines:,} lines "
            f"({result['bytes'] / MB:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        for jobs in (1, 2):
            command = [
                sys.executable,
                "-m",
                "sdeparse",
                "eval",
                str(path),
                "--task",
                args.task,
                "--design",
                design.name,
                "--json",
                "--jobs",
                str(jobs),
                "--quiet",
            ]
            run = run_measured(command, Path(tmp) / f"jobs{jobs}.json")
            if run["exit"] == 0:
                report = json.loads((Path(tmp) / f"jobs{jobs}.json").read_text(encoding="utf-8"))
                run["records"] = report.get("records")
                run["accuracy"] = (report.get("accuracy") or {}).get("all")
            run["per_second"] = rate(args.eval_lines, run["seconds"])
            result[f"jobs{jobs}"] = run
            log(
                f"  eval {design.name} --jobs {jobs}: {run['seconds']:.1f} s, "
                f"max RSS {run['max_rss_mb']:.0f} MB, exit {run['exit']}"
            )
        command = [
            sys.executable,
            str(RUN_SCRIPT),
            "--_naive-eval",
            str(path),
            "--task",
            args.task,
            "--designs",
            design.name,
        ]
        run = run_measured(command, Path(tmp) / "naive.json")
        run["per_second"] = rate(args.eval_lines, run["seconds"])
        result["naive"] = run
        log(f"  eval {design.name} naive: {run['seconds']:.1f} s")
    return result
