"""Grammar export (issue 12): each format is checked by the engine that consumes it, driven
with a byte-level vocabulary (no model): llguidance reads the Lark export, xgrammar the GBNF,
outlines-core the regex and the JSON schema. Every `render` output is accepted, every
corruption operator's output is rejected; Python's own re and lark check the same languages
where an engine is missing (those engine tests skip with the reason)."""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import random
import re
import sys
import types
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Lark
from lark.exceptions import UnexpectedInput

import sdeparse
from sdeparse import BUILTIN_EXTRACTION_TASKS, BUILTIN_TASKS, Design, export_grammar, render
from sdeparse.canonical import read_canonical, read_canonical_extraction
from sdeparse.cli import main
from sdeparse.errors import DesignError, RenderError
from sdeparse.export import MAX_REGEX_CHARS, GrammarTooLargeError
from sdeparse.testing import EXTRACTION_CORRUPTIONS, applicable

FIXTURES = Path(__file__).parent / "fixtures" / "canonical"
TASKS = {name: sdeparse.load_task(name) for name in BUILTIN_TASKS}
#: Labels and keys that are prefixes of each other ("pos", "positive"): lexers and
#: leftmost-first automata must still take the longer one where the text goes on.
TASKS["prefixes"] = sdeparse.load_task(FIXTURES / "prefixes.toml")
DESIGNS = Design.all()
CASES = [pytest.param(t, d, id=f"{t}-{d}") for t in TASKS for d in DESIGNS]
EX_TASKS = {name: sdeparse.load_task(name) for name in BUILTIN_EXTRACTION_TASKS}
EX_CASES = [pytest.param(t, d, id=f"{t}-{d}") for t in EX_TASKS for d in Design.extraction()]
ALL_TASKS = {**TASKS, **EX_TASKS}
# descriptions that exercise every escape json.dumps writes, and non-ASCII
DESCRIPTION = st.text(alphabet=st.sampled_from('味道 好"\\\n\t\x01\x7fa😀,:{}'), max_size=10)
EOS = 256


def _labels(task: sdeparse.Task) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({a: st.sampled_from(task.label_names) for a in task.aspect_names})


def _samples(task: sdeparse.Task, design: Design, seed: int, count: int) -> list[str]:
    """Canonical outputs of random labels (each label map drawn from `seed`)."""
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        labels = {a: rng.choice(task.label_names) for a in task.aspect_names}
        descriptions = {a: rng.choice(["", "好吃", 'a "q"\n\\b', "\x02x"]) for a in labels}
        out.append(render(labels, task, design, descriptions))
    return out


def _corrupted(task: sdeparse.Task, design: Design) -> list[tuple[str, str]]:
    """(operator, output) for every operator that applies, on a few canonical texts."""
    out = []
    for k, text in enumerate(_samples(task, design, 7, 4)):
        for op in applicable(design):
            corrupted = op.apply(text, task, design, random.Random(k))
            if corrupted is not None:
                out.append((op.name, corrupted))
    return out


# ---- engines ----------------------------------------------------------------------------------


class _ByteTokenizer:
    """A vocabulary of the 256 bytes and an end-of-sequence token, for llguidance."""

    eos_token_id = EOS
    bos_token_id = None
    tokens = [bytes([i]) for i in range(256)] + [b"<eos>"]
    special_token_ids = [EOS]

    def __call__(self, data: bytes) -> list[int]:
        return list(data)


@cache
def _llguidance() -> Any:
    llg = pytest.importorskip("llguidance", reason="llguidance is not installed (test extra)")
    return llg, llg.LLTokenizer(llg.TokenizerWrapper(_ByteTokenizer()), slices=[])


_LLG_MATCHERS: dict[tuple[str, Design], Any] = {}


