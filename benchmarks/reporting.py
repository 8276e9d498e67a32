"""What the benchmark prints and writes: the machine, one compact table per design, the
headline ratios to the baselines, every target with PASS/FAIL, and the JSON results."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import textwrap
from pathlib import Path
from typing import Any

from common import KB, MB
from long_outputs import RECOVERY_CASES

from sdeparse import Design


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


# ---- targets ----------------------------------------------------------------------------------


def _per_second(parse_result: dict[str, Any], parser: str, corpus: str) -> float | None:
    return parse_result["parsers"].get(parser, {}).get(corpus, {}).get("per_second")


def evaluate_targets(results: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """PASS/FAIL of every performance target, per design."""
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
        if p and not design.is_json and "paper" in p["parsers"]:
            sde, other = _per_second(p, "sdeparse", mixed), _per_second(p, "paper", mixed)
            ratio = sde / other if sde and other else None
            add(
                f"parse {mixed} corrupted >= the paper's per-output processing",
                name,
                ratio,
                f"{fmt_ratio(ratio)} of paper",
                bool(ratio and ratio >= 1),
            )
        if p:
            sde, floor = _per_second(p, "sdeparse", "0%"), _per_second(p, "naive", "0%")
            ratio = sde / floor if sde and floor else None
            add(
                "parse 0% (canonical) >= naive splitter",
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
            naive_run = ev.get("naive")
            if naive_run:
                mine, floor = ev["jobs1"].get("per_second"), naive_run.get("per_second")
                ratio = mine / floor if mine and floor else None
                add(
                    "eval --jobs 1 >= 0.67x naive eval loop",
                    name,
                    ratio,
                    f"{fmt_ratio(ratio)} of naive loop",
                    bool(ratio and ratio >= 0.67 and ev["jobs1"]["exit"] == 0),
                )
    long = results.get("long_outputs")
    if long:
        targets.extend(long_targets(long))
    return targets


# ---- long outputs -----------------------------------------------------------------------------


def fmt_size(size: int) -> str:
    """10 kB, 100 kB, 1 MB, 10 MB, 300 B (1 kB = 1000 bytes)."""
    if size >= MB and size % (MB // 10) == 0:
        return f"{size / MB:g} MB"
    if size >= KB:
        return f"{size / KB:,.3g} kB" if size % KB else f"{size // KB:,} kB"
    return f"{size} B"


def _run_cell(run: dict[str, Any]) -> str:
    """A run's time, or what happened instead."""
    if run["status"] == "ok":
        return fmt_seconds(run["seconds"])
    if run["status"] == "skipped":
        return "not run"
    if run["status"] == "error":
        return "error"
    return run["status"]  # timeout, crashed


def long_checks(row: dict[str, Any], long: dict[str, Any]) -> dict[str, tuple[bool, Any, str]]:
    """The targets of one long-output row: name -> (pass, value, shown)."""
    small, mid, big = long["sizes"]
    timeout = long["timeout"]
    runs = row["runs"]
    r_small, r_mid, r_big = runs[str(small)], runs[str(mid)], runs[str(big)]
    checks: dict[str, tuple[bool, Any, str]] = {}
    # the largest size within the target time
    t_big = r_big["seconds"]
    if r_big["status"] == "ok":
        shown = fmt_seconds(t_big)
    elif r_big["status"] == "timeout":
        shown = f"> {timeout:g} s (timed out)"
    elif r_big["status"] == "skipped" and r_mid["status"] == "ok":
        shown = (
            f"not run ({fmt_size(mid)} took {fmt_seconds(r_mid['seconds'])}, "
            f">= {long['gate_seconds']:g} s)"
        )
    elif r_big["status"] == "skipped":
        shown = "not run (a smaller size did not finish)"
    else:
        shown = f"{r_big['status']}: {r_big.get('error', '')}"[:80]
    ok = r_big["status"] == "ok" and t_big <= long["target_seconds"]
    checks["time"] = (ok, t_big if r_big["status"] == "ok" else None, shown)
    # the middle / smallest ratio
    ratio = row["ratio"]
    t_small = r_small["seconds"] if r_small["status"] == "ok" else None
    if ratio is not None and r_small["status"] == r_mid["status"] == "ok":
        shown = fmt_ratio(ratio, 1)
    elif t_small and r_mid["status"] == "timeout":
        shown = f"> {timeout / t_small:.1f}x ({fmt_size(mid)} timed out)"
    elif r_small["status"] != "ok":
        shown = f"n/a ({fmt_size(small)}: {r_small['status']})"
    else:
        shown = f"n/a ({fmt_size(mid)}: {r_mid['status']})"
    ok = (
        ratio is not None
        and r_small["status"] == r_mid["status"] == "ok"
        and ratio <= long["target_ratio"]
    )
    checks["ratio"] = (ok, ratio, shown)
    # the labels, where they must come back
    if row["case"] in RECOVERY_CASES:
        seen = []
        ok = True
        for size, run in ((small, r_small), (mid, r_mid), (big, r_big)):
            if run["status"] == "ok":
                seen.append(f"{fmt_size(size)} {'ok' if run['labels_equal'] else 'WRONG'}")
                ok = ok and run["labels_equal"]
            elif size != big:  # the largest may be skipped; its time check fails then
                seen.append(f"{fmt_size(size)} {run['status']}")
                ok = False
        checks["labels"] = (ok, ok, "labels " + ", ".join(seen))
    return checks


