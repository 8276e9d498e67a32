"""Extraction tasks: the designs' canonical outputs (SPEC §6), round trips of generated pairs
through every design, the corruption operators, junk, grounding, and task files."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import sdeparse
from sdeparse import Code, Design, DesignError, RenderError, TaskError
from sdeparse.profiles import ProfileError
from sdeparse.testing import EXTRACTION_CORRUPTIONS

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "conll-en.toml"
TASKS = {
    "maven-ed": sdeparse.load_task("maven-ed"),
    "genia-ner": sdeparse.load_task("genia-ner"),
    "conll-en": sdeparse.load_task(EXAMPLE),
}
DESIGNS = Design.extraction()
CASES = [(name, design) for name in TASKS for design in DESIGNS]
SPAN_CHARS = st.sampled_from(list("abcXYZ '\",;:[]{}\\-é漢😀") + ["\n", "\t", "，"])
SPANS = st.text(alphabet=SPAN_CHARS, min_size=1, max_size=8)
EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)


# ---- the paper's canonical outputs ------------------------------------------------------------

MAVEN_PAIRS = [("Motion", "flew"), ("Causation", "led to")]
GENIA_PAIRS = [("protein", "IL-2"), ("DNA", "IL-2 gene"), ("DNA", "5' flanking region")]


@pytest.mark.parametrize(
    ("task", "design", "pairs", "expected"),
    [
        ("maven-ed", "heuristic", MAVEN_PAIRS, '["Motion", "flew"]\n["Causation", "led to"]'),
        ("maven-ed", "heuristic", [], "[]"),
        (
            "maven-ed",
            "lines",
            MAVEN_PAIRS,
            "Catastrophe: NONE\nAttack: NONE\nHostile_encounter: NONE\nCausation: led to\n"
            "Process_start: NONE\nCompetition: NONE\nMotion: flew\nSocial_event: NONE\n"
            "Killing: NONE\nConquering: NONE",
        ),
        ("maven-ed", "ou", MAVEN_PAIRS, "Causation: led to; Motion: flew"),
        (
            "maven-ed",
            "numerical",
            MAVEN_PAIRS,
            "0: NONE; 1: NONE; 2: NONE; 3: led to; 4: NONE; 5: NONE; 6: flew; 7: NONE; 8: NONE; "
            "9: NONE",
        ),
        ("genia-ner", "default", GENIA_PAIRS[:2], '["protein","IL-2"]\n["DNA","IL-2 gene"]'),
        ("genia-ner", "default", [], ""),
        (
            "genia-ner",
            "weak1",
            GENIA_PAIRS,
            "'DNA': 'IL-2 gene', \"5' flanking region\"; 'protein': 'IL-2'",
        ),
        (
            "genia-ner",
            "good1",
            GENIA_PAIRS,
            "'DNA': 'IL-2 gene', \"5' flanking region\"\n'RNA': ''\n'protein': 'IL-2'\n"
            "'cell_type': ''\n'cell_line': ''",
        ),
    ],
)
def test_canonical_outputs_of_the_spec(task, design, pairs, expected):
    assert sdeparse.render(pairs, task, design) == expected
    result = sdeparse.parse(expected, task, design)
    assert result.diagnostics == []
    assert not result.is_format_error
    order = [t.name for t in TASKS[task].spans.types]
    if TASKS[task].design(design).format != "tuples":
        pairs = sorted(pairs, key=lambda p: order.index(p[0]))
    assert list(result.extractions) == pairs


def test_json_objects_of_the_spec():
    text = sdeparse.render(MAVEN_PAIRS, "maven-ed", "json")
    lines = text.split("\n")
    assert lines[6] == '{"event_type": "Motion", "trigger word": ["flew"]}'
    assert lines[0] == '{"event_type": "Catastrophe", "trigger word": []}'
    genia = sdeparse.render(GENIA_PAIRS, "genia-ner", "good2").split("\n")
    assert genia[2] == '{"entity_type": "protein", "entity_names": ["IL-2"]}'


# ---- round trips ------------------------------------------------------------------------------


def _expected(pairs, task, design):
    """What parsing a rendering gives back: duplicates (after normalization) dropped, and for
    designs grouped by type, the pairs in the task's type order."""
    seen, unique = set(), []
    for kind, span in pairs:
        key = (kind, task.spans.normalize(span))
        if key not in seen:
            seen.add(key)
            unique.append((kind, span))
    if design.format == "tuples":
        return unique
    order = [t.name for t in task.spans.types]
    return sorted(unique, key=lambda p: order.index(p[0]))