def _llg_matcher(task: str, design: Design) -> Any:
    """A matcher of the task and design's Lark export, reset; a new one after a rejection
    (llguidance 1.x keeps a matcher's error through `reset`, so a matcher that rejected a
    text would reject every later one)."""
    matcher = _LLG_MATCHERS.get((task, design))
    if matcher is not None:
        matcher.reset()
    if matcher is None or matcher.is_error():
        llg, tokenizer = _llguidance()
        grammar = llg.grammar_from("lark", export_grammar(ALL_TASKS[task], design, "lark"))
        matcher = llg.LLMatcher(tokenizer, grammar, log_level=0)
        assert not matcher.is_error(), matcher.get_error()
        _LLG_MATCHERS[task, design] = matcher
    return matcher


def llguidance_accepts(task: str, design: Design, text: str) -> bool:
    matcher = _llg_matcher(task, design)
    ok = matcher.consume_tokens(list(text.encode())) and matcher.is_accepting()
    return bool(ok and not matcher.is_error())


@cache
def _xgrammar() -> Any:
    """xgrammar's string matcher. xgrammar imports torch and transformers at import time
    though matching a string uses neither: where they are absent (the `xgrammar` extra pulls
    them; installed with --no-deps they are not), they are stood in for during the import only."""
    try:
        importlib.import_module("tvm_ffi")  # before any stand-in: it inspects torch when present
    except ImportError:
        pytest.skip("xgrammar is not installed (extra 'xgrammar', which pulls torch)")
    stand_ins = {}
    for name in ("torch", "transformers"):
        try:
            importlib.import_module(name)
        except ImportError:
            module = types.ModuleType(name)
            module.__getattr__ = lambda attr: (  # type: ignore[method-assign]
                type(attr, (), {"__init__": lambda self, *a, **k: None})
            )
            stand_ins[name] = module
    sys.modules.update(stand_ins)
    try:
        xgr = importlib.import_module("xgrammar")
        testing = importlib.import_module("xgrammar.testing")
    except ImportError as exc:
        pytest.skip(f"xgrammar does not import: {exc}")
    finally:
        for name in stand_ins:
            sys.modules.pop(name, None)
    return xgr, testing


@cache
def _xgr_grammar(task: str, design: Design) -> Any:
    xgr, _ = _xgrammar()
    return xgr.Grammar.from_ebnf(export_grammar(ALL_TASKS[task], design, "gbnf"))


def xgrammar_accepts(task: str, design: Design, text: str) -> bool:
    _, testing = _xgrammar()
    return bool(testing._is_grammar_accept_string(_xgr_grammar(task, design), text))


@cache
def _outlines() -> Any:
    oc = pytest.importorskip("outlines_core", reason="outlines-core is not installed (test extra)")
    return oc, oc.Vocabulary(EOS, {bytes([i]): [i] for i in range(256)})


@cache
def _outlines_index(regex: str) -> Any:
    oc, vocabulary = _outlines()
    return oc.Index(regex, vocabulary)


def outlines_accepts(regex: str, text: str) -> bool:
    """Walk the byte automaton outlines-core builds for `regex`; accepted if it ends final."""
    index = _outlines_index(regex)
    state = index.get_initial_state()
    for byte in text.encode():
        state = index.get_next_state(state, byte)
        if state is None:
            return False
    return bool(index.is_final_state(state))


@cache
def _schema_regex(task: str, design: Design) -> str:
    _outlines()
    from outlines_core.json_schema import build_regex_from_schema

    schema = export_grammar(ALL_TASKS[task], design, "json-schema")
    return str(build_regex_from_schema(schema, r"[ ]?"))


# ---- exactness without engines: Python's re and lark read the same languages --------------------


@cache
def _lark_parser(task: str, design: Design) -> Lark:
    return Lark(export_grammar(ALL_TASKS[task], design, "lark"), parser="earley", lexer="dynamic")


def lark_accepts(task: str, design: Design, text: str) -> bool:
    try:
        _lark_parser(task, design).parse(text)
    except UnexpectedInput:
        return False
    return True


