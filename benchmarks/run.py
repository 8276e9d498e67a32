"""Benchmark harness for sdeparse: parse throughput, eval end to end, adversarial inputs.

``python benchmarks/run.py`` builds a seeded corpus for every design (canonical outputs plus a
share corrupted with the operators of ``sdeparse.testing``) and prints, per design, parse
throughput at 0 %, the realistic share (default 10 %) and 100 % corrupted; ``sdeparse eval``
throughput and peak memory on a large file with --jobs 1 and 2; the time taken by 100 kB
and 1 MB adversarial outputs; and, under both profiles, by long outputs of 100 kB, 1 MB and
10 MB (does parsing stay linear, does an answer after a long preamble come back). The same
figures are measured for named baselines (see baselines.py), and the headline section gives
sdeparse / baseline ratios with PASS/FAIL per target. Results also go to
benchmarks/out/latest.json. See benchmarks/README.md.

This file only reads the options and runs the sections; the work is done by corpus.py
(inputs), throughput.py, adversarial.py, long_outputs.py and eval_e2e.py (the sections),
timing.py and memory.py (measuring) and reporting.py (tables, targets, JSON).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import use_checkout  # noqa: E402  (benchmarks/ was just put on sys.path)

use_checkout()

try:
    from sdeparse import Design, load_task
    from sdeparse.profiles import get_profile
except ImportError as exc:  # pragma: no cover - depends on the environment
    sys.exit(f"benchmarks/run.py: cannot import sdeparse ({exc}); install it: pip install -e .")

import baselines  # noqa: E402
import reporting  # noqa: E402
from adversarial import run_adversarial  # noqa: E402
from common import HERE, KB, MB, fail, log  # noqa: E402
from corpus import LONG_CASES, load_corrupt  # noqa: E402
from eval_e2e import (  # noqa: E402
    DEFAULT_EVAL_DESIGNS,
    eval_cli_available,
    naive_eval_child,
    run_eval,
)
from long_outputs import DEFAULT_LONG_DESIGNS, PROFILES, run_long  # noqa: E402
from throughput import bench_parse  # noqa: E402
from timing import child_main  # noqa: E402


def parse_sizes(text: str, count: int = 2) -> tuple[int, ...]:
    """'100kB,1MB' or '100000,1000000' -> `count` increasing byte counts."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = 1
        for suffix, factor in (("mb", MB), ("kb", KB), ("b", 1)):
            if part.endswith(suffix):
                part, scale = part[: -len(suffix)], factor
                break
        sizes.append(int(float(part) * scale))
    if len(sizes) != count or sizes[0] <= 0 or sizes != sorted(set(sizes)):
        example = "100kB,1MB" if count == 2 else "100kB,1MB,10MB"
        words = {2: "two", 3: "three"}.get(count, str(count))
        raise argparse.ArgumentTypeError(f"give {words} increasing sizes, e.g. {example}")
    return tuple(sizes)


def parse_long_sizes(text: str) -> tuple[int, ...]:
    return parse_sizes(text, 3)


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
    parser.add_argument("--skip-long", action="store_true", help="no long-output cases")
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
        "--long-sizes",
        type=parse_long_sizes,
        default=None,
        help="the three long-output sizes (default 100kB,1MB,10MB; --quick 10kB,100kB,1MB)",
    )
    parser.add_argument(
        "--long-designs",
        default=",".join(DEFAULT_LONG_DESIGNS),
        help="designs for the long outputs (default: natural,lines,json,cot)",
    )
    parser.add_argument(
        "--long-profiles",
        default=",".join(PROFILES),
        help="profiles for the long outputs (default: strict,paper)",
    )
    parser.add_argument(
        "--long-cases",
        default="all",
        help="comma-separated long-output cases (default: all; see benchmarks/README.md)",
    )
    parser.add_argument(
        "--long-timeout",
        type=float,
        default=3.0,
        help="seconds one long-output run may take before it is killed (3)",
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
    if args.long_sizes is None:
        args.long_sizes = (10 * KB, 100 * KB, MB) if args.quick else (100 * KB, MB, 10 * MB)
    args.n_mixed = max(10, args.n // 2)
    args.n_slow = max(10, args.n // 20)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.adversarial_child:
        return child_main(args.adversarial_child)
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
        long_designs = [Design.parse(d) for d in args.long_designs.split(",")]
        long_profiles = [get_profile(p.strip()).name for p in args.long_profiles.split(",")]
        long_cases = LONG_CASES if args.long_cases == "all" else args.long_cases.split(",")
        unknown = [c for c in long_cases if c not in LONG_CASES]
        if unknown:
            raise ValueError(
                f"unknown long-output case(s) {', '.join(unknown)}; valid: {', '.join(LONG_CASES)}"
            )
    except Exception as exc:  # noqa: BLE001 - a usage error, shown without a traceback
        fail(str(exc))
    if not args.skip_eval:
        problem = eval_cli_available()
        if problem:
            fail(f"{problem}; run with --skip-eval until it has landed")

    started = time.perf_counter()
    results: dict[str, Any] = {
        "machine": reporting.machine(),
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
    if not args.skip_long:
        results["long_outputs"] = run_long(
            task, long_designs, long_profiles, list(long_cases), args, log
        )
    if not args.skip_eval:
        for design in eval_designs:
            results["designs"].setdefault(design.name, {})["eval"] = run_eval(
                task, design, args, corrupt_mod, log
            )
    targets = reporting.evaluate_targets(results, args)
    results["targets"] = targets
    results["elapsed_seconds"] = time.perf_counter() - started

    reporting.print_preamble(results, args)
    for name, per in results["designs"].items():
        reporting.print_design(name, per, args)
    if "long_outputs" in results:
        reporting.print_long(results["long_outputs"], args.repeat)
    reporting.print_headline(results, targets, args)
    print(f"\nwall time {results['elapsed_seconds'] / 60:.1f} min; results in {args.out}")
    reporting.write_results(results, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
