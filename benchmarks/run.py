"""Benchmark harness for sdeparse (issue 4): parse throughput, eval end to end, adversarial inputs.

``python benchmarks/run.py`` builds a seeded corpus for every design (canonical outputs plus a
share corrupted with the operators of ``sdeparse.corrupt``) and prints, per design, parse
throughput at 0 %, the realistic share (default 10 %) and 100 % corrupted; ``sdeparse eval``
throughput and peak memory on a large file with --jobs 1 and 2; and the time taken by 100 kB
and 1 MB adversarial outputs. The same figures are measured for named baselines (see
baselines.py), and the headline section gives sdeparse / baseline ratios with PASS/FAIL per
target. Results also go to benchmarks/out/latest.json. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import random
import select
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

try:
    from sdeparse import Design, Task, load_task, parse, render
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.exit(f"benchmarks/run.py: cannot import sdeparse ({exc}); install it: pip install -e .")

import baselines  # noqa: E402  (benchmarks/ is put on sys.path above)

KB = 1000
MB = 1000 * KB
ADVERSARIAL_CASES = ("unclosed_brackets", "repeated_separators", "giant_item")
#: eval runs on these by default (the paper's two SDE mixes), since all 20 take too long.
DEFAULT_EVAL_DESIGNS = ("lines", "natural+omit")

# realistic label distribution: most aspects of a review are not mentioned
# weights by position among the mentioned labels; the rest of the mass: the placeholder
_LABEL_WEIGHTS = {0: 0.30, 1: 0.12, 2: 0.10}
_REVIEW_BITS = (
    "菜很好吃",
    "分量有点少",
    "服务员态度很好",
    "上菜速度一般",
    "价格偏贵",
    "环境干净",
    "停车不方便",
    "饮料味道一般",
    "性价比很高",
    "下次还会再来",
)
_DESCRIPTION_BITS = ("评论提到", "菜品", "味道不错", "服务", "价格", "有点贵", "没有提到", "停车")


# ---- small utilities ------------------------------------------------------------------


def fail(message: str, status: int = 2) -> NoReturn:
    """Exit with a clear one-line message instead of a traceback."""
    print(f"benchmarks/run.py: {message}", file=sys.stderr)
    raise SystemExit(status)


def load_corrupt() -> Any:
    """The sdeparse.corrupt module, or a clear exit when it has not landed yet."""
    try:
        from sdeparse import testing as corrupt
    except ImportError:
        fail(
            "sdeparse.corrupt is missing: the benchmark corrupts its corpus with the same "
            "operators as the tests; update the checkout (git pull) once it has landed"
        )
    if not hasattr(corrupt, "corrupt"):
        fail("sdeparse.corrupt has no corrupt() helper; the benchmark needs corrupt.corrupt()")
    return corrupt


def eval_cli_available() -> str | None:
    """None when ``python -m sdeparse eval`` works, else why not."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "sdeparse", "eval", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"cannot run the sdeparse CLI: {exc}"
    if done.returncode != 0:
        return "`sdeparse eval` is not available yet (python -m sdeparse eval --help failed)"
    return None


def machine() -> dict[str, Any]:
    """Platform, Python version, CPU count and CPU model."""
    model = platform.processor() or ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        for line in out.splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "cpus": os.cpu_count(),
        "cpu_model": model or "unknown",
    }


def rate(count: int, seconds: float | None) -> float | None:
    return None if not seconds else count / seconds


def fmt_rate(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}/s"


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"


def fmt_ratio(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}x"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# ---- corpora ----------------------------------------------------------------------------


@dataclass
class Corpus:
    """Texts to parse and the labels each stands for."""

    name: str
    texts: list[str]
    truths: list[dict[str, str]]
    corrupted: int = 0
    operators: dict[str, int] = field(default_factory=dict)


def random_labels(task: Task, rng: random.Random) -> dict[str, str]:
    """A realistic label map: mostly the placeholder, some positive, few neutral or negative."""
    mentioned = [name for name in task.label_names if name != task.placeholder]
    labels = {}
    for aspect in task.aspect_names:
        roll = rng.random()
        chosen = task.placeholder
        for index, weight in _LABEL_WEIGHTS.items():
            if index < len(mentioned) and roll < weight:
                chosen = mentioned[index]
                break
            roll -= weight
        labels[aspect] = chosen
    return labels