def long_targets(long: dict[str, Any]) -> list[dict[str, Any]]:
    """The long-output targets, one per (case, check) over every (design, profile) pair; also
    records each row's checks and verdict in the row (for the JSON)."""
    small, mid, big = long["sizes"]
    names = {
        "time": f"{fmt_size(big)} within {long['target_seconds']:g} s",
        "ratio": f"{fmt_size(mid)} / {fmt_size(small)} ratio <= {long['target_ratio']:g}",
        "labels": "labels equal the truth",
    }
    targets = []
    for row in long["rows"]:
        checks = long_checks(row, long)
        row["checks"] = {name: ok for name, (ok, _value, _shown) in checks.items()}
        row["pass"] = all(row["checks"].values())
        for name, (ok, value, shown) in checks.items():
            targets.append(
                {
                    "target": f"long {row['case']}: {names[name]}",
                    "design": f"{row['design']}/{row['profile']}",
                    "value": value,
                    "shown": shown,
                    "pass": ok,
                    "unit": "(design, profile) pairs",
                }
            )
    return targets


def print_long(long: dict[str, Any], repeat: int) -> None:
    """The long-output table: case x design x profile -> time per size, ratio, verdict."""
    small, mid, big = long["sizes"]
    title = "long outputs"
    print(f"\n=== {title} " + "=" * max(3, 70 - len(title)))
    print(
        f"sdeparse.parse, seconds, best of up to {repeat}; timeout {long['timeout']:g} s; "
        f"{fmt_size(big)} only where {fmt_size(mid)} took < {long['gate_seconds']:g} s"
    )
    print(
        f"targets: {fmt_size(big)} within {long['target_seconds']:g} s; "
        f"{fmt_size(mid)} / {fmt_size(small)} ratio <= {long['target_ratio']:g}; "
        f"{', '.join(RECOVERY_CASES)}: labels equal the truth"
    )
    print(
        f"labels: whether parse returned the truth at each size (a target for "
        f"{', '.join(RECOVERY_CASES)} only;\n        - where the input stands for no labels or "
        "did not run)"
    )
    wc = max(len("case"), *(len(row["case"]) for row in long["rows"]))
    wd = max(len("design"), *(len(row["design"]) for row in long["rows"]))
    wp = max(len("profile"), *(len(row["profile"]) for row in long["rows"]))
    print(
        f"  {'case':{wc}} {'design':{wd}} {'profile':{wp}} {fmt_size(small):>10} "
        f"{fmt_size(mid):>10} {fmt_size(big):>10} {'ratio':>7}  {'labels':14} verdict"
    )
    for row in long["rows"]:
        runs = [row["runs"][str(size)] for size in (small, mid, big)]
        cells = " ".join(f"{_run_cell(run):>10}" for run in runs)
        ratio = fmt_ratio(row["ratio"], 1) if row["ratio"] is not None else "-"
        if any("labels_equal" in run for run in runs):
            labels = "/".join(
                ("ok" if run["labels_equal"] else "WRONG") if "labels_equal" in run else "-"
                for run in runs
            )
        else:
            labels = "-"
        failed = [name for name, ok in row.get("checks", {}).items() if not ok]
        shown = "PASS" if not failed else f"FAIL ({', '.join(failed)})"
        print(
            f"  {row['case']:{wc}} {row['design']:{wd}} {row['profile']:{wp}} {cells} "
            f"{ratio:>7}  {labels:14} {shown}"
        )
    for case, by_design in long.get("notes", {}).items():
        parts = []
        for design, by_size in by_design.items():
            sized = ", ".join(f"{note} at {fmt_size(int(size))}" for size, note in by_size.items())
            parts.append(f"{design} {sized}")
        listed = "; ".join(parts)
        print(textwrap.fill(f"{case}: {listed}", 98, initial_indent="  ", subsequent_indent="    "))


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
        f"{'0% / orjson':>12} {'broken / json_repair':>21} {mixed + ' / paper':>12}"
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
            (mixed, "paper"),
        ):
            sde, other = _per_second(p, "sdeparse", corpus), _per_second(p, baseline, corpus)
            cells.append(fmt_ratio(sde / other, 3) if sde and other else "-")
        print(
            f"  {name:22} {cells[0]:>11} {cells[1]:>12} {cells[2]:>13} {cells[3]:>12} "
            f"{cells[4]:>21} {cells[5]:>12}"
        )
    print("\nTARGETS (a target passes only if it passes for every design it applies to;")
    print("         every failing design is listed with its figure; all details in the JSON)")
    grouped: dict[str, list[dict[str, Any]]] = {}
    for t in targets:
        grouped.setdefault(t["target"], []).append(t)
    for name, items in grouped.items():
        good = [t for t in items if t["pass"]]
        bad = [t for t in items if not t["pass"]]
        unit = items[0].get("unit", "designs")
        print(f"  {verdict(not bad)}  {name}: {len(good)} of {len(items)} {unit} pass")
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


def print_preamble(results: dict[str, Any], args: argparse.Namespace) -> None:
    """The machine and the settings, before the tables."""
    info = results["machine"]
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
        f"baselines: naive splitter, paper (SPEC §3, record decode included), json.loads, "
        f"orjson ({'yes' if s['baselines']['orjson'] else 'not installed'}), "
        f"json_repair ({'yes' if s['baselines']['json_repair'] else 'not installed'})"
    )
    long = results.get("long_outputs")
    if long:
        small, mid, big = long["sizes"]
        print(
            f"long outputs: {len(long['cases'])} cases x {', '.join(long['designs'])} x "
            f"{', '.join(long['profiles'])} at {fmt_size(small)} / {fmt_size(mid)} / "
            f"{fmt_size(big)}"
        )
    elif args.skip_long:
        print("long outputs: skipped (--skip-long)")
    if args.skip_eval:
        print("eval: skipped (--skip-eval)")
    else:
        print(
            f"eval: {args.eval_lines:,} lines on {', '.join(s['eval_designs'])} "
            "(a representative subset: all 20 designs would take too long; --eval-designs)"
        )


def write_results(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
