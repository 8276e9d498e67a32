"""The slot schema: fixed slots (aspects), each with one label of a closed set.

Records in, a label for every slot out: aspect and label matching, duplicates, missing
aspects, order; every non-exact step becomes a diagnostic. Never guesses: whatever is
ambiguous or unknown leaves the aspect with the placeholder. The schema also answers the
readers' spelling questions (`Vocabulary`), so readers need no task lookups of their own.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

from ..design import Design, Format
from ..diagnostics import Code, Severity
from ..layouts.base import KeyKind, ValueKind
from ..records import Diagnostics, Field, Record, preview
from ..task import AspectHow, LabelHow, Task
from .base import Prediction

_KEY_KINDS = {
    AspectHow.EXACT: KeyKind.EXACT,
    AspectHow.ALIAS: KeyKind.VARIANT,
    AspectHow.KEYWORD: KeyKind.VARIANT,
    AspectHow.TEMPLATE: KeyKind.TEMPLATE,
    AspectHow.NONE: KeyKind.UNKNOWN,
}


class SlotSchema:
    """Fixed slots with closed labels for one (task, design): resolves records to labels."""

    def __init__(self, task: Task, design: Design) -> None:
        self.task = task
        self.design = design
        self.key_spellings: tuple[str, ...] = tuple(task.aspect_names) + tuple(
            alias for a in task.aspects for alias in a.aliases
        )
        self.value_spellings: tuple[str, ...] = tuple(task.label_names) + tuple(
            str(c) for c in task.code_by_label.values()
        )
        self.anchor_spellings: tuple[str, ...] = tuple(
            dict.fromkeys(
                spelling for a in task.aspects for spelling in (a.name, *a.aliases, *a.keywords)
            )
        )
        self.other_spellings: tuple[str, ...] = tuple(
            dict.fromkeys(
                (
                    *self.value_spellings,
                    *(spelling for lab in task.labels for spelling in lab.synonyms),
                    *(spelling for lab in task.labels for spelling in lab.contains),
                )
            )
        )

    # ---- the Vocabulary questions readers ask -------------------------------------------
    def key_kind(self, text: str) -> KeyKind:
        """What a key spells (a slot name, a variant, the template, or nothing known)."""
        return _KEY_KINDS[self.task.resolve_aspect(text).how]

    def value_kind(self, text: str) -> ValueKind:
        """What a value spells under this design (canonical label, other kind, synonym...)."""
        match = self.task.resolve_label(text, self.design.numeric_labels)
        if match.how in (LabelHow.EXACT, LabelHow.CODE):
            return ValueKind.OTHER_KIND if match.kind_mismatch else ValueKind.CANONICAL
        if match.how is LabelHow.SYNONYM:
            return ValueKind.SYNONYM
        if match.how in (LabelHow.CONTAINS, LabelHow.NOTE):
            return ValueKind.CONTAINS
        return ValueKind.NONE

    def is_template(self, text: str) -> bool:
        """Whether the text is a piece of the prompt's format template."""
        return self.task.is_template(text)

    # ---- records to labels ---------------------------------------------------------------
    def resolve(
        self,
        records: list[Record],
        text: str,
        diags: Diagnostics,
        layout: str = "",
        source: str | None = None,
    ) -> Prediction:
        """A label for every slot, with a diagnostic for every non-exact step (the layout and
        the input do not change how a label is read)."""
        labels, descriptions = resolve(records, text, self.task, self.design, diags)
        return Prediction(labels, descriptions)

    def nothing(self) -> Prediction:
        """The prediction of an output that says nothing: the placeholder everywhere."""
        return Prediction(dict.fromkeys(self.task.aspect_names, self.task.placeholder))


