"""The Lines layout: one ``key：value`` pair per line, no terminator."""

from __future__ import annotations

from ..design import Design
from ..task import Task
from .natural import NaturalLayout


class LinesLayout(NaturalLayout):
    name = "lines"
    formats = ("lines",)
    grammar = "lines.lark"

    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        return "\n", ""
