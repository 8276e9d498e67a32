"""Design names: every format/option combination and the paper's mode names."""

from __future__ import annotations

import itertools

import pytest

from sdeparse import Design, DesignError
from sdeparse.design import FORMATS


def test_all_has_twenty_distinct_designs():
    designs = Design.all()
    assert len(designs) == 20 and len(set(designs)) == 20


@pytest.mark.parametrize("design", Design.all(), ids=str)
def test_name_round_trips(design):
    assert Design.parse(design.name) == design
    assert Design.parse(design.name.upper()) == design
    assert Design.parse(design) is design


@pytest.mark.parametrize(
    ("fmt", "options"),
    [
        (f, opts)
        for f in FORMATS
        for n in range(3)
        for opts in itertools.permutations(["omit", "numeric"], n)
    ],
)
def test_every_format_option_combo(fmt, options):
    design = Design.parse("+".join([fmt, *options]))
    assert design.format == fmt
    assert design.omit_unmentioned == ("omit" in options)
    assert design.numeric_labels == ("numeric" in options)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("instruction-last", Design("natural")),
        ("instruction-first", Design("natural")),
        ("no-instruction", Design("natural")),
        ("input-modeling", Design("natural")),
        ("lines-output", Design("lines")),
        ("json-output", Design("json")),
        ("omit-unmentioned", Design("natural", omit_unmentioned=True)),
        ("numerical-label", Design("natural", numeric_labels=True)),
        ("cot", Design("cot")),
        ("rev-cot", Design("rcot")),
        ("R-CoT", Design("rcot")),
        ("ES-SDE", Design("lines")),
        ("EW-SDE", Design("natural", omit_unmentioned=True)),
        ("es_sde", Design("lines")),
        ("lines+OU", Design("lines", omit_unmentioned=True)),
        ("json+NumLabel", Design("json", numeric_labels=True)),
        ("natural+PU+TxtLabel", Design("natural")),
        (" Lines ", Design("lines")),
    ],
)
def test_paper_mode_names(spec, expected):
    assert Design.parse(spec) == expected


@pytest.mark.parametrize("spec", ["xml", "lines+bold", "", "cot+omit+fancy", "json-lines"])
def test_unknown_names_list_valid_ones(spec):
    with pytest.raises(DesignError) as info:
        Design.parse(spec)
    message = str(info.value)
    assert "omit" in message or "lines" in message


def test_unknown_format_lists_formats_and_modes():
    with pytest.raises(DesignError) as info:
        Design.parse("yaml")
    for word in (*FORMATS, "es-sde", "rev-cot"):
        assert word in str(info.value)


def test_non_string_design_is_a_type_error():
    with pytest.raises(TypeError):
        Design.parse(3)


def test_bad_format_in_constructor():
    with pytest.raises(DesignError):
        Design("yaml")


def test_properties():
    assert Design.parse("rcot").is_json and Design.parse("rcot").has_description
    assert Design.parse("json").is_json and not Design.parse("json").has_description
    assert not Design.parse("lines").is_json