def resolve(
    items: list[Record], text: str, task: Task, design: Design, diags: Diagnostics
) -> tuple[dict[str, str], dict[str, str]]:
    """Labels for every aspect of the task and descriptions where the items held them."""
    found: dict[str, str | None] = {}
    conflicting: set[str] = set()
    seen: set[str] = set()
    order: list[str] = []
    descriptions: dict[str, str] = {}
    numeric = design.numeric_labels

    disputed: set[str] = set()  # given a value that names labels but asserts none

    def give(aspect: str, label: str | None, item: Record, taken_back: bool = False) -> None:
        """Record `label` for `aspect` (a duplicate is reported and never overrides);
        `taken_back`: the comment after the value took its label back (so it disputes)."""
        if item.description is not None and aspect not in descriptions:
            descriptions[aspect] = item.description.text
        disputes = taken_back or (
            label is None
            and item.value is not None
            and _names_labels(item.value.text, task, numeric)
        )
        if aspect in seen:
            previous = found.get(aspect)
            if (disputes and previous is not None) or (
                label is not None and previous is None and aspect in disputed
            ):
                conflicting.add(aspect)
                disputed.add(aspect)
                diags.add(
                    Code.DUPLICATE_ASPECT,
                    item.start,
                    item.end,
                    f"{aspect} given again, once with a value that asserts no single label",
                    "aspect gets the placeholder",
                    severity=Severity.ERROR,
                )
                return
            if disputes:
                disputed.add(aspect)
            if previous == label or label is None:
                diags.add(
                    Code.DUPLICATE_ASPECT,
                    item.start,
                    item.end,
                    f"{aspect} given again",
                    "kept the first",
                )
            elif previous is None:
                found[aspect] = label
                diags.add(
                    Code.DUPLICATE_ASPECT,
                    item.start,
                    item.end,
                    f"{aspect} given again",
                    "kept the one with a label",
                )
            else:
                conflicting.add(aspect)
                diags.add(
                    Code.DUPLICATE_ASPECT,
                    item.start,
                    item.end,
                    f"{aspect} given again with a different label ({previous} and {label})",
                    "aspect gets the placeholder",
                    severity=Severity.ERROR,
                )
            return
        seen.add(aspect)
        order.append(aspect)
        found[aspect] = label
        if disputes:
            disputed.add(aspect)

    pairs_layout = design.format in (Format.NATURAL, Format.LINES)
    # where statements begin: a comment after a label runs up to the next one (a piece
    # keyed by a correction word, ``Correction: positive``, is part of the comment)
    corrections = _CORRECTION_KEYS
    starts = (
        sorted(
            item.start
            for item in items
            if not (
                corrections[item.key.text]
                if item.key.text in corrections
                else _correction(item.key.text)
            )
        )
        if pairs_layout
        else []
    )
    size = len(text)

    def asserted(key: str, value: Field, label: str | None) -> str | None:
        """`label` unless the comment after `value` takes it back (Natural and Lines)."""
        if label is None or label == placeholder or not pairs_layout:
            return label
        # The usual case first: nothing but separators up to the next statement (any shorter
        # stretch `_check_comment` would read is then separators too).
        after = value.end
        at = bisect_right(starts, after)
        end = starts[at] if at < len(starts) else size
        if end - after <= _MAX_COMMENT and not text[after:end].strip(_COMMENT_MARKS):
            return label
        return _check_comment(key, value, label, starts, text, task, diags)
    plains = _plains_of(task, numeric)
    omit = design.omit_unmentioned
    placeholder = task.placeholder
    for item in _first_answer(items, text, diags):
        key = item.key
        # A key naming one aspect exactly and a value naming its label as written (checked
        # once per pair of texts by `_plain`): the label at once, nothing to report.
        if item.value is not None:
            pair = (key.text, item.value.text)
            plain = plains[pair] if pair in plains else _plain(pair, task, numeric, plains)
            if plain is not None:
                given = asserted(key.text, item.value, plain[1])
                aspects = plain[0]
                if given is not None and len(aspects) == 1 and aspects[0] not in seen:
                    # what `give` does for a first mention with a label, at once (a first
                    # mention has no description yet: only `give` keeps one, for aspects seen)
                    aspect = aspects[0]
                    if item.description is not None:
                        descriptions[aspect] = item.description.text
                    seen.add(aspect)
                    order.append(aspect)
                    found[aspect] = given
                else:
                    for aspect in aspects:
                        give(aspect, given, item, taken_back=given is None)
                if omit and plain[1] == placeholder:
                    diags.add(
                        Code.UNEXPECTED_PLACEHOLDER,
                        item.start,
                        item.end,
                        f"{key.text} printed with {placeholder} where OU leaves it out",
                        "none needed",
                    )
                continue
        match = task.resolve_aspect(key.text)
        if match.how is AspectHow.TEMPLATE or (
            match.how is AspectHow.NONE
            and item.value is not None
            and task.is_template(item.value.text)
        ):
            diags.add(
                Code.TEMPLATE_ECHO,
                item.start,
                item.end,
                f"{preview(text[item.start : item.end])!r} repeats the prompt's format template",
                "dropped",
            )
            continue
        if match.how is AspectHow.NONE:
            diags.add(
                Code.UNKNOWN_ASPECT,
                key.start,
                key.end,
                f"{preview(key.text)!r} is not an aspect of {task.name}",
                "pair dropped",
            )
            continue
        if match.how is AspectHow.KEYWORD:
            merged = _merged_key(key.text, task)
            if merged is not None:
                _read_merged(item, merged, match.aspects, task, numeric, diags, give)
                continue
        if match.how in (AspectHow.ALIAS, AspectHow.KEYWORD):
            names = "、".join(match.aspects) if len(match.aspects) > 1 else match.aspects[0]
            diags.add(
                Code.ASPECT_ALIAS,
                key.start,
                key.end,
                f"{preview(key.text)!r} read as {names}",
                f"read as {names}",
            )
        label: str | None = None
        taken_back = False
        if item.value is not None:
            written = _label(key.text, item.value, task, numeric, diags)
            label = asserted(key.text, item.value, written)
            taken_back = written is not None and label is None
        for aspect in match.aspects:
            give(aspect, label, item, taken_back)
        if design.omit_unmentioned and label == task.placeholder:
            diags.add(
                Code.UNEXPECTED_PLACEHOLDER,
                item.start,
                item.end,
                f"{key.text} printed with {task.placeholder} where OU leaves it out",
                "none needed",
            )
    labels: dict[str, str] = {}
    end = len(text)
    for aspect in task.aspect_names:
        label = found.get(aspect)
        labels[aspect] = task.placeholder if label is None or aspect in conflicting else label
        if aspect not in seen and not design.omit_unmentioned:
            diags.add(
                Code.MISSING_ASPECT, end, end, f"{aspect} is absent", f"gets {task.placeholder}"
            )
    positions = [task.aspect_names.index(a) for a in order]
    if positions != sorted(positions):
        diags.add(Code.ASPECT_ORDER, 0, end, "aspects are not in the task's order", "none needed")
    return labels, descriptions


