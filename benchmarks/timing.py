"""Timed runs: best-of-N wall time in this process, and runs in a child process under a
per-run timeout (for inputs that may make a parser hang).

The child (``run.py --_adversarial-child SPEC``) reads a JSON spec of jobs, builds each job's
text, and reports one JSON line per event on stdout: ``ready``, then ``start`` and ``done`` per
job. The parent kills it when a run outlasts the timeout, records ``timeout``, and starts a
new child on the jobs that remain.
"""

from __future__ import annotations

import contextlib
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
from corpus import ADVERSARIAL_CASES, LONG_CASES, LongText, adversarial_text, long_text

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

#: address-space cap of the child (bytes): a pathological input must not take the machine's
#: memory; hitting it is reported as a MemoryError
CHILD_MEMORY_LIMIT = 4 * 2**30
#: the cases of each kind of job, which the child warms up on small inputs
_CASES = {"adversarial": ADVERSARIAL_CASES, "long": LONG_CASES}


def _reader(parser: str, task: Task, design: Design, profile: str | None) -> Callable[[str], Any]:
    if parser == "sdeparse":
        if profile is None:
            return lambda text: parse(text, task, design)
        return lambda text: parse(text, task, design, profile=profile)
    if parser == "naive":
        return baselines.naive(task, design)
    if parser == "json_repair":
        return baselines.json_repair_lines(task, design)
    raise ValueError(parser)


def _input(task: Task, design: Design, kind: str, case: str, size: int) -> LongText:
    if kind == "long":
        return long_text(task, design, case, size)
    return LongText(adversarial_text(task, design, case, size))


def _labels(result: Any, task: Task) -> dict[str, str]:
    """Every aspect's label from a parse result or a baseline's dict of found aspects."""
    found = result.labels if hasattr(result, "labels") else result
    return {aspect: found.get(aspect, task.placeholder) for aspect in task.aspect_names}


def _limit_memory() -> None:
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > CHILD_MEMORY_LIMIT:
            resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_LIMIT, hard))


def child_main(spec_path: str) -> int:
    """Child mode: run the jobs listed in `spec_path`, one JSON line per event on stdout.

    A job is {design, case, parser, size} and optionally kind ("adversarial", the default, or
    "long"), profile (for sdeparse), id, and only_if_below {id, seconds}: the job runs only if
    job `id` (in this child or in `prior`, the parent's earlier results) took less than
    `seconds`. When the input stands for known labels, the result says whether they came back.
    """
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    task = load_task(spec["task"])
    repeat, budget = spec["repeat"], spec["budget"]
    took: dict[int, float | None] = {int(k): v for k, v in spec.get("prior", {}).items()}
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    _limit_memory()
    warmed: set[tuple] = set()
    print(json.dumps({"event": "ready"}), flush=True)
    for index, job in enumerate(spec["jobs"]):
        kind, profile = job.get("kind", "adversarial"), job.get("profile")
        gate = job.get("only_if_below")
        if gate is not None:
            before = took.get(gate["id"])
            if before is None or before >= gate["seconds"]:
                shown = "did not finish" if before is None else f"took {before:.2f} s"
                limit = gate["seconds"]
                reason = f"not run: the smaller size {shown} (runs only below {limit:g} s)"
                done = {"event": "done", "index": index, "status": "skipped", "reason": reason}
                print(json.dumps(done), flush=True)
                continue
        design = Design.parse(job["design"])
        reader = _reader(job["parser"], task, design, profile)
        if (job["parser"], design.name, profile, kind) not in warmed:
            for case in _CASES[kind]:  # compile grammars on small inputs
                reader(_input(task, design, kind, case, 200).text)
            warmed.add((job["parser"], design.name, profile, kind))
        given = _input(task, design, kind, job["case"], job["size"])
        sized = {"chars": len(given.text), "bytes": len(given.text.encode())}
        best, spent, runs, error, result = float("inf"), 0.0, 0, None, None
        while runs < repeat and (runs == 0 or spent < budget):
            print(json.dumps({"event": "start", "index": index}), flush=True)
            start = time.perf_counter()
            try:
                result = reader(given.text)
            except RecursionError:
                error = "RecursionError"
            except Exception as exc:  # noqa: BLE001 - reported, never hidden
                error = f"{type(exc).__name__}: {exc}"[:200]
            elapsed = time.perf_counter() - start
            best, spent, runs = min(best, elapsed), spent + elapsed, runs + 1
        done = {"event": "done", "index": index, "seconds": best, "runs": runs, "error": error}
        if kind == "long":
            done.update(sized)
            if given.note:
                done["note"] = given.note
        if given.truth is not None:
            labels = _labels(result, task) if error is None else None
            done["labels_equal"] = labels == given.truth
            done["recovered"] = (
                0 if labels is None else sum(labels[a] == given.truth[a] for a in given.truth)
            )
            done["aspects"] = len(given.truth)
        if "id" in job:
            took[job["id"]] = best if error is None else None
        print(json.dumps(done), flush=True)
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
    """Run every job in child processes under a per-run timeout: job index -> result.

    A job's ``only_if_below`` names another job by its index in `jobs`."""
    results: dict[int, dict[str, Any]] = {}
    pending = list(range(len(jobs)))
    jobs = [{**job, "id": index} for index, job in enumerate(jobs)]
    with tempfile.TemporaryDirectory(prefix="sdeparse-adv-") as tmp:
        while pending:
            spec_path = Path(tmp) / "spec.json"
            spec = {
                "task": task_name,
                "repeat": repeat,
                "budget": budget,
                "jobs": [jobs[i] for i in pending],
                "prior": {
                    i: r["seconds"] if r["status"] == "ok" else None for i, r in results.items()
                },
            }
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            done = _drive_child(spec_path, pending, jobs, results, timeout, log)
            pending = [i for i in pending[done:] if i not in results]
    return results


def _same_but_size(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return all(a.get(k) == b.get(k) for k in ("kind", "design", "case", "parser", "profile"))


def describe(job: dict[str, Any]) -> str:
    """One job in a progress line."""
    profile = f" [{job['profile']}]" if job.get("profile") else ""
    return (
        f"{job.get('kind', 'adversarial')} {job['design']} {job['case']} {job['parser']}{profile} "
        f"{job['size']:,} bytes"
    )


def _result(event: dict[str, Any]) -> dict[str, Any]:
    """A job's result from the child's ``done`` event."""
    if event.get("status") == "skipped":
        return {"status": "skipped", "seconds": None, "reason": event["reason"]}
    result = {
        "status": "error" if event["error"] else "ok",
        "seconds": event["seconds"],
        "runs": event["runs"],
        **({"error": event["error"]} if event["error"] else {}),
    }
    for key in ("chars", "bytes", "note", "labels_equal", "recovered", "aspects"):
        if key in event:
            result[key] = event[key]
    return result


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
                log(f"  {describe(job)}: TIMEOUT (> {timeout:g} s)")
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
                    results[pending[event["index"]]] = _result(event)
                    finished, current = event["index"] + 1, None
                    deadline = time.monotonic() + idle
        return finished
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        child.stdout.close()
        child.stderr.close()
