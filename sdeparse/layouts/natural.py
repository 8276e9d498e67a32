"""The Natural layout: one sentence of ``key：value`` pairs joined by the pair separator and
ended by the terminator (``食品评价：中性，饮品评价：未提及。``)."""

from __future__ import annotations

from ..design import Design
from ..fold import FoldRules
from ..records import Diagnostics
from ..task import Task
from .base import Layout, Reading, Vocabulary
from .pairs import pairs_fold_rules, read_pairs
from .spanpairs import read_span_pairs


class NaturalLayout(Layout):
    name = "natural"
    formats = ("natural",)
    grammar = "natural.lark"
    canonical_template = "pairs.lark"

    def canonical_item(self, design: Design) -> str:
        return "_pair"

    def sniff(self, text: str) -> bool:
        return "：" in text or ":" in text

    def read(
        self,
        text: str,
        task: Task,
        design: Design,
        vocabulary: Vocabulary,
        diags: Diagnostics,
        expected: bool,
    ) -> Reading:
        if task.is_extraction:
            return read_span_pairs(text, self.name, task, vocabulary, diags, expected)
        return read_pairs(text, self.name, task, vocabulary, diags, expected)

    def joiner(self, task: Task, design: Design) -> tuple[str, str]:
        return task.punctuation.pair_separator, task.punctuation.terminator

    def fold_rules(self, task: Task) -> FoldRules:
        return pairs_fold_rules(task)

    def render_item(
        self, key: str, value: str | int, task: Task, design: Design, description: str = ""
    ) -> str:
        return f"{key}{task.punctuation.key_value}{value}"