# ---- pairs that need no diagnostic --------------------------------------------------------

#: (key text, value text) -> (aspects, label) of a pair that `resolve` reads with no
#: diagnostic, or None; one table per (task, numeric labels), by the task's identity (the task
#: is kept with it so that its id is not reused). Bounded: a table is emptied when it holds
#: `_PLAIN_LIMIT` answers, and at most `_PLAIN_TASKS` tables are kept.
_Plains = dict[tuple[str, str], "tuple[tuple[str, ...], str] | None"]
_PLAINS: dict[tuple[int, bool], tuple[Task, _Plains]] = {}
_PLAIN_LIMIT = 4096
_PLAIN_TASKS = 32


def _plains_of(task: Task, numeric: bool) -> _Plains:
    """The table of plain pairs of a task under text or numeric labels, made on first use."""
    kept = _PLAINS.get((id(task), numeric))
    if kept is None or kept[0] is not task:
        if len(_PLAINS) >= _PLAIN_TASKS:
            del _PLAINS[next(iter(_PLAINS))]
        kept = _PLAINS[(id(task), numeric)] = (task, {})
    return kept[1]


def _plain(
    pair: tuple[str, str],
    task: Task,
    numeric: bool,
    plains: _Plains,
) -> tuple[tuple[str, ...], str] | None:
    """The aspects and the label of a pair whose key names its aspects exactly and whose value
    `_label` reads as a label with no diagnostic; None for any other pair (the general path
    reads it). Both answers are pure functions of the two texts, so they are kept."""
    key, value = pair
    found: tuple[tuple[str, ...], str] | None = None
    match = task.resolve_aspect(key)
    if match.how is AspectHow.EXACT:
        trial = Diagnostics()
        label = _label(key, Field(value, 0, len(value)), task, numeric, trial)
        if label is not None and not trial:
            found = (match.aspects, label)
    if len(key) + len(value) <= 256:
        if len(plains) >= _PLAIN_LIMIT:
            plains.clear()
        plains[pair] = found
    return found


# ---- merged keys: 食品评价正面饮品评价：负面 ---------------------------------------------------

#: a key naming several aspects with a label between them that cannot be split safely
_UNSPLIT = ()


