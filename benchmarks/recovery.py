"""How much of the truth the strict profile recovers from corrupted outputs.

Builds a deterministic corpus: per task, N random label sets rendered in random designs and
corrupted by one operator of sdeparse.testing. Prints (a) the operators and codes covered,
(b) the share of aspects recovered when only recoverable operators are used, and (c) over all
operators, the share recovered among aspects whose true label was still in the text, plus how
many aspects got a confident wrong label (should be 0); (d) the same for two or three operators
applied at once (`testing.combine`). Then (e) the habits corpus
(`habits.py`): outputs written the way current chat and reasoning models write, measured the
same way per habit. Run: python benchmarks/recovery.py [--habits N]
"""

from __future__ import annotations

import argparse
import random

import sdeparse
from sdeparse import Design
from sdeparse.testing import CORRUPTIONS, combine, corrupt


def _still_in_text(aspect: str, label: str, text: str, task, design) -> bool:
    """Whether the aspect (or an alias) and its label's spelling both survive in the text."""
    spellings = {label, str(task.code_by_label[label])}
    names = {aspect, *next(a for a in task.aspects if a.name == aspect).aliases}
    return any(n in text for n in names) and any(s in text for s in spellings)


def run(per_task: int, seed: int) -> None:
    rng = random.Random(seed)
    designs = Design.all()
    recoverable_names = [n for n, op in CORRUPTIONS.items() if op.recoverable]
    print(
        f"operators: {len(CORRUPTIONS)} ({len(recoverable_names)} recoverable), "
        f"codes: {len({op.code for op in CORRUPTIONS.values()})} of {len(sdeparse.CODES)}"
    )
    for mode, names in (("recoverable operators", recoverable_names), ("all operators", None)):
        total = hit = wrong = outputs = exact = 0
        used: set[str] = set()
        for task_name in sdeparse.BUILTIN_TASKS:
            task = sdeparse.load_task(task_name)
            for _ in range(per_task):
                design = rng.choice(designs)
                labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
                descriptions = {a: rng.choice(["", "提到了", "mentioned", "好吃"]) for a in labels}
                text = sdeparse.render(labels, task, design, descriptions)
                out = corrupt(text, task, design, rng, names=names)
                if out is None:
                    continue
                corrupted, op = out
                used.add(op.name)
                outputs += 1
                result = sdeparse.parse(corrupted, task, design)
                exact += result.labels == labels
                for aspect, truth in labels.items():
                    got = result.labels[aspect]
                    wrong += got != truth and got != task.placeholder
                    if (
                        names is None
                        and truth != task.placeholder
                        and not _still_in_text(aspect, truth, corrupted, task, design)
                    ):
                        continue
                    total += 1
                    hit += got == truth
        print(
            f"{mode}: {outputs} corrupted outputs, {len(used)} operators used; "
            f"aspects recovered {hit}/{total} = {hit / max(total, 1):.2%}; "
            f"outputs fully recovered {exact / max(outputs, 1):.2%}; "
            f"confident wrong labels: {wrong}"
        )


def run_combined(per_task: int, seed: int) -> None:
    """Two or three operators at once: outputs fully recovered when every operator was
    recoverable, and confident wrong labels over all combinations (should be 0)."""
    rng = random.Random(seed)
    designs = Design.all()
    recoverable_names = [n for n, op in CORRUPTIONS.items() if op.recoverable]
    for mode, names in (("recoverable operators", recoverable_names), ("all operators", None)):
        outputs = exact = wrong = 0
        for task_name in sdeparse.BUILTIN_TASKS:
            task = sdeparse.load_task(task_name)
            for _ in range(per_task):
                design = rng.choice(designs)
                labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
                text = sdeparse.render(labels, task, design, dict.fromkeys(labels, "提到了"))
                out = combine(text, task, design, rng, rng.choice((2, 3)), names)
                if out is None or len(out.ops) < 2:
                    continue
                outputs += 1
                got = sdeparse.parse(out.text, task, design).labels
                exact += got == labels
                wrong += sum(got[a] not in (t, task.placeholder) for a, t in labels.items())
        print(
            f"2-3 {mode} at once: {outputs} outputs; fully recovered "
            f"{exact / max(outputs, 1):.2%}; confident wrong labels: {wrong}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-task", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--habits", type=int, default=2000, help="outputs of the habits corpus (0: skip it)"
    )
    args = parser.parse_args()
    run(args.per_task, args.seed)
    run_combined(args.per_task // 2, args.seed)
    if args.habits:
        import habits  # benchmarks/ is on the path when this file runs as a script

        print()
        habits.run(args.habits, args.seed)


if __name__ == "__main__":
    main()