def random_descriptions(task: Task, rng: random.Random) -> dict[str, str]:
    return {a: "".join(rng.sample(_DESCRIPTION_BITS, 3)) for a in task.aspect_names}


def canonical(task: Task, design: Design, rng: random.Random) -> tuple[str, dict[str, str]]:
    labels = random_labels(task, rng)
    descriptions = random_descriptions(task, rng) if design.has_description else None
    return render(labels, task, design, descriptions), labels


def _is_broken_json(text: str) -> bool:
    for line in text.split("\n"):
        if line.strip():
            try:
                json.loads(line)
            except ValueError:
                return True
    return False


def build_corpus(
    task: Task,
    design: Design,
    n: int,
    share: float,
    seed: int,
    corrupt_mod: Any,
    broken_json: bool = False,
    name: str = "",
) -> Corpus:
    """`n` outputs, round(n * share) of them corrupted (spread evenly), seeded.

    With `broken_json`, every output is corrupted and kept only if some line is not valid JSON.
    """
    rng = random.Random(f"{seed}:{task.name}:{design.name}:{share}:{broken_json}")
    wanted = n if broken_json else round(n * share)
    positions = set(rng.sample(range(n), wanted)) if wanted < n else set(range(n))
    corpus = Corpus(name or f"{share:.0%}", [], [])
    for index in range(n):
        text, labels = canonical(task, design, rng)
        if index in positions:
            for _attempt in range(200):
                hit = corrupt_mod.corrupt(text, task, design, rng)
                if hit is not None and (not broken_json or _is_broken_json(hit[0])):
                    text = hit[0]
                    corpus.corrupted += 1
                    corpus.operators[hit[1].name] = corpus.operators.get(hit[1].name, 0) + 1
                    break
                text, labels = canonical(task, design, rng)
        corpus.texts.append(text)
        corpus.truths.append(labels)
    return corpus


# ---- parse throughput -----------------------------------------------------------------


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
    }
    if design.is_json:
        for name, factory in baselines.decoders().items():
            chosen[name] = (factory(task, design), lambda found: found)
        if baselines.available()["json_repair"]:
            chosen["json_repair"] = (baselines.json_repair_lines(task, design), lambda f: f)
    return chosen


#: which corpora each parser runs on (decoders only on valid JSON)
def runs_on(parser: str, corpus: str) -> bool:
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
            for text in corpus.texts[:50]:  # warm-up: grammars, fast-path readers
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


# ---- adversarial outputs (run in a child process under a timeout) ---------------------------