def _merged_key(key: str, task: Task) -> tuple[tuple[str, str | None], ...] | None:
    """A key that names aspects by keyword and holds a label spelling between them, split into
    (aspect, the label text written after it) with None for the last aspect (it gets the
    item's value); `_UNSPLIT` when a label spelling is there but the split is not clean
    (text before the first aspect or after the last, an aspect twice, a gap without a label);
    None when the key holds no label spelling (one key naming several aspects)."""
    folded = key.strip().casefold()
    spots = task.aspect_occurrences(folded)
    gaps = [folded[a[1] : b[0]] for a, b in zip(spots[:-1], spots[1:], strict=True)]
    outside = folded[: spots[0][0]] + " " + folded[spots[-1][1] :] if spots else folded
    if not any(task.label_mentions(gap) for gap in (*gaps, outside)):
        return None
    names = [name for _, _, name in spots]
    if (
        len(spots) < 2
        or outside.strip()
        or len(set(names)) != len(names)
        or not all(task.label_mentions(gap) for gap in gaps)
    ):
        return _UNSPLIT
    return (
        *((name, gap.strip()) for name, gap in zip(names[:-1], gaps, strict=True)),
        (names[-1], None),
    )


def _read_merged(
    item: Record,
    merged: tuple[tuple[str, str | None], ...],
    aspects: tuple[str, ...],
    task: Task,
    numeric: bool,
    diags: Diagnostics,
    give: Callable[[str, str | None, Record], None],
) -> None:
    """Give each aspect of a merged key its own label: the label written after it in the key
    (when it asserts one), the item's value for the last; an unclean split gives every aspect
    the key names the placeholder and an error."""
    key = item.key
    if not merged:
        diags.add(
            Code.MALFORMED_ITEM,
            key.start,
            key.end,
            f"{preview(key.text)!r} names {'、'.join(aspects)} with a label inside the key "
            "and cannot be split",
            "each aspect it names gets the placeholder",
        )
        for aspect in aspects:
            give(aspect, None, item)
        return
    diags.add(
        Code.PUNCTUATION,
        key.start,
        key.end,
        f"{preview(key.text)!r} runs {len(merged)} items together: a missing separator "
        "inferred between each label and the next aspect",
        "split after each label",
        severity=Severity.WARNING,
    )
    for aspect, inner in merged:
        if inner is None:
            label = _label(aspect, item.value, task, numeric, diags) if item.value else None
        else:
            label = _label(aspect, Field(inner, key.start, key.end), task, numeric, diags)
        give(aspect, label, item)


# ---- repeated answers: the whole answer again, or a loop cut by the token limit -------------


def _first_answer(items: list[Record], text: str, diags: Diagnostics) -> list[Record]:
    """The items to read: all of them, or the first copy when the items are one answer given
    k >= 2 times (then possibly a cut copy), reported by one `repeated_answer`. A cut last
    item that repeats the expected earlier item has its `truncated` error lowered to a
    warning: nothing was lost. Linear: the period comes from the prefix function."""
    cut_at = next(
        (
            i
            for i in range(len(diags) - 1, -1, -1)
            if diags[i].code is Code.TRUNCATED
            and diags[i].severity is Severity.ERROR
            and diags[i].end == len(text)
        ),
        None,
    )
    cut_start = diags[cut_at].start if cut_at is not None else len(text)
    complete = [item for item in items if item.start < cut_start]
    if not complete:
        return items
    unnoticed_cut = cut_at is None and _cut_copy(complete, text)
    if unnoticed_cut:  # the last item is a cut copy the reader took for a whole one
        last = complete.pop()
        cut_start = last.start
        diags.add(
            Code.TRUNCATED,
            last.start,
            len(text),
            f"{preview(text[last.start:].strip())!r} is the start of an earlier item, cut off",
            "nothing lost",
            severity=Severity.WARNING,
        )
    n = len(complete)
    # Items all distinct have no border: the answer is given once (its period is n). Their
    # keys all distinct (the usual case) say so at once.
    if len({item.key.text.strip() for item in complete}) == n:
        period = n
    else:
        ids: dict[tuple[str, str | None, str | None], int] = {}
        seq = [
            ids.setdefault(
                (
                    item.key.text.strip(),
                    None if item.value is None else item.value.text.strip(),
                    None if item.description is None else item.description.text.strip(),
                ),
                len(ids),
            )
            for item in complete
        ]
        period = n if len(ids) == n else n - _border(seq)
    copies = n // period
    cut_repeats = unnoticed_cut
    if cut_at is not None:
        # the cut must reach into the key: a bare ``{`` or list marker repeats nothing
        expected = complete[n % period]
        cut = text[cut_start:].strip()
        cut_repeats = len(cut) > expected.key.start - expected.start and text[
            expected.start : expected.end
        ].strip().startswith(cut)
    if not cut_repeats and not (copies >= 2 and (period >= 2 or copies >= 3)):
        return items
    if cut_repeats and cut_at is not None:
        diags[cut_at] = replace(
            diags[cut_at],
            severity=Severity.WARNING,
            message=diags[cut_at].message + ", a cut copy of an earlier item",
            repair="nothing lost",
        )
    start = complete[period].start if n > period else cut_start
    end = len(text) if cut_repeats else complete[-1].end
    shown = f"{copies} times" if copies >= 2 else "once more"
    diags.add(
        Code.REPEATED_ANSWER,
        start,
        end,
        f"the answer of {period} item{'s' if period > 1 else ''} is given {shown}"
        + (", then again until cut off" if cut_repeats else ""),
        "read the first copy",
    )
    return complete[:period]


