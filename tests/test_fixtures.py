"""The fixture corpus of realistic bad outputs: each case's exact code set and labels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sdeparse

FIXTURES = Path(__file__).parent / "fixtures"
_HEADER = re.compile(r"^=== (\S+) (\S+): ([^;]*)(?:;(.*))?$")


def _cases():
    for path in sorted(FIXTURES.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        blocks = re.split(r"^(?==== )", text, flags=re.M)
        for number, block in enumerate(b for b in blocks if b.startswith("=== ")):
            header, _, body = block.partition("\n")
            match = _HEADER.match(header)
            assert match, header
            task, design, codes, labels = match.groups()
            body = body[:-1] if body.endswith("\n") else body
            expected = {c.strip() for c in codes.split(",") if c.strip()}
            given = dict(pair.split("=", 1) for pair in (labels or "").split())
            yield pytest.param(task, design, body, expected, given, id=f"{path.stem}-{number}")


CASES = list(_cases())


def test_corpus_is_broad():
    assert len(CASES) >= 40
    designs = {sdeparse.Design.parse(case.values[1]).format for case in CASES}
    assert designs == {"natural", "lines", "json", "cot", "rcot"}
    codes = set().union(*(case.values[3] for case in CASES))
    assert codes == set(sdeparse.CODES)


@pytest.mark.parametrize(("task", "design", "text", "codes", "given"), CASES)
def test_fixture(task, design, text, codes, given):
    result = sdeparse.parse(text, task, design)
    assert set(result.codes) == codes
    placeholder = sdeparse.load_task(task).placeholder
    assert {a: lab for a, lab in result.labels.items() if lab != placeholder} == given