def _fill(prefix: str, unit: str, suffix: str, size: int) -> str:
    """prefix + unit * k + suffix, with k chosen so the UTF-8 size is about `size` bytes."""
    fixed = len(prefix.encode()) + len(suffix.encode())
    count = max(1, (size - fixed) // len(unit.encode()))
    return prefix + unit * count + suffix


def adversarial_text(task: Task, design: Design, case: str, size: int) -> str:
    """A pathological output of about `size` bytes: unclosed brackets, repeated separators or
    one giant item, in the layout of `design`."""
    punct = task.punctuation
    keys = task.json_keys
    first, second = task.aspect_names[0], task.aspect_names[-1]
    label = task.label_names[0]
    spelled = str(task.code_by_label[label]) if design.numeric_labels else label
    if design.is_json:
        value = spelled if design.numeric_labels else json.dumps(spelled, ensure_ascii=False)
        head = f'{{"{keys.aspect}": "{first}", '
        if case == "unclosed_brackets":
            item = render({first: label}, task, design).split("\n")[0]
            return _fill(item + "\n", f'{{"{keys.aspect}": [', "", size)
        if case == "repeated_separators":
            return _fill(head.rstrip(" "), " ,", f' "{keys.label}": {value}}}', size)
        if design.format == "cot":
            return _fill(
                head + f'"{keys.description}": "', "很", f'", "{keys.label}": {value}}}', size
            )
        if design.format == "rcot":
            prefix = head + f'"{keys.label}": {value}, "{keys.description}": "'
            return _fill(prefix, "很", '"}', size)
        return _fill(head + f'"{keys.label}": "', "很", f'{spelled}"}}', size)
    kv = punct.key_value
    end = "" if design.format == "lines" else punct.terminator
    if case == "unclosed_brackets":
        return _fill(f"{first}{kv}", "{[", "", size)
    if case == "repeated_separators":
        separator = "\n" if design.format == "lines" else punct.pair_separator
        return _fill(f"{first}{kv}{spelled}", separator, f"{second}{kv}{spelled}{end}", size)
    return _fill(f"{first}{kv}", "很", f"{spelled}{end}", size)


def _adversarial_reader(parser: str, task: Task, design: Design) -> Callable[[str], Any]:
    if parser == "sdeparse":
        return lambda text: parse(text, task, design)
    if parser == "naive":
        return baselines.naive(task, design)
    if parser == "json_repair":
        return baselines.json_repair_lines(task, design)
    raise ValueError(parser)


def adversarial_child(spec_path: str) -> int:
    """Child mode: run the cases listed in `spec_path`, one JSON line per event on stdout."""
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    task = load_task(spec["task"])
    repeat, budget = spec["repeat"], spec["budget"]
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10000))
    warmed: set[tuple[str, str]] = set()
    print(json.dumps({"event": "ready"}), flush=True)
    for index, job in enumerate(spec["jobs"]):
        design = Design.parse(job["design"])
        reader = _adversarial_reader(job["parser"], task, design)
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


def run_adversarial(
    task: Task, designs: Sequence[Design], args: argparse.Namespace, log: Callable
) -> dict[str, Any]:
    """Every (design, case, parser, size) under a per-run timeout; a child killed on timeout."""
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
    results: dict[int, dict[str, Any]] = {}
    pending = list(range(len(jobs)))
    with tempfile.TemporaryDirectory(prefix="sdeparse-adv-") as tmp:
        while pending:
            spec_path = Path(tmp) / "spec.json"
            spec = {
                "task": args.task,
                "repeat": args.repeat,
                "budget": args.adv_budget,
                "jobs": [jobs[i] for i in pending],
            }
            spec_path.write_text(json.dumps(spec), encoding="utf-8")
            done = _drive_child(spec_path, pending, jobs, results, args.adv_timeout, log)
            pending = [i for i in pending[done:] if i not in results]
    out: dict[str, Any] = {}
    for index, job in enumerate(jobs):
        entry = out.setdefault(job["design"], {}).setdefault(job["case"], {})
        entry.setdefault(job["parser"], {})[str(job["size"])] = results[index]
    return out


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
    script = str(Path(__file__).resolve())
    command = [sys.executable, script, "--_adversarial-child", str(spec_path)]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
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


# ---- sdeparse eval end to end ---------------------------------------------------------------


def _prompt(rng: random.Random) -> str:
    review = "，".join(rng.sample(_REVIEW_BITS, rng.randint(2, 5))) + "。"
    return (
        "请判断以下餐厅评论在各方面的情感（正面、中性、负面、未提及）。\n"
        f"评论：{review}\n"
        '请用以下格式给出所有方面的情感："方面1：情感类别，方面2：情感类别，..."\n输出：'
    )


def write_eval_file(
    path: Path, task: Task, design: Design, lines: int, share: float, seed: int, corrupt_mod: Any
) -> int:
    """A JSON Lines file of `lines` records; predictions get some wrong labels and `share`
    corrupted. Records come from a seeded pool of 20,000 (written in a seeded random order)."""
    rng = random.Random(f"eval:{seed}:{task.name}:{design.name}")
    pool = []
    for _ in range(min(lines, 20_000)):
        target, labels = canonical(task, design, rng)
        predicted = {
            a: (rng.choice(task.label_names) if rng.random() < 0.15 else label)
            for a, label in labels.items()
        }
        descriptions = random_descriptions(task, rng) if design.has_description else None
        prediction = render(predicted, task, design, descriptions)
        if rng.random() < share:
            hit = corrupt_mod.corrupt(prediction, task, design, rng)
            if hit is not None:
                prediction = hit[0]
        record = {"prompt": _prompt(rng), "target": target, "prediction": prediction}
        pool.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
    with open(path, "wb") as out:
        for _ in range(lines):
            out.write(pool[rng.randrange(len(pool))])
    return path.stat().st_size