def _cut_copy(items: list[Record], text: str) -> bool:
    """Whether the last item ends the text and is a strict prefix of the item a repeat of the
    answer would give there (a loop cut by the token limit inside a value: ``service:
    neutral`` where ``service: neutral but negative`` was written before)."""
    if len(items) < 2:
        return False
    last = items[-1]
    if text[last.end :].strip() or last.value is None:  # a terminator after it: not cut
        return False
    head = [(item.key.text.strip(), None if item.value is None else item.value.text.strip())
            for item in items[:-1]]
    ids: dict[tuple[str, str | None], int] = {}
    seq = [ids.setdefault(pair, len(ids)) for pair in head]
    period = len(seq) - _border(seq)
    expected = items[len(seq) % period]
    written = text[last.start : last.end].strip()
    whole = text[expected.start : expected.end].strip()
    return len(written) < len(whole) and whole.startswith(written)


def _border(seq: list[int]) -> int:
    """The length of the longest proper prefix of `seq` that is also its suffix (KMP)."""
    fail = [0] * len(seq)
    k = 0
    for i in range(1, len(seq)):
        while k and seq[i] != seq[k]:
            k = fail[k - 1]
        if seq[i] == seq[k]:
            k += 1
        fail[i] = k
    return fail[-1] if seq else 0


# ---- a comment after the label: `food: positive, not sure` ------------------------------------

#: marks that separate a label from a comment after it (stripped before the comment is read)
_COMMENT_MARKS = " \t,，;；。.、:：!！-—–~()（）[]【】"


def _check_comment(
    key: str,
    value: Field,
    label: str,
    starts: list[int],
    text: str,
    task: Task,
    diags: Diagnostics,
) -> str | None:
    """`label`, or None with an error when the comment after it on its line (up to the next
    item naming an aspect) names another label or hedges, negates or questions it: ``positive,
    not sure``, ``正面，不对，负面``, ``neutral. Correction: positive``. The comment stops where
    it names an aspect (what follows speaks of that aspect) and before a piece with a colon and
    no key (a malformed item of its own); a contrast word just before another aspect joins
    the two statements (``正面，但饮品评价：负面``, ``positive, but the price was high``)."""
    after = value.end
    at = bisect_right(starts, after)
    window = min(len(text), after + 2 * _MAX_COMMENT)  # bounded: linear over all items
    end = min(starts[at], window) if at < len(starts) else window
    line_end = text.find("\n", after, end)
    joins_next = line_end < 0 and at < len(starts) and end == starts[at]
    if line_end >= 0:
        end = line_end
    elif end == window and window < len(text):
        return label  # a long stretch of text after the label is prose of its own
    comment = text[after:end]
    if not comment.strip(_COMMENT_MARKS):  # separators only (the usual case): nothing said
        return label
    keyless = _keyless_piece(task.punctuation.key_value).search(comment)
    if keyless is not None:
        comment = comment[: keyless.start()]
    folded = comment.casefold()
    if len(folded) == len(comment):  # (casefolding that changes lengths: no cut, left alone)
        occurrences = task.aspect_occurrences(folded)
        if occurrences:
            comment, joins_next = comment[: occurrences[0][0]], True
    elif task.aspect_occurrences(folded):
        return label
    comment = comment.strip(_COMMENT_MARKS)
    if not comment or len(comment) > _MAX_COMMENT:
        return label
    named, cue = task.qualifiers(comment)
    others = tuple(dict.fromkeys(name for name in named if name != label))
    if joins_next and cue.startswith("contrast") and not others:
        return label
    start = text.index(comment, after)
    if others:
        diags.add(
            Code.AMBIGUOUS_LABEL,
            value.start,
            start + len(comment),
            f"{key}: {label}, then {preview(comment)!r} names {' and '.join(others)}",
            f"gets {task.placeholder}",
        )
        return None
    if cue:
        diags.add(
            Code.UNASSERTED_LABEL,
            value.start,
            start + len(comment),
            f"{key}: {label}, then {preview(comment)!r} does not assert it ({cue})",
            f"gets {task.placeholder}",
        )
        return None
    return label


