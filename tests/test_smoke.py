"""Canonical output of every design and built-in task parses back with no diagnostics."""

import pytest

import sdeparse
from sdeparse import Design

TASKS = sdeparse.BUILTIN_TASKS


@pytest.mark.parametrize("task_name", TASKS)
@pytest.mark.parametrize("design", Design.all(), ids=str)
def test_canonical_round_trip(task_name, design):
    task = sdeparse.load_task(task_name)
    labels = {
        name: task.label_names[i % len(task.label_names)]
        for i, name in enumerate(task.aspect_names)
    }
    text = sdeparse.render(labels, task, design)
    result = sdeparse.parse(text, task, design)
    assert result.labels == labels
    assert result.diagnostics == []
    assert not result.is_format_error
    slow_labels, _, slow_diagnostics = sdeparse.diagnose(text, task, design)
    assert slow_labels == labels and slow_diagnostics == []


def test_threads_with_different_tasks_do_not_mix():
    """parse() remembers its last arguments; threads alternating tasks must not see each other's."""
    from concurrent.futures import ThreadPoolExecutor

    cases = []
    for task_name, design in (("masa-d1", "natural"), ("restaurant-en", "lines"),
                              ("masa-d2", "json"), ("masa-all", "natural+omit")):
        task = sdeparse.load_task(task_name)
        labels = {name: task.label_names[i % 3] for i, name in enumerate(task.aspect_names)}
        cases.append((sdeparse.render(labels, task, design), task_name, design, labels))

    def check(index: int) -> bool:
        text, task_name, design, labels = cases[index % len(cases)]
        return sdeparse.parse(text, task_name, design).labels == labels

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(check, range(4000)))