def _tree_rss(root: int) -> int:
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


def _gnu_time() -> str | None:
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
    gnu_time = _gnu_time()
    if gnu_time:
        command = [gnu_time, "-v", "-o", str(time_path), *command]
    with open(stdout_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err)
        peak = [0]
        stop = threading.Event()

        def sample() -> None:
            while not stop.wait(0.2):
                peak[0] = max(peak[0], _tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        stop.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
    max_rss_kb, source = usage.ru_maxrss, "wait4 (includes RSS inherited at fork)"
    if gnu_time and time_path.exists():
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
            str(Path(__file__).resolve()),
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


# ---- targets and report ---------------------------------------------------------------------


def _per_second(parse_result: dict[str, Any], parser: str, corpus: str) -> float | None:
    return parse_result["parsers"].get(parser, {}).get(corpus, {}).get("per_second")


def evaluate_targets(results: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """PASS/FAIL of every target of issue 4, per design."""
    targets: list[dict[str, Any]] = []
    mixed = f"{args.corrupt_share:.0%}"
    small, big = args.adv_sizes

    def add(name: str, design: str, value: Any, shown: str, ok: bool) -> None:
        targets.append(
            {"target": name, "design": design, "value": value, "shown": shown, "pass": ok}
        )

    for name, per in results["designs"].items():
        design = Design.parse(name)
        p = per.get("parse")
        if p and not design.is_json:
            sde, floor = _per_second(p, "sdeparse", mixed), _per_second(p, "naive", mixed)
            ratio = sde / floor if sde and floor else None
            add(
                f"parse {mixed} corrupted >= naive splitter",
                name,
                ratio,
                f"{fmt_ratio(ratio)} of naive",
                bool(ratio and ratio >= 1),
            )
        if p and design.is_json and "json_repair" in p["parsers"]:
            sde, other = (
                _per_second(p, "sdeparse", "broken"),
                _per_second(p, "json_repair", "broken"),
            )
            ratio = sde / other if sde and other else None
            got = p["parsers"]["sdeparse"]["broken"]
            theirs = p["parsers"]["json_repair"]["broken"]
            shown = (
                f"{fmt_ratio(ratio)} of json_repair; recovers {got['recovered']:,} vs "
                f"{theirs['recovered']:,} of {got['aspects']:,} aspects"
            )
            add("broken JSON >= 3x json_repair", name, ratio, shown, bool(ratio and ratio >= 3))
        adv = per.get("adversarial")
        if adv:
            for case, by_parser in adv.items():
                runs = by_parser["sdeparse"]
                t_small, t_big = runs[str(small)]["seconds"], runs[str(big)]["seconds"]
                ok_big = t_big is not None and t_big <= 1.0
                shown = (
                    fmt_seconds(t_big) if t_big is not None else runs[str(big)]["status"].upper()
                )
                add(f"adversarial {case}: {big // KB:,} kB within 1 s", name, t_big, shown, ok_big)
                ratio = t_big / t_small if t_big is not None and t_small else None
                if ratio is not None:
                    shown = fmt_ratio(ratio, 1)
                elif t_small:  # the big one timed out: the ratio is at least timeout / small
                    shown = f"> {args.adv_timeout / t_small:.1f}x (big timed out)"
                else:
                    shown = "n/a (small timed out)"
                add(
                    f"adversarial {case}: {big // KB:,}/{small // KB:,} kB ratio <= 12",
                    name,
                    ratio,
                    shown,
                    ratio is not None and ratio <= 12,
                )
        ev = per.get("eval")
        if ev:
            for jobs in (1, 2):
                run = ev[f"jobs{jobs}"]
                ok = run["exit"] == 0 and run["max_rss_mb"] < 300
                add(
                    f"eval {ev['lines']:,} lines --jobs {jobs}: peak memory < 300 MB",
                    name,
                    run["max_rss_mb"],
                    f"{run['max_rss_mb']:.0f} MB",
                    ok,
                )
            one, two = ev["jobs1"]["seconds"], ev["jobs2"]["seconds"]
            speedup = one / two if two else None
            ok = bool(speedup and speedup >= 1.7 and ev["jobs2"]["exit"] == 0)
            add("eval --jobs 2 >= 1.7x --jobs 1", name, speedup, fmt_ratio(speedup), ok)
    return targets


def print_design(name: str, per: dict[str, Any], args: argparse.Namespace) -> None:
    """The compact table of one design."""
    print(f"\n=== {name} " + "=" * max(3, 70 - len(name)))
    p = per.get("parse")
    if p:
        corpora = list(p["corpora"])
        sizes = ", ".join(f"{c}: {p['corpora'][c]['n']:,}" for c in corpora)
        print(f"parse (outputs/s, best of {args.repeat}; corpus sizes {sizes})")
        header = f"  {'parser':12}" + "".join(f"{c:>14}" for c in corpora)
        header += "   recovered aspects (" + " / ".join(corpora[1:]) + ")"
        print(header)
        for parser, row in p["parsers"].items():
            cells = "".join(f"{fmt_rate(row.get(c, {}).get('per_second')):>14}" for c in corpora)
            recov = " / ".join(
                f"{row[c]['recovered'] / row[c]['aspects']:.1%}" if c in row else "-"
                for c in corpora[1:]
            )
            print(f"  {parser:12}{cells}   {recov}")
    adv = per.get("adversarial")
    if adv:
        small, big = args.adv_sizes
        print(f"adversarial (seconds, best of up to {args.repeat}; timeout {args.adv_timeout:g} s)")
        print(f"  {'case':21} {'parser':12} {small // KB:>8,} kB {big // KB:>8,} kB   ratio")
        for case, by_parser in adv.items():
            for parser, runs in by_parser.items():
                cells = []
                for size in (small, big):
                    run = runs[str(size)]
                    text = fmt_seconds(run["seconds"]) if run["seconds"] is not None else ""
                    if run["status"] != "ok":
                        text = (text + " " + run["status"]).strip()
                    cells.append(f"{text:>11}")
                a, b = runs[str(small)]["seconds"], runs[str(big)]["seconds"]
                ratio = fmt_ratio(b / a, 1) if a and b is not None else "-"
                print(f"  {case:21} {parser:12} {cells[0]} {cells[1]}   {ratio}")
    ev = per.get("eval")
    if ev:
        source = ev["jobs1"].get("memory_source", "")
        print(
            f"eval end to end ({ev['lines']:,} lines, {ev['bytes'] / MB:.0f} MB file; max RSS: "
            f"largest process, via {source}; tree peak: summed RSS of all processes, sampled)"
        )
        for key, label in (
            ("jobs1", "sdeparse --jobs 1"),
            ("jobs2", "sdeparse --jobs 2"),
            ("naive", "naive eval loop"),
        ):
            run = ev[key]
            tree = f", tree peak {run['tree_peak_mb']:.0f} MB" if run["tree_peak_mb"] else ""
            status = "" if run["exit"] == 0 else f"  EXIT {run['exit']}: {run['stderr'][-200:]}"
            print(
                f"  {label:18} {fmt_rate(run['per_second']):>12}  {run['seconds']:7.1f} s  "
                f"max RSS {run['max_rss_mb']:.0f} MB{tree}{status}"
            )


def print_headline(results: dict[str, Any], targets: list[dict[str, Any]], args) -> None:
    """Ratios to the baselines, then every target with PASS/FAIL."""
    mixed = f"{args.corrupt_share:.0%}"
    print("\n" + "=" * 78)
    print("HEADLINE: sdeparse throughput / baseline throughput (higher is better)")
    print(
        f"  {'design':22} {'0% / naive':>11} {mixed + ' / naive':>12} {'100% / naive':>13} "
        f"{'0% / orjson':>12} {'broken / json_repair':>21}"
    )
    for name, per in results["designs"].items():
        p = per.get("parse")
        if not p:
            continue
        cells = []
        for corpus, baseline in (
            ("0%", "naive"),
            (mixed, "naive"),
            ("100%", "naive"),
            ("0%", "orjson"),
            ("broken", "json_repair"),
        ):
            sde, other = _per_second(p, "sdeparse", corpus), _per_second(p, baseline, corpus)
            cells.append(fmt_ratio(sde / other, 3) if sde and other else "-")
        print(
            f"  {name:22} {cells[0]:>11} {cells[1]:>12} {cells[2]:>13} {cells[3]:>12} "
            f"{cells[4]:>21}"
        )
    print("\nTARGETS (a target passes only if it passes for every design it applies to;")
    print("         every failing design is listed with its figure; all details in the JSON)")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for t in targets:
        grouped.setdefault(t["target"], []).append(t)
    for name, items in grouped.items():
        good = [t for t in items if t["pass"]]
        bad = [t for t in items if not t["pass"]]
        print(f"  {verdict(not bad)}  {name}: {len(good)} of {len(items)} designs pass")
        for label, chosen in (("failing", bad), ("passing", good)):
            if chosen:
                listed = "; ".join(f"{t['design']} {t['shown']}" for t in chosen)
                print(
                    textwrap.fill(
                        f"{label}: {listed}", 98, initial_indent=" " * 8, subsequent_indent=" " * 10
                    )
                )
    passed = sum(t["pass"] for t in targets)
    print(
        f"\n  {passed} of {len(targets)} (target, design) checks pass, {len(targets) - passed} fail"
    )


# ---- main -----------------------------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, int]:
    """'100kB,1MB' or '100000,1000000' -> two byte counts."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = 1
        for suffix, factor in (("mb", MB), ("kb", KB), ("b", 1)):
            if part.endswith(suffix):
                part, scale = part[: -len(suffix)], factor
                break
        sizes.append(int(float(part) * scale))
    if len(sizes) != 2 or not 0 < sizes[0] < sizes[1]:
        raise argparse.ArgumentTypeError("give two increasing sizes, e.g. 100kB,1MB")
    return sizes[0], sizes[1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="masa-d1", help="task (default: masa-d1)")
    parser.add_argument("--designs", default="all", help="comma-separated designs (default: all)")
    parser.add_argument(
        "--n",
        type=int,
        default=None,
        help="canonical outputs per design "
        "(default 20000; the mixed corpus gets n/2, the 100%% and broken "
        "corpora n/20)",
    )
    parser.add_argument("--repeat", type=int, default=None, help="best of R passes (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corrupt-share",
        type=float,
        default=0.10,
        help="share corrupted in the realistic corpus and eval file (0.10)",
    )
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--skip-parse", action="store_true", help="no parse throughput")
    parser.add_argument("--skip-eval", action="store_true", help="no sdeparse eval runs")
    parser.add_argument("--skip-adversarial", action="store_true", help="no adversarial cases")
    parser.add_argument(
        "--eval-lines", type=int, default=None, help="lines of the eval file (default 1,000,000)"
    )
    parser.add_argument(
        "--eval-designs",
        default=None,
        help="designs for eval, or 'all' (default: lines,natural+omit, i.e. ES-SDE and EW-SDE)",
    )
    parser.add_argument(
        "--adv-sizes",
        type=parse_sizes,
        default=None,
        help="the two adversarial sizes (default 100kB,1MB; 1 kB = 1000 bytes)",
    )
    parser.add_argument(
        "--adv-timeout",
        type=float,
        default=3.0,
        help="seconds one adversarial run may take before it is killed (3)",
    )
    parser.add_argument(
        "--adv-budget",
        type=float,
        default=2.0,
        help="stop repeating an adversarial case after this many seconds (2)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "out" / "latest.json",
        help="where to write the JSON results",
    )
    parser.add_argument("--_adversarial-child", dest="adversarial_child", help=argparse.SUPPRESS)
    parser.add_argument("--_naive-eval", dest="naive_eval", help=argparse.SUPPRESS)
    return parser


def settle(args: argparse.Namespace) -> None:
    """Fill the defaults that depend on --quick."""
    if args.n is None:
        args.n = 1000 if args.quick else 20_000
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.eval_lines is None:
        args.eval_lines = 20_000 if args.quick else 1_000_000
    if args.adv_sizes is None:
        args.adv_sizes = (10 * KB, 100 * KB) if args.quick else (100 * KB, MB)
    args.n_mixed = max(10, args.n // 2)
    args.n_slow = max(10, args.n // 20)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.adversarial_child:
        return adversarial_child(args.adversarial_child)
    if args.naive_eval:
        return naive_eval_child(args.naive_eval, args.task, args.designs)
    settle(args)
    corrupt_mod = load_corrupt()
    try:
        task = load_task(args.task)
        designs = (
            list(Design.all())
            if args.designs == "all"
            else [Design.parse(d) for d in args.designs.split(",")]
        )
        if args.eval_designs == "all":
            eval_designs = list(designs)
        else:
            names = args.eval_designs.split(",") if args.eval_designs else DEFAULT_EVAL_DESIGNS
            eval_designs = [Design.parse(d) for d in names]
    except Exception as exc:  # noqa: BLE001 - a usage error, shown without a traceback
        fail(str(exc))
    if not args.skip_eval:
        problem = eval_cli_available()
        if problem:
            fail(f"{problem}; run with --skip-eval until it has landed")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    info = machine()
    results: dict[str, Any] = {
        "machine": info,
        "settings": {
            "task": task.name,
            "n": args.n,
            "n_mixed": args.n_mixed,
            "n_slow": args.n_slow,
            "repeat": args.repeat,
            "seed": args.seed,
            "corrupt_share": args.corrupt_share,
            "eval_lines": None if args.skip_eval else args.eval_lines,
            "eval_designs": [] if args.skip_eval else [d.name for d in eval_designs],
            "adversarial_sizes": list(args.adv_sizes),
            "adversarial_timeout": args.adv_timeout,
            "baselines": {"json_repair": False, "orjson": False, **baselines.available()},
        },
        "designs": {d.name: {} for d in designs},
    }
    if not args.skip_parse:
        for design in designs:
            results["designs"][design.name]["parse"] = bench_parse(
                task, design, args, corrupt_mod, log
            )
    if not args.skip_adversarial:
        adversarial = run_adversarial(task, designs, args, log)
        for name, cases in adversarial.items():
            results["designs"][name]["adversarial"] = cases
    if not args.skip_eval:
        for design in eval_designs:
            results["designs"].setdefault(design.name, {})["eval"] = run_eval(
                task, design, args, corrupt_mod, log
            )
    targets = evaluate_targets(results, args)
    results["targets"] = targets
    results["elapsed_seconds"] = time.perf_counter() - started

    print("sdeparse benchmark")
    print(
        f"machine: {info['platform']}; {info['python']}; {info['cpus']} CPUs; {info['cpu_model']}"
    )
    s = results["settings"]
    print(
        f"task {s['task']}; seed {s['seed']}; corpora per design: {s['n']:,} canonical, "
        f"{s['n_mixed']:,} at {s['corrupt_share']:.0%} corrupted, {s['n_slow']:,} at 100% "
        f"(and {s['n_slow']:,} broken-JSON for JSON designs); best of {s['repeat']}"
    )
    print(
        f"baselines: naive splitter, json.loads, "
        f"orjson ({'yes' if s['baselines']['orjson'] else 'not installed'}), "
        f"json_repair ({'yes' if s['baselines']['json_repair'] else 'not installed'})"
    )
    if args.skip_eval:
        print("eval: skipped (--skip-eval)")
    else:
        print(
            f"eval: {args.eval_lines:,} lines on {', '.join(s['eval_designs'])} "
            "(a representative subset: all 20 designs would take too long; --eval-designs)"
        )
    for name, per in results["designs"].items():
        print_design(name, per, args)
    print_headline(results, targets, args)
    print(f"\nwall time {results['elapsed_seconds'] / 60:.1f} min; results in {args.out}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