@cache
def _compiled(task: str, design: Design) -> re.Pattern[str]:
    return re.compile(export_grammar(ALL_TASKS[task], design, "regex"))


@pytest.mark.parametrize("name, design", CASES)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_exports_accept_every_render_output(name, design, data):
    task = TASKS[name]
    labels = data.draw(_labels(task))
    descriptions = data.draw(st.fixed_dictionaries(dict.fromkeys(task.aspect_names, DESCRIPTION)))
    text = render(labels, task, design, descriptions)
    assert _compiled(name, design).fullmatch(text), text
    assert lark_accepts(name, design, text), text


@pytest.mark.parametrize("name, design", CASES)
def test_exports_reject_every_corruption(name, design):
    task = TASKS[name]
    corrupted = _corrupted(task, design)
    assert corrupted
    for op, text in corrupted:
        assert read_canonical(text, task, design) is None, (op, text)  # the source agrees
        assert not _compiled(name, design).fullmatch(text), (op, text)
        assert not lark_accepts(name, design, text), (op, text)


# ---- the engines -------------------------------------------------------------------------


@pytest.mark.parametrize("name, design", CASES)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_engines_accept_render_outputs(name, design, data):
    task = TASKS[name]
    labels = data.draw(_labels(task))
    descriptions = data.draw(st.fixed_dictionaries(dict.fromkeys(task.aspect_names, DESCRIPTION)))
    text = render(labels, task, design, descriptions)
    assert llguidance_accepts(name, design, text), text
    if _outlines_can_follow(name, design):
        assert outlines_accepts(export_grammar(TASKS[name], design, "regex"), text), text


@pytest.mark.parametrize("name, design", CASES)
def test_engines_reject_corruptions(name, design):
    task = TASKS[name]
    regex = export_grammar(TASKS[name], design, "regex")
    for op, text in _corrupted(task, design):
        assert not llguidance_accepts(name, design, text), (op, text)
        assert not outlines_accepts(regex, text), (op, text)


def _outlines_can_follow(name: str, design: Design) -> bool:
    """Whether no canonical output has an accepting proper prefix (outlines-core's limit,
    below): not so for OU designs, nor for labels that are prefixes of others at the end."""
    return not design.omit_unmentioned and name != "prefixes"


def test_outlines_core_and_optional_endings():
    """outlines-core (0.2.14) drops every automaton edge that leaves an accepting state for a
    non-accepting one: after an accepting prefix only tokens ending in an accepting state are
    allowed. An OU design accepts the empty output and each item alone, so its regex cannot
    be followed past the first point (the whole text in one token would be needed): OU
    outputs are checked with interegular below, and the README points OU users to the Lark
    or GBNF export. This test notices when outlines-core changes."""
    regex = export_grammar("masa-d1", "lines+omit", "regex")
    text = render({"食品评价": "正面", "价格水平": "负面"}, "masa-d1", "lines+omit")
    assert _compiled("masa-d1", Design.parse("lines+omit")).fullmatch(text)
    assert outlines_accepts(regex, "")
    assert not outlines_accepts(regex, text)  # the engine's limit, not the regex's


@cache
def _interegular_fsm(task: str, design: Design) -> Any:
    interegular = pytest.importorskip("interegular", reason="interegular is not installed")
    return interegular.parse_pattern(export_grammar(ALL_TASKS[task], design, "regex")).to_fsm()


# interegular is exact but slow to build (seconds for a CoT design): one task's OU designs
OU_CASES = [
    pytest.param(t, d, id=f"{t}-{d}")
    for t in ("masa-d1", "prefixes")
    for d in DESIGNS
    if d.omit_unmentioned and not (t == "prefixes" and d.has_description)
]


@pytest.mark.parametrize("name, design", OU_CASES)
def test_interegular_reads_the_ou_regex(name, design):
    task = TASKS[name]
    fsm = _interegular_fsm(name, design)
    texts = _samples(task, design, 11, 6) + [render({}, task, design)]
    for text in texts:
        assert fsm.accepts(text), text
    for op, text in _corrupted(task, design):
        assert not fsm.accepts(text), (op, text)


