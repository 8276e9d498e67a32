"""Schemas turn a reader's records into a prediction with semantic diagnostics. `slots`: fixed
slots with closed labels; `spans`: closed types, each holding a list of text spans. The
Parser picks one by the task's kind (`schema_for`)."""

from __future__ import annotations

from ..design import Design
from ..task import Task
from .base import Prediction, Schema


def schema_for(task: Task, design: Design) -> Schema:
    """The schema of a task's kind: slots for classification, spans for extraction."""
    if task.is_extraction:
        from .spans import SpanSchema

        return SpanSchema(task, design)
    from .slots import SlotSchema

    return SlotSchema(task, design)


__all__ = ["Prediction", "Schema", "schema_for"]
