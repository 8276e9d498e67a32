"""The paper's released evaluation, re-implemented without its faults: a reader of its own
(the script's splitting rules) and a schema of its own (its soft matching)."""

from __future__ import annotations

from ..design import Design
from ..task import Task
from .reader import read_paper
from .schema import paper_fill, paper_label


def paper_decide(text: str, task: Task, design: Design) -> tuple[dict[str, str], bool]:
    """(labels for every aspect, is the output wrongly formatted) as the released script decides."""
    pairs, error = read_paper(text, task, design)
    return paper_fill(task, pairs), error


__all__ = ["paper_decide", "paper_fill", "paper_label", "read_paper"]