@pytest.mark.parametrize("name, design", CASES)
def test_xgrammar_reads_the_gbnf(name, design):
    task = TASKS[name]
    for text in _samples(task, design, 3, 4) + [render({}, task, design)]:
        assert xgrammar_accepts(name, design, text), text
    for op, text in _corrupted(task, design):
        assert not xgrammar_accepts(name, design, text), (op, text)


JSON_CASES = [c for c in CASES if c.values[1].is_json]


@pytest.mark.parametrize("name, design", JSON_CASES)
def test_json_schema_per_line(name, design):
    """outlines-core's regex of the schema accepts every canonical line; a corrupted output
    all of whose lines it accepts differs only in what the schema says it cannot express
    (which lines, their order and number; spacing): each line read alone is canonical."""
    task = TASKS[name]
    regex = _schema_regex(name, design)
    keys = task.json_keys
    members = {"json": [keys.aspect, keys.label], "cot": [keys.aspect, keys.description,
               keys.label], "rcot": [keys.aspect, keys.label, keys.description]}[design.format]
    labels = [task.code_by_label[n] if design.numeric_labels else n for n in task.label_names]
    if design.omit_unmentioned:
        labels.remove(task.code_by_label[task.placeholder] if design.numeric_labels
                      else task.placeholder)
    # outlines' JSON string pattern has no \\u escapes and no U+007F-U+009F: plain descriptions
    for text in _samples(task, design, 5, 6):
        for line in text.split("\n"):
            if "\\u00" not in line and "\x7f" not in line:
                assert outlines_accepts(regex, line), line
    for op, text in _corrupted(task, design):
        lines = text.split("\n")
        if all(outlines_accepts(regex, line) for line in lines):
            for line in lines:  # each line holds exactly a canonical item's content
                item = json.loads(line)
                assert list(item) == members, (op, line)
                assert item[keys.aspect] in task.aspect_names and item[keys.label] in labels


# ---- the API and the command ---------------------------------------------------------------


def test_masa_d1_lines_is_the_task_itself():
    lark = export_grammar("masa-d1", "lines", "lark")
    assert 'KEY_5: "停车方便程度"' in lark and 'LABEL_3: "未提及"' in lark
    assert "answer: item_0 SEP item_1 SEP item_2 SEP item_3 SEP item_4 SEP item_5" in lark
    gbnf = export_grammar("masa-d1", "lines", "gbnf")
    assert gbnf.splitlines()[2] == "root ::= answer" and 'SEP ::= "\\n"' in gbnf
    # OU leaves the placeholder out; numeric writes codes
    ou = export_grammar("masa-d1", "lines+omit+numeric", "lark")
    assert "未提及" not in ou and 'LABEL_2: "-1"' in ou and "-2" not in ou
    assert _compiled("masa-d1", Design.parse("lines+omit")).fullmatch("")


def test_regex_grows_quadratically_with_slots():
    sizes = {t: len(export_grammar(t, "cot+omit", "regex")) for t in ("masa-d2", "masa-all")}
    slots = {t: len(TASKS[t].aspect_names) for t in sizes}
    per_pair = {t: sizes[t] / slots[t] ** 2 for t in sizes}
    assert per_pair["masa-all"] < 2 * per_pair["masa-d2"], sizes


def test_prefix_labels_in_regex_put_the_longer_first():
    regex = export_grammar(TASKS["prefixes"], "lines", "regex")
    labels = re.search(r"\(\?:([^()]*)\)", regex)
    assert labels is not None
    choices = labels.group(1).split("|")
    assert choices == sorted(choices, key=len, reverse=True) and "pos" in choices