def _correction(key: str) -> bool:
    """Whether a key is a correction word (`_CORRECTION`); kept for short keys (they repeat)."""
    found = _CORRECTION.match(key) is not None
    if len(key) <= 256:
        if len(_CORRECTION_KEYS) >= _PLAIN_LIMIT:
            _CORRECTION_KEYS.clear()
        _CORRECTION_KEYS[key] = found
    return found


#: `_correction`'s answers, by key (bounded: emptied when full)
_CORRECTION_KEYS: dict[str, bool] = {}

#: keys that correct the statement before them: their piece is part of its comment
_CORRECTION = re.compile(
    r"\W*(?:correction|corrected|update|updated|edit|edited|revised|actually|wait|rather"
    r"|更正|修正|纠正|改正|订正|改为|应为|实际上|其实)\W*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=64)
def _keyless_piece(key_value: str) -> re.Pattern[str]:
    """A piece holding a colon and no key before it: a malformed item, never a comment."""
    colons = "|".join(map(re.escape, sorted({":", "：", key_value.strip() or key_value})))
    return re.compile(rf"(?:^|[,，;；、。]|\. )\s*(?:{colons})")


#: a longer comment is prose of its own, not a remark on the label before it (and reading
#: it stays linear: each comment is read once, and at most this long)
_MAX_COMMENT = 200


def _names_labels(value: str, task: Task, numeric: bool) -> bool:
    """Whether a value that gave no label named labels without asserting one (two labels, or
    one negated, questioned or hedged)."""
    return task.resolve_label(value, numeric).how in (LabelHow.AMBIGUOUS, LabelHow.UNASSERTED)


def _label(key: str, written: Field, task: Task, numeric: bool, diags: Diagnostics) -> str | None:
    value = written.text
    match = task.resolve_label(value, numeric)
    s, e = written.start, written.end
    shown = preview(value)
    if match.how is LabelHow.EMPTY:
        diags.add(Code.INVALID_LABEL, s, e, f"{key} has an empty label", f"gets {task.placeholder}")
    elif match.how is LabelHow.TEMPLATE:
        diags.add(
            Code.TEMPLATE_ECHO,
            s,
            e,
            f"{shown!r} repeats the prompt's format template",
            f"gets {task.placeholder}",
        )
    elif match.how is LabelHow.INVALID:
        diags.add(
            Code.INVALID_LABEL,
            s,
            e,
            f"{shown!r} is not a label of {task.name}",
            f"gets {task.placeholder}",
        )
    elif match.how is LabelHow.AMBIGUOUS:
        diags.add(
            Code.AMBIGUOUS_LABEL,
            s,
            e,
            f"{shown!r} names {' and '.join(match.candidates)}",
            f"gets {task.placeholder}",
        )
    elif match.how is LabelHow.UNASSERTED:
        diags.add(
            Code.UNASSERTED_LABEL,
            s,
            e,
            f"{shown!r} names {match.candidates[0]} but does not assert it ({match.cue})",
            f"gets {task.placeholder}",
        )
    elif match.kind_mismatch:
        kind = "text label" if numeric else "numeric code"
        diags.add(
            Code.LABEL_KIND_MISMATCH, s, e, f"{shown!r} is a {kind}", f"read as {match.label}"
        )
    elif match.how is LabelHow.NOTE:
        diags.add(
            Code.LABEL_NOTE,
            s,
            e,
            f"{shown!r}: {match.label} with a note around it",
            f"read as {match.label}",
        )
    elif match.how in (LabelHow.SYNONYM, LabelHow.CONTAINS):
        case = match.label is not None and value.strip().casefold() == match.label.casefold()
        said = f"{match.label} in another case" if case else f"read as {match.label}"
        diags.add(Code.LABEL_SYNONYM, s, e, f"{shown!r} {said}", f"read as {match.label}")
    elif value != value.strip():
        diags.add(Code.PUNCTUATION, s, e, "spaces around the label", "ignored")
    return match.label