@st.composite
def _pairs(draw, task):
    types = [t.name for t in task.spans.types]
    spans = draw(st.lists(SPANS, min_size=0, max_size=4))
    pairs = [(draw(st.sampled_from(types)), span) for span in spans]
    if pairs and draw(st.booleans()):  # the same span under a second type
        pairs.append((draw(st.sampled_from(types)), pairs[0][1]))
    return pairs


@pytest.mark.parametrize(("task_name", "design"), CASES, ids=[f"{t}-{d}" for t, d in CASES])
@EXAMPLES
@given(data=st.data())
def test_round_trip(task_name, design, data):
    task = TASKS[task_name]
    pairs = _expected(data.draw(_pairs(task)), task, design)
    try:
        text = sdeparse.render(pairs, task, design)
    except RenderError:
        bare = task.spans.quoting == "none" and design.format in ("natural", "lines")
        assert bare, "only bare spans may be refused"
        assume(False)
    result = sdeparse.parse(text, task, design)
    assert result.diagnostics == [], (text, result.diagnostics)
    assert list(result.extractions) == pairs
    assert sdeparse.render(list(result.extractions), task, design) == text


@pytest.mark.parametrize("task_name", list(TASKS))
@EXAMPLES
@given(data=st.data())
def test_grouped_designs_order_by_type(task_name, data):
    task = TASKS[task_name]
    pairs = _expected(data.draw(_pairs(task)), task, Design.parse("tuples"))
    for design in ("lines", "json"):
        try:
            text = sdeparse.render(pairs, task, design)
        except RenderError:
            continue
        order = [t.name for t in task.spans.types]
        grouped = sorted(pairs, key=lambda p: order.index(p[0]))
        assert text == sdeparse.render(grouped, task, design)


def test_bare_spans_that_would_not_read_back_are_refused():
    for span in ("a, b", "a; b", " a", "NONE", "none", "'quoted'", "two\nlines"):
        with pytest.raises(RenderError):
            sdeparse.render([("Motion", span)], "maven-ed", "lines")
    # the same spans are fine where spans are quoted
    for span in ("a, b", "a; b", " a", "NONE", "'quoted'", "two\nlines"):
        text = sdeparse.render([("Motion", span)], "maven-ed", "tuples")
        assert sdeparse.parse(text, "maven-ed", "tuples").extractions == (("Motion", span),)


def test_render_rejects_unknown_types_and_mappings():
    with pytest.raises(RenderError):
        sdeparse.render([("motion", "flew")], "maven-ed", "tuples")
    with pytest.raises(TypeError):
        sdeparse.render({"Motion": "flew"}, "maven-ed", "tuples")
    with pytest.raises(RenderError):
        sdeparse.render([("Motion", "")], "maven-ed", "tuples")


# ---- corruption operators ----------------------------------------------------------------------


def _fits(op, task, design):
    rng = random.Random(0)
    types = [t.name for t in task.spans.types]
    for _ in range(40):
        pairs = [(rng.choice(types), rng.choice(["flew", "led to", "IL-2 gene", "x y"]))
                 for _ in range(rng.randrange(1, 5))]
        pairs = _expected(pairs, task, design)
        text = sdeparse.render(pairs, task, design)
        if op.apply(text, task, design, rng) is not None:
            return True
    return False


OP_CASES = [
    pytest.param(op.name, task_name, design, id=f"{op.name}-{task_name}-{design}")
    for op in EXTRACTION_CORRUPTIONS.values()
    for task_name in TASKS
    for design in DESIGNS
    if op.applies_to(design) and _fits(op, TASKS[task_name], design)
]