def test_json_schema_content():
    schema = json.loads(export_grammar("masa-d1", "rcot+numeric", "json-schema"))
    assert list(schema["properties"]) == ["方面", "情感", "描述"]
    assert schema["properties"]["情感"] == {"enum": [1, 0, -1, -2]}
    assert schema["properties"]["描述"] == {"type": "string"}
    assert schema["additionalProperties"] is False
    assert "cannot express" in schema["description"] and "task order" in schema["description"]
    ou = json.loads(export_grammar("masa-d1", "json+omit", "json-schema"))
    assert ou["properties"]["情感"] == {"enum": ["正面", "中性", "负面"]}
    assert "ordered subset" in ou["description"]


def test_errors():
    with pytest.raises(DesignError, match="json-schema applies"):
        export_grammar("masa-d1", "lines", "json-schema")
    with pytest.raises(DesignError, match="unknown grammar format"):
        export_grammar("masa-d1", "lines", "ebnf")
    with pytest.raises(DesignError, match="tuples line is a JSON array"):
        export_grammar("genia-ner", "tuples", "json-schema")
    with pytest.raises(DesignError, match="json-schema applies"):
        export_grammar("maven-ed", "lines", "json-schema")
    with pytest.raises(DesignError, match="no CoT designs"):
        export_grammar("maven-ed", "cot", "lark")


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_cli(tmp_path):
    status, out, _ = _run("grammar", "--task", "masa-d1", "--design", "cot", "--format", "gbnf")
    assert status == 0 and out == export_grammar("masa-d1", "cot", "gbnf")
    target = tmp_path / "g.lark"
    assert _run("grammar", "--task", "masa-d1", "--design", "ES-SDE", "-o", str(target))[0] == 0
    assert target.read_text(encoding="utf-8") == export_grammar("masa-d1", "lines", "lark")
    status, _, err = _run("grammar", "--task", "masa-d1", "--design", "lines", "--format",
                          "json-schema")
    assert status == 2 and "json-schema applies" in err
    status, out, _ = _run("grammar", "--task", "maven-ed", "--design", "heuristic", "--format",
                          "gbnf")
    assert status == 0 and out == export_grammar("maven-ed", "tuples", "gbnf")
    status, _, err = _run("grammar", "--task", "maven-ed", "--design", "tuples", "--format",
                          "json-schema")
    assert status == 2 and "JSON array" in err


# ---- extraction designs ------------------------------------------------------------------------

#: Spans that stress every quoting: quotes of both kinds, backslashes, brackets, commas and
#: semicolons (bare designs refuse those; render's refusal is the filter), controls, non-ASCII,
#: the placeholder's letters.
SPAN = st.one_of(
    st.text(alphabet=st.sampled_from(list("aNoneX '\"\\[]{}:,;，漢é😀-") + ["\n", "\t", "\x01",
                                                                          "\x7f", "\u200b"]),
            min_size=1, max_size=8),
    st.text(min_size=1, max_size=6),
)
#: Operators whose output can itself be canonical (another valid output): for these the
#: test checks that the grammar accepts the output exactly when it is what render writes.
EXEMPT = {
    "duplicate_tuple": "render writes a pair given twice twice: still canonical",
    "duplicate_span": "render writes a span given twice twice: still canonical",
    "ungrounded_span": "another word for a span: canonical text, only the input can tell",
    "cut_in_span": "a bare span cut short is a shorter bare span (canonical where the cut "
    "list is the output's last)",
}


def _pairs(task: sdeparse.Task) -> st.SearchStrategy[list[tuple[str, str]]]:
    types = [t.name for t in task.spans.types]
    return st.lists(st.tuples(st.sampled_from(types), SPAN), max_size=5)


def _rendered(pairs: list[tuple[str, str]], task: sdeparse.Task, design: Design) -> str | None:
    try:
        return render(pairs, task, design)
    except RenderError:
        return None


def _written_order(pairs: list[tuple[str, str]], task: sdeparse.Task, design: Design) -> list:
    """The pairs in the order render writes them: as given (tuples), else grouped by type."""
    if design.format.value == "tuples":
        return list(pairs)
    order = {t.name: k for k, t in enumerate(task.spans.types)}
    return sorted(pairs, key=lambda pair: order[pair[0]])


