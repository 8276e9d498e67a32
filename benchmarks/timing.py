"""Timed runs: best-of-N wall time in this process, and runs in a child process under a
per-run timeout (for inputs that may make a parser hang).

The child (``run.py --_adversarial-child SPEC``) reads a JSON spec of jobs, builds each job's
text, and reports one JSON line per event on stdout: ``ready``, then ``start`` and ``done`` per
job. The parent kills it when a run outlasts the timeout, records ``timeout``, and starts a
new child on the jobs that remain.
"""

from __future__ import annotations

import gc
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import baselines
from common import RUN_SCRIPT, child_env, fail
from corpus import ADVERSARIAL_CASES, adversarial_text

from sdeparse import Design, Task, load_task, parse


def best_of(func: Callable[[str], Any], texts: Sequence[str], repeat: int) -> tuple[float, list]:
    """Best wall time of `repeat` passes over the whole batch, and the last pass's results."""
    best = float("inf")
    results: list = []
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        results = [func(text) for text in texts]
        best = min(best, time.perf_counter() - start)
    return best, results


# ---- the child --------------------------------------------------------------------------------


def _reader(parser: str, task: Task, design: Design) -> Callable[[str], Any]:
    if parser == "sdeparse":
        return lambda text: parse(text, task, design)
    if parser == "naive":
        return baselines.naive(task, design)
    if parser == "json_repair":
        return baselines.json_repair_lines(task, design)
    raise ValueError(parser)


def child_main(spec_path: str) -> int:
    """Child mode: run the jobs listed in `spec_path`, one JSON line per event on stdout."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    task = load_task(spec["task"])
    repeat, budget = spec["repeat"], spec["budget"]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    warmed: set[tuple[str, str]] = set()
    print(json.dumps({"event": "ready"}), flush=True)
    for index, job in enumerate(spec["jobs"]):
        design = Design.parse(job["design"])
        reader = _reader(job["parser"], task, design)
        if (job["parser"], design.name) not in warmed:
            for case in ADVERSARIAL_CASES:  # compile grammars on small inputs
                reader(adversarial_text(task, design, case, 200))
            warmed.add((job["parser"], design.name))
        text = adversarial_text(task, design, job["case"], job["size"])
        best, spent, runs, error = float("inf"), 0.0, 0, None
        while runs < repeat and (runs == 0 or spent < budget):
            print(json.dumps({"event": "start", "index": index}), flush=True)
            start = time.perf_counter()
            try:
                reader(text)
            except RecursionError:
                error = "RecursionError"
            except Exception as exc:  # noqa: BLE001 - reported, never hidden
                error = f"{type(exc).__name__}: {exc}"[:200]
            elapsed = time.perf_counter() - start
            best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
        print(
            json.dumps(
                {"event": "done", "index": index, "seconds": best, "runs": runs, "error": error}
            ),
            flush=True,
        )
    return 0


# ---- the parent -------------------------------------------------------------------------------


def run_jobs(
    jobs: list[dict[str, Any]],
    task_name: str,
    repeat: int,
    budget: float,
    timeout: float,
    log: Callable,
) -> dict[int, dict[str, Any]]:
    """Run every job in child processes under a per-run timeout: job index -> result."""
    results: dict[int, dict[str, Any]] = {}
    pending = list(range(len(jobs)))
    with tempfile.TemporaryDirectory(prefix="sdeparse-adv-") as tmp:
        while pending:
            spec_path = Path(tmp) / "spec.json"
            spec = {
                "task": task_name,
                "repeat": repeat,
                "budget": budget,
                "jobs": [jobs[i] for i in pending],
            }
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            done = _drive_child(spec_path, pending, jobs, results, timeout, log)
            pending = [i for i in pending[done:] if i not in results]
    return results


def _same_but_size(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a[k] == b[k] for k in ("design", "case", "parser"))


def _drive_child(
    spec_path: Path,
    pending: list[int],
    jobs: list[dict[str, Any]],
    results: dict[int, dict[str, Any]],
    timeout: float,
    log: Callable,
) -> int:
    """Run one child over `pending`; returns how many of them it got through (killed or not).

    A run that exceeds `timeout` is recorded as a timeout and the child is killed; when the
    small size timed out, the big size of the same case is skipped (it can only be slower).
    """
    command = [sys.executable, str(RUN_SCRIPT), "--_adversarial-child", str(spec_path)]
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_env()
    )
    assert child.stdout is not None and child.stderr is not None
    fd = child.stdout.fileno()
    idle = 120.0  # start-up and warm-up between cases
    deadline = time.monotonic() + idle
    current: int | None = None
    finished = 0
    buffer = b""
    try:
        while finished < len(pending):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if current is None:
                    fail(f"the adversarial child process was silent for {idle:g} s")
                index = pending[current]
                job = jobs[index]
                results[index] = {"status": "timeout", "seconds": None, "timeout": timeout}
                for later in pending[current + 1 :]:
                    if _same_but_size(jobs[later], job) and jobs[later]["size"] > job["size"]:
                        results[later] = {"status": "skipped", "seconds": None}
                log(
                    f"  adversarial {job['design']} {job['case']} {job['parser']} "
                    f"{job['size']:,} bytes: TIMEOUT (> {timeout:g} s)"
                )
                return current + 1
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:  # the child died
                child.wait()
                err = child.stderr.read().decode(errors="replace")[-500:]
                if current is None:
                    fail(f"the adversarial child process died: {err}")
                results[pending[current]] = {"status": "crashed", "seconds": None, "error": err}
                return current + 1
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                event = json.loads(line)
                if event["event"] == "start":
                    current = event["index"]
                    deadline = time.monotonic() + timeout
                elif event["event"] == "done":
                    results[pending[event["index"]]] = {
                        "status": "error" if event["error"] else "ok",
                        "seconds": event["seconds"],
                        "runs": event["runs"],
                        **({"error": event["error"]} if event["error"] else {}),
                    }
                    finished, current = event["index"] + 1, None
                    deadline = time.monotonic() + idle
        return finished
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