def test_extraction_operators_cover_the_new_codes():
    codes = {op.code for op in EXTRACTION_CORRUPTIONS.values()}
    assert set(sdeparse.EXTRACTION_CODES) <= codes
    covered = {case.values[0] for case in OP_CASES}
    assert covered == set(EXTRACTION_CORRUPTIONS)


@pytest.mark.parametrize(("op_name", "task_name", "design"), OP_CASES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_extraction_corruption(op_name, task_name, design, data, seed):
    op, task = EXTRACTION_CORRUPTIONS[op_name], TASKS[task_name]
    words = st.sampled_from(["flew", "led to", "IL-2 gene", "x y", "a-b", "Ünïcode", "q"])
    types = [t.name for t in task.spans.types]
    raw = data.draw(st.lists(st.tuples(st.sampled_from(types), words), min_size=1, max_size=5))
    truth = _expected(raw, task, design)
    text = sdeparse.render(truth, task, design)
    out = op.apply(text, task, design, random.Random(seed))
    assume(out is not None)
    source = " ".join(span for _, span in truth)
    result = sdeparse.parse(out, task, design, source=source)
    assert op.code in result.codes, (out, result.diagnostics)
    assert result.is_format_error
    if op.recoverable:
        assert list(result.extractions) == truth, (out, result.extractions)
    else:
        for kind, span in result.extractions:  # never an invented span
            assert (kind, span) in truth or span in out


# ---- junk, grounding, results ------------------------------------------------------------------

JUNK = st.lists(
    st.sampled_from([*"[]{}\"',:;：；，\n \\abNONE'", "Motion", "'DNA'", '"trigger word"']),
    max_size=40,
).map("".join)


@pytest.mark.parametrize(("task_name", "design"), CASES, ids=[f"{t}-{d}" for t, d in CASES])
@settings(max_examples=60, deadline=None)
@given(text=st.one_of(JUNK, st.text(max_size=30)))
def test_junk_never_raises(task_name, design, text):
    task = TASKS[task_name]
    result = sdeparse.parse(text, task, design, source="a b")
    names = {t.name for t in task.spans.types}
    for kind, span in result.extractions:
        assert kind in names and isinstance(span, str) and span
    for d in result.diagnostics:
        assert d.code in sdeparse.ALL_CODES and 0 <= d.start <= d.end <= len(text)
    assert result.labels == {}


def test_grounding_needs_the_source():
    text = '["Motion", "flew"]\n["Motion", "swam"]'
    assert sdeparse.parse(text, "maven-ed", "tuples").diagnostics == []
    result = sdeparse.parse(text, "maven-ed", "tuples", source="The bird FLEW away")
    assert [(d.code, d.start, d.end) for d in result.diagnostics] == [
        (Code.UNGROUNDED_SPAN, 30, 36)
    ]
    assert result.extractions == (("Motion", "flew"), ("Motion", "swam"))


def test_result_to_dict_carries_the_pairs():
    result = sdeparse.parse('["Motion", "flew"]', "maven-ed", "heuristic")
    data = result.to_dict()
    assert data["extractions"] == [["Motion", "flew"]]
    assert "labels" not in data and data["is_format_error"] is False
    assert json.loads(json.dumps(data)) == data
    classification = sdeparse.parse("食品评价：中性", "masa-d1", "lines")
    assert classification.extractions == () and "extractions" not in classification.to_dict()


def test_empty_outputs():
    assert sdeparse.parse("", "maven-ed", "tuples").codes == [Code.EMPTY_OUTPUT]
    assert sdeparse.parse("", "genia-ner", "tuples").diagnostics == []
    assert sdeparse.parse("", "maven-ed", "ou").diagnostics == []
    assert sdeparse.parse(" ", "maven-ed", "ou").worst == "info"
    assert sdeparse.parse("", "genia-ner", "good1").codes == [Code.EMPTY_OUTPUT]


# ---- tasks and designs -------------------------------------------------------------------------


def test_task_design_names():
    maven, genia = TASKS["maven-ed"], TASKS["genia-ner"]
    assert maven.design("heuristic") == Design.parse("tuples")
    assert maven.design("OU") == Design.parse("natural+omit")
    assert maven.design("numerical") == Design.parse("natural+numeric")
    assert genia.design("good1") == Design.parse("lines")
    assert genia.design("weak1") == Design.parse("natural+omit")
    assert genia.design("good2") == Design.parse("json")
    with pytest.raises(DesignError, match="good1"):
        genia.design("good3")


def test_designs_must_fit_the_task_kind():
    with pytest.raises(DesignError):
        sdeparse.Parser("maven-ed", "cot")
    with pytest.raises(DesignError):
        sdeparse.Parser("masa-d1", "tuples")
    sdeparse.Parser("maven-ed", "tuples", "paper")  # the released MAVEN reading
    # the paper's bare splitting cannot read GENIA's quoted spans in the pairs designs
    with pytest.raises(ProfileError, match="quoted"):
        sdeparse.Parser("genia-ner", "lines", "paper")
    sdeparse.Parser("genia-ner", "json", "paper")


def test_example_task_needs_no_code():
    task = TASKS["conll-en"]
    assert task.is_extraction and task.spans.quoting == "json"
    text = sdeparse.render([("PER", "Smith, John"), ("LOC", 'the "Big" Apple')], task, "lines")
    # the quoting applies to the type too, as GENIA's Python quoting does
    assert text == '"PER": "Smith, John"\n"ORG": none\n"LOC": "the \\"Big\\" Apple"\n"MISC": none'
    result = sdeparse.parse(text, task, "ner-lines")
    assert result.extractions == (("PER", "Smith, John"), ("LOC", 'the "Big" Apple'))
    assert result.diagnostics == []


BASE = """
name = "x"
kind = "extraction"
placeholder = "NONE"
[[types]]
name = "A"
"""


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ("colour = 1\n", "colour"),
        ("[spans]\nquoting = 'backticks'\n", "spans.quoting"),
        ("[spans]\njoiner = '|'\n", "spans.joiner"),
        ("[spans]\nempty_tuples = 'none'\n", "spans.empty_tuples"),
        ("[spans]\nsize = 2\n", "spans.size"),
        ("[punctuation]\nterminator = '.'\n", "punctuation.terminator"),
        ("[json_keys]\ntype = 'a'\nspans = 'a'\n", "json_keys"),
        ("[designs]\nfoo = 'bar'\n", "designs.foo"),
        ("[[aspects]]\nname = 'x'\n", "aspects"),
    ],
)
def test_bad_extraction_task_files(tmp_path, extra, field):
    path = tmp_path / "x.toml"
    head, types = BASE.split("[[types]]")
    path.write_text(head + extra + "[[types]]" + types if extra.startswith("[") else
                    head + extra + "[[types]]" + types, encoding="utf-8")
    with pytest.raises(TaskError) as info:
        sdeparse.load_task(path)
    assert field in str(info.value)


def test_bad_kind(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text(BASE.replace("extraction", "ranking"), encoding="utf-8")
    with pytest.raises(TaskError, match="kind"):
        sdeparse.load_task(path)


def test_classification_tasks_are_unchanged():
    for name in sdeparse.BUILTIN_TASKS:
        task = sdeparse.load_task(name)
        assert task.kind == "classification" and task.extraction is None
        with pytest.raises(TaskError):
            _ = task.spans


def test_eval_scores_extraction_tasks(tmp_path, capsys):
    from sdeparse.cli import main

    path = tmp_path / "gen.jsonl"
    path.write_text(json.dumps({"prediction": '["Motion", "flew"]', "target": "[]"}) + "\n")
    report = sdeparse.evaluate_file(str(path), "maven-ed", "tuples")
    assert (report.n, report.scorer.micro.fp) == (1, 1)
    status = main(["eval", str(path), "--task", "maven-ed", "--design", "tuples"])
    assert status == 0
    assert "tp / fp / fn       0 / 1 / 0" in capsys.readouterr().out