_EX_POOL = ["fired", "shot down", "it's", 'say "hi"', "x]", "[y", "Ünï 漢", "a\\b", "NONE!",
            "no"]


def _ex_samples(task: sdeparse.Task, design: Design, seed: int, count: int) -> list[str]:
    """Canonical outputs of random pairs (from a fixed pool of spans), the empty one first."""
    rng = random.Random(seed)
    types = [t.name for t in task.spans.types]
    out = [render([], task, design)]
    while len(out) < count:
        pairs = [(rng.choice(types), rng.choice(_EX_POOL)) for _ in range(rng.randrange(1, 6))]
        text = _rendered(pairs, task, design)
        if text is not None:
            out.append(text)
    return out


def _is_canonical(text: str, task: sdeparse.Task, design: Design) -> bool:
    """Whether render writes `text` for some pairs: those the parser reads (it merges
    duplicates) or those the canonical grammar reads, if either renders back to `text`."""
    candidates = [list(sdeparse.parse(text, task, design).extractions)]
    read = read_canonical_extraction(text, task, design)
    if read is not None:
        candidates.append(read)
    return any(_rendered(pairs, task, design) == text for pairs in candidates)


def _ex_corrupted(task: sdeparse.Task, design: Design) -> list[tuple[str, str]]:
    """(operator, output) for every extraction operator that applies and changes the text."""
    out = []
    for k, text in enumerate(_ex_samples(task, design, 7, 5)):
        for op in EXTRACTION_CORRUPTIONS.values():
            if not op.applies_to(design):
                continue
            corrupted = op.apply(text, task, design, random.Random(k))
            if corrupted is not None and corrupted != text:
                out.append((op.name, corrupted))
    return out


def _check_corruptions(task: sdeparse.Task, design: Design, accepts) -> tuple[int, int]:
    """Every corrupted output rejected by `accepts`, but an exempt operator's output that is
    canonical, which must be accepted; (rejected, exempt canonical) counts."""
    rejected = canonical = 0
    for op, text in _ex_corrupted(task, design):
        if op in EXEMPT and _is_canonical(text, task, design):
            assert accepts(text), (op, text, EXEMPT[op])
            canonical += 1
            continue
        assert not accepts(text), (op, text)
        rejected += 1
    return rejected, canonical


@pytest.mark.parametrize("name, design", EX_CASES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.filter_too_much])
@given(data=st.data())
def test_extraction_exports_accept_render_outputs(name, design, data):
    """Every render output is in the canonical grammar (and reads back as its pairs), in the
    regex export (Python's re) and in the Lark export (lark's Earley parser)."""
    task = EX_TASKS[name]
    pairs = data.draw(_pairs(task))
    text = _rendered(pairs, task, design)
    if text is None:
        from hypothesis import reject

        reject()
    assert read_canonical_extraction(text, task, design) == _written_order(pairs, task, design)
    assert _compiled(name, design).fullmatch(text), text
    assert lark_accepts(name, design, text), text


@pytest.mark.parametrize("name, design", EX_CASES)
def test_extraction_exports_reject_corruptions(name, design):
    task = EX_TASKS[name]
    regex = _compiled(name, design)
    rejected, _ = _check_corruptions(
        task, design, lambda text: read_canonical_extraction(text, task, design) is not None
    )
    assert rejected
    _check_corruptions(task, design, lambda text: regex.fullmatch(text) is not None)
    _check_corruptions(task, design, lambda text: lark_accepts(name, design, text))


#: outlines-core builds its byte automaton from the regex in seconds for the JSON-quoted
#: designs; the bare and Python-quoted span classes (every character but a few, ~700 ranges
#: of printable characters) written out per span take it minutes: those regexes are checked
#: with Python's re above and their languages with llguidance/xgrammar.
OUTLINES_MAX_REGEX = 20_000


