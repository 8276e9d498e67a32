"""Measuring one child process: wall time, exit status, peak memory (max RSS of its largest
process, from GNU ``time -v`` or ``wait4``) and the peak of the summed RSS of its whole
process tree, sampled from /proc."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from common import child_env


def tree_rss(root: int) -> int:
    """Summed RSS (bytes) of `root` and its descendants, read from /proc (0 if unavailable)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            parents[int(entry)] = int(stat[1])
            rss[int(entry)] = int(stat[21]) * page
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(rss.get(pid, 0) for pid in tree)


def gnu_time() -> str | None:
    """/usr/bin/time when it is GNU time (it supports -v), else None."""
    path = "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    try:
        done = subprocess.run([path, "-v", "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return path if "Maximum resident set size" in done.stderr else None


def run_measured(command: list[str], stdout_path: Path) -> dict[str, Any]:
    """Run `command`: wall time, exit status, peak memory and the sampled tree peak.

    `max_rss_mb` is the max RSS of the child and its waited-for descendants (the largest single
    process), from GNU ``time -v`` when available: measuring with wait4 from this process
    would count the RSS a forked child inherits from us. `tree_peak_mb` is the largest sum of
    RSS over the whole process tree, sampled every 0.2 s (workers included, shared pages
    counted in each process).
    """
    err_path = Path(str(stdout_path) + ".err")
    time_path = Path(str(stdout_path) + ".time")
    timer = gnu_time()
    if timer:
        command = [timer, "-v", "-o", str(time_path), *command]
    with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=child_env())
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    max_rss_kb, source = usage.ru_maxrss, "wait4 (includes RSS inherited at fork)"
    if timer and time_path.exists():
        for line in time_path.read_text(errors="replace").splitlines():
            if "Maximum resident set size" in line:
                max_rss_kb, source = int(line.rsplit(":", 1)[1]), "GNU time -v"
            elif "Command exited with non-zero status" in line:
                child.returncode = int(line.rsplit(" ", 1)[1])
    return {
        "seconds": elapsed,
        "exit": child.returncode,
        "max_rss_mb": max_rss_kb / 1024,  # Linux reports kilobytes
        "memory_source": source,
        "tree_peak_mb": peak[0] / 2**20 if peak[0] else None,
        "stderr": err_path.read_text(errors="replace")[-500:],
    }