def _outlines_follows(name: str, design: Design, text: str) -> bool:
    """Whether no proper prefix of `text` is accepted (outlines-core's limit, see
    test_outlines_core_and_optional_endings) and the regex is small enough to build."""
    if len(export_grammar(ALL_TASKS[name], design, "regex")) > OUTLINES_MAX_REGEX:
        return False
    regex = _compiled(name, design)
    return not any(regex.fullmatch(text[:i]) for i in range(len(text)))


@pytest.mark.parametrize("name, design", EX_CASES)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.filter_too_much])
@given(data=st.data())
def test_extraction_engines_accept_render_outputs(name, design, data):
    task = EX_TASKS[name]
    text = _rendered(data.draw(_pairs(task)), task, design)
    if text is None:
        from hypothesis import reject

        reject()
    assert llguidance_accepts(name, design, text), text
    assert xgrammar_accepts(name, design, text), text
    if _outlines_follows(name, design, text):
        assert outlines_accepts(export_grammar(task, design, "regex"), text), text


@pytest.mark.parametrize("name, design", EX_CASES)
def test_extraction_engines_reject_corruptions(name, design):
    task = EX_TASKS[name]
    _check_corruptions(task, design, lambda text: llguidance_accepts(name, design, text))
    _check_corruptions(task, design, lambda text: xgrammar_accepts(name, design, text))
    regex = export_grammar(task, design, "regex")
    if len(regex) <= OUTLINES_MAX_REGEX:
        for op, text in _ex_corrupted(task, design):
            if op not in EXEMPT:
                assert not outlines_accepts(regex, text), (op, text)


@pytest.mark.parametrize("name, design", EX_CASES)
def test_extraction_engines_accept_samples(name, design):
    """The fixed samples (the empty output included) in every engine that can follow them."""
    task = EX_TASKS[name]
    regex = export_grammar(task, design, "regex")
    for text in _ex_samples(task, design, 3, 6):
        assert llguidance_accepts(name, design, text), text
        assert xgrammar_accepts(name, design, text), text
        if _outlines_follows(name, design, text):
            assert outlines_accepts(regex, text), text


#: interegular builds its automaton in Python, in seconds for the JSON-quoted designs but
#: maven-ed's json+omit (11 kB: 40 s) and minutes for the bare or Python-quoted span classes.
INTEREGULAR_MAX_REGEX = 5_000
INTEREGULAR_CASES = [
    c for c in EX_CASES
    if len(export_grammar(EX_TASKS[c.values[0]], c.values[1], "regex")) <= INTEREGULAR_MAX_REGEX
]


@pytest.mark.parametrize("name, design", INTEREGULAR_CASES)
def test_interegular_reads_the_extraction_regex(name, design):
    task = EX_TASKS[name]
    fsm = _interegular_fsm(name, design)
    for text in _ex_samples(task, design, 11, 6):
        assert fsm.accepts(text), text
    _check_corruptions(task, design, fsm.accepts)


EX_JSON_CASES = [c for c in EX_CASES if c.values[1].format.value == "json"]


@pytest.mark.parametrize("name, design", EX_JSON_CASES)
def test_extraction_json_schema_per_line(name, design):
    """outlines-core's regex of the schema accepts every canonical line; a corrupted output
    all of whose lines it accepts is one whose lines are each a canonical object."""
    task = EX_TASKS[name]
    regex = _schema_regex(name, design)
    keys = task.json_keys
    for text in _ex_samples(task, design, 5, 6):
        for line in filter(None, text.split("\n")):
            assert outlines_accepts(regex, line), line
    types = [t.code if design.numeric_labels else t.name for t in task.spans.types]
    for op, text in _ex_corrupted(task, design):
        lines = text.split("\n")
        if all(outlines_accepts(regex, line) for line in lines):
            for line in lines:
                item = json.loads(line)
                assert list(item) == [keys.aspect, keys.label], (op, line)
                assert item[keys.aspect] in types and all(item[keys.label]), (op, line)
                assert item[keys.label] or not design.omit_unmentioned, (op, line)


def test_extraction_json_schema_content():
    schema = json.loads(export_grammar("maven-ed", "json+omit", "json-schema"))
    assert list(schema["properties"]) == ["event_type", "trigger word"]
    assert schema["properties"]["event_type"]["enum"][:2] == ["Catastrophe", "Attack"]
    assert schema["properties"]["trigger word"] == {
        "type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
    assert "ordered subset of the types" in schema["description"]
    pu = json.loads(export_grammar("genia-ner", "json+numeric", "json-schema"))
    assert pu["properties"]["entity_type"] == {"enum": [0, 1, 2, 3, 4]}
    assert pu["properties"]["entity_names"]["minItems"] == 0


def test_maven_lines_export_names_the_task():
    lark = export_grammar("maven-ed", "lines", "lark")
    assert 'KEY_9: "Conquering"' in lark and 'PLACEHOLDER: "NONE"' in lark
    assert "spans: PLACEHOLDER | list" in lark
    gbnf = export_grammar("genia-ner", "lines+omit", "gbnf")
    assert "KEY-0 ::= \"'DNA'\"" in gbnf and "PLACEHOLDER" not in gbnf
    # tuples: the empty output is "[]" for maven-ed, "" for genia-ner
    assert _compiled("maven-ed", Design.parse("tuples")).fullmatch("[]")
    assert not _compiled("maven-ed", Design.parse("tuples")).fullmatch("")
    assert _compiled("genia-ner", Design.parse("tuples")).fullmatch("")


def test_bare_spans_are_exactly_what_render_writes():
    """Bare spans: the placeholder in any case, spaces at the ends, a pair of equal quotes
    around, a list looking bracketed are refused by render and by the grammar alike."""
    task = EX_TASKS["maven-ed"]
    design = Design.parse("lines+omit")
    for span in ["none", "NoNe", " a", "a ", "'a'", '"a"', "[a]", "a,b", "a;b", "a，b"]:
        with pytest.raises(RenderError):
            render([("Attack", span)], task, design)
        assert read_canonical_extraction(f"Attack: {span}", task, design) is None, span
        assert not _compiled("maven-ed", design).fullmatch(f"Attack: {span}"), span
    assert read_canonical_extraction("Attack: [a, b]", task, design) is None
    for span in ["nonE!", "non", "'a", "a'", "[a", "a]", "a: b", "'a\"", "x\ty"]:
        text = render([("Attack", span)], task, design)
        assert read_canonical_extraction(text, task, design) == [("Attack", span)], span


def test_python_spans_escape_as_repr():
    task = EX_TASKS["genia-ner"]
    design = Design.parse("lines+omit")
    for text in ["'DNA': \"ab\"", "'DNA': 'it\\'s'", "'DNA': '\\x41'", "'DNA': 'a\\\"'",
                 "'DNA': ''", "'DNA': 'a\tb'"]:
        assert read_canonical_extraction(text, task, design) is None, text
        assert not _compiled("genia-ner", design).fullmatch(text), text
    for span in ["it's", 'both \' and "', "\x00\u200b\U0001f600\\\n", "é漢"]:
        text = render([("DNA", span)], task, design)
        assert read_canonical_extraction(text, task, design) == [("DNA", span)], text


def test_regex_too_large_is_a_typed_error(monkeypatch):
    size = len(export_grammar("genia-ner", "lines+omit", "regex"))
    monkeypatch.setattr(sdeparse.export, "MAX_REGEX_CHARS", size - 1)
    with pytest.raises(GrammarTooLargeError, match="lark or gbnf export"):
        export_grammar("genia-ner", "lines+omit", "regex")
    assert export_grammar("genia-ner", "lines+omit", "lark")
    assert size <= MAX_REGEX_CHARS
