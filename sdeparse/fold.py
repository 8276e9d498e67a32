"""Long outputs: before a layout reads an output of `FOLD_FROM` characters or more, the
stretches that cannot change what it reads are cut out, so parsing stays fast on any size.

Reading is per piece, in Python: a 10 MB output of tiny junk pieces, or of one answer repeated
(a generation loop), would cost seconds. Every cut is found with C-level regex and string
searches and is chosen so that the reduced text reads to the same records:

* **repeats**: the text is split at every occurrence of a slot's spelling (its name, an alias,
  a keyword); a run of such segments each equal to an earlier one is cut whole when the
  segment before the run equals the run's last one, so every two neighbouring segments of the
  reduced text were neighbours in the output (the loop is read with fewer turns);
* **junk**: a stretch at least `MARGIN` characters away from every spelling of a slot, a
  label or a JSON key is cut between two of the layout's piece boundaries (whole pieces that
  name nothing go; in JSON, only where the cut keeps the string state: an even number of
  quotes and no backslash); or, inside one piece, a run holding no structural character at
  all (a giant value, a long preamble without punctuation).

Each cut is reported by one diagnostic (a loop as a `duplicate_aspect` warning, junk as
`extra_text`); the pieces kept around it give the errors the full reading would give for their
kind. Spans of records and diagnostics are mapped back to the original text.

Past `MAX_ITEMS` spellings outside the loops (distinct items, one after another), the rest is
not read at all; the slots it names are returned in `Folded.unread_names`, and the parser gives
them the placeholder and the output an error.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from .diagnostics import Code, Diagnostic, Severity, make
from .records import Field, Record

#: outputs shorter than this are read whole: an answer is a few hundred characters, so an
#: output this long is a loop, a long preamble or junk (and below this length reading it
#: piece by piece costs no more than folding would)
FOLD_FROM = 32_768
#: characters kept on either side of a cut, next to any spelling and at the ends of the text
MARGIN = 256
#: a cut shorter than this is not worth a seam
MIN_CUT = 1_024
#: spellings read one by one, at most, outside the loops cut: beyond them the rest of the
#: output is not read, and every slot it names gets the placeholder and an error (parser.py)
MAX_ITEMS = 20_000
_BLANK = re.compile(r"\s*")


@dataclass(frozen=True)
class FoldRules:
    """What a layout tells the folder: where its pieces end, and which characters carry its
    structure (never cut from inside a piece)."""

    #: characters a piece ends with: a cut starts and ends right after one
    closers: str
    #: a regex character-class body of the characters that carry structure (spaces included);
    #: a run without any of them is cut anywhere
    structural: str
    #: JSON: a cut must keep the string state (an even number of '"', no backslash)
    quoted: bool = False
    #: texts the layout's own structure names (JSON key names), never cut
    words: tuple[str, ...] = ()


class Spliced:
    """Position mapping of a text made of stretches of an original (fold.py cuts, unwrap.py
    removes and rewrites): the i-th stretch starts at `starts[i]` in the new text and at
    `origins[i]` in the original. A stretch written anew (unwrap's inserted marks) is mapped
    onto the original text it replaces, clamped by `limit`. Mixed into frozen dataclasses
    that define the two tuples."""

    __slots__ = ()
    starts: tuple[int, ...]
    origins: tuple[int, ...]

    def limit(self, index: int) -> int | None:
        """The original end of stretch `index` where a position must stop (None: no bound)."""
        return None

    def position(self, pos: int, end: bool = False) -> int:
        """The original offset of `pos` in the new text (an end maps to the end of the
        stretch it closes, not to the start of the next one)."""
        index = (bisect_left(self.starts, pos) if end else bisect_right(self.starts, pos)) - 1
        index = max(index, 0)
        mapped = self.origins[index] + pos - self.starts[index]
        bound = self.limit(index)
        return mapped if bound is None else min(mapped, bound)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """An original [start, end) for a new one."""
        first = self.position(start)
        return first, (first if end <= start else max(first, self.position(end, end=True)))

    def diagnostic(self, diag: Diagnostic) -> Diagnostic:
        start, end = self.span(diag.start, diag.end)
        return replace(diag, start=start, end=end)

    def record(self, record: Record) -> Record:
        start, end = self.span(record.start, record.end)
        return Record(
            self._field(record.key),
            None if record.value is None else self._field(record.value),
            start,
            end,
            None if record.description is None else self._field(record.description),
        )

    def _field(self, field: Field) -> Field:
        start, end = self.span(field.start, field.end)
        return Field(field.text, start, end)


@dataclass(frozen=True, slots=True)
class Folded(Spliced):
    """The reduced text, where each kept stretch came from, and the notes on the cuts."""

    text: str
    #: start of each kept stretch in `text`, and where it starts in the original
    starts: tuple[int, ...]
    origins: tuple[int, ...]
    notes: tuple[Diagnostic, ...]
    #: the part not read at all ([start, end) of the original), after MAX_ITEMS spellings
    unread: tuple[int, int] | None = None
    #: the slot spellings (casefolded) written there
    unread_names: frozenset[str] = frozenset()


class Folder:
    """Cuts for one (task, layout): the spellings to look for and the layout's rules."""

    def __init__(self, anchors: Iterable[str], words: Iterable[str], rules: FoldRules) -> None:
        anchor_list = _alternatives(anchors)
        word_list = _alternatives([*anchors, *words, *rules.words])
        self._anchors = re.compile("|".join(anchor_list), re.IGNORECASE) if anchor_list else None
        self._words = re.compile("|".join(word_list), re.IGNORECASE) if word_list else None
        self._longest = max((len(w) for w in word_list), default=0)
        self._closers = rules.closers
        self._closer = re.compile(f"[{re.escape(rules.closers)}]")
        self._inert = re.compile(f"[^{rules.structural}]{{{MIN_CUT},}}")
        self._quoted = rules.quoted

    def fold(self, text: str) -> Folded | None:
        """The reduced text, or None when nothing is worth cutting (the caller decides from
        which length it asks: `FOLD_FROM`)."""
        if self._anchors is None or self._words is None:
            return None
        cuts: list[tuple[int, int, Diagnostic | None]] = []
        spans = [m.span() for m in self._words.finditer(text)]  # one scan serves both passes
        word_starts = [start for start, _ in spans]
        stop = self._repeats(text, word_starts, cuts)
        unread: tuple[int, int] | None = None
        names: frozenset[str] = frozenset()
        if stop < len(text):  # the rest is not read: from the start of the piece it falls in
            stop = self._after_last_closer(text, 0, stop)
            spans = spans[: bisect_left(word_starts, stop)]
            cuts = [cut for cut in cuts if cut[0] < stop]
            # The slots named from there on; in JSON also on the line read last (an object cut
            # short there loses its label: it is reported with the rest).
            line = text.rfind("\n", 0, stop) + 1 if self._quoted else stop
            found = set(self._anchors.findall(text, line))
            names = frozenset(name.casefold() for name in found)
            unread = (stop, len(text))
        self._junk(text, spans, cuts, stop)
        if unread is not None:
            cuts.append((stop, len(text), None))
        if not cuts:
            return None
        cuts.sort(key=lambda cut: cut[0])
        pieces: list[str] = []
        starts: list[int] = []
        origins: list[int] = []
        at = size = 0
        for start, end, _ in cuts:
            if start > at:
                starts.append(size)
                origins.append(at)
                pieces.append(text[at:start])
                size += start - at
            at = max(at, end)
        starts.append(size)
        origins.append(at)
        pieces.append(text[at:])
        notes = tuple(note for _, _, note in cuts if note is not None)
        return Folded("".join(pieces), tuple(starts), tuple(origins), notes, unread, names)

    def _repeats(
        self, text: str, bounds: list[int], cuts: list[tuple[int, int, Diagnostic | None]]
    ) -> int:
        """Loops: where the text from one spelling to the next repeats a block that ends just
        there (X B B B...B Y), the copies after the second are cut (X B B Y). Every window of
        the reduced text no longer than two blocks was a window of the output. Returns where
        reading stops: after MAX_ITEMS spellings outside the loops (else the end)."""
        if len(bounds) < 3:
            return len(text)
        bounds = [*bounds, len(text)]
        fresh = 0  # spellings passed that no loop cut covers
        strings = _Strings(text)
        last_seen: dict[str, int] = {}
        budget = 4 * len(text)  # characters compared on blocks that do not repeat, at most
        k = 0
        while k < len(bounds) - 1:
            fresh += 1
            if fresh > MAX_ITEMS:
                return bounds[k]
            segment = text[bounds[k] : bounds[k + 1]]
            p = last_seen.get(segment)
            last_seen[segment] = k
            if p is None:
                k += 1
                continue
            start, length = bounds[k], bounds[k] - bounds[p]
            if not text.startswith(text[bounds[p] : bounds[p] + 64], start):
                k += 1
                continue
            budget -= length
            if budget < 0:
                return len(text)
            end = run_end = _after_copies(text, text[bounds[p] : start], start)
            # One copy more is kept (X B B Y): a token made of copies (方面方面…) must not
            # shrink to one copy, which may spell a word the whole token does not.
            start += length
            if self._quoted:
                start, end = _out_of_strings(text, strings, start, end, length)
            if end - start >= MIN_CUT:
                cuts.append(self._repeat_cut(text, start, end, (end - start) // length))
            if run_end - bounds[k] >= MIN_CUT:  # the loop is passed over whole, cut or not
                k = bisect_left(bounds, run_end)
                last_seen.clear()
                continue
            k += 1
        return len(text)

    def _repeat_cut(
        self, text: str, start: int, end: int, count: int
    ) -> tuple[int, int, Diagnostic]:
        """A run of repeated segments: the reading would give every slot named in it again, as
        a duplicate (warning), besides what its first copies gave."""
        assert self._anchors is not None
        if self._anchors.search(text, start, end) is not None:
            note = make(
                Code.DUPLICATE_ASPECT,
                start,
                end,
                f"{count:,} more copies of the text before them (a generation loop)",
                "kept the first",
            )
        else:
            note = make(
                Code.EXTRA_TEXT,
                start,
                end,
                f"{count:,} more copies of the text before them, naming no aspect",
                "read once",
                Severity.INFO,
            )
        return start, end, note

    def _junk(
        self,
        text: str,
        spans: list[tuple[int, int]],
        cuts: list[tuple[int, int, Diagnostic | None]],
        stop: int,
    ) -> None:
        """Stretches far from every spelling before `stop`, cut between piece boundaries or,
        inside a piece, where no structural character occurs."""
        taken = sorted((a, b) for a, b, _ in cuts)
        edges = [0]  # the spellings outside the loops cut, and the loops cut, in text order
        j = 0
        for start, end in spans:
            while j < len(taken) and taken[j][1] <= start:
                edges.extend(taken[j])
                j += 1
            if j < len(taken) and taken[j][0] < end:
                continue  # inside a loop that is cut
            edges.extend((start, end))
        for cut in taken[j:]:
            edges.extend(cut)
        edges.append(stop)
        strings = _Strings(text)
        for i in range(0, len(edges), 2):
            lo, hi = edges[i] + MARGIN, edges[i + 1] - MARGIN
            if hi - lo < MIN_CUT:
                continue
            found = self._between_closers(text, lo, hi, strings)
            if found is not None:
                a, b = found
                cuts.append((a, b, self._junk_note(text, a, b, "of whole pieces")))
                continue
            inert = False
            for run in self._inert.finditer(text, lo, hi):
                a, b = run.span()
                if self._joins_a_word(text, a, b) or not self._outside(strings, a):
                    continue
                cuts.append((a, b, None))
                inert = True
            if not inert:
                self._inside_nameless_piece(text, lo, hi, edges[i], edges[i + 1], strings, cuts)

    def _inside_nameless_piece(
        self,
        text: str,
        lo: int,
        hi: int,
        left: int,
        right: int,
        strings: _Strings,
        cuts: list[tuple[int, int, Diagnostic | None]],
    ) -> None:
        """A cut inside one piece in which no slot is named: whatever its colons or brackets,
        no record of it can give a label, and the pieces around it stay as they are. The
        piece must end between the spellings around the stretch (`left`, `right`), or at the
        ends of the text."""
        start = self._after_last_closer(text, left, lo)
        if start == 0 and left > 0:  # the piece reaches back over a spelling
            return
        ends = [i for i in (text.find(c, hi, right) for c in self._closers) if i >= 0]
        if not ends and right < len(text):  # it reaches on over one
            return
        if self._quoted:
            if text.find("\\", lo, hi) >= 0:
                return
            if text.count('"', lo, hi) % 2:
                hi = text.rfind('"', lo, hi)
        if hi - lo < MIN_CUT or self._joins_a_word(text, lo, hi) or not self._outside(strings, lo):
            return
        cuts.append((lo, hi, self._junk_note(text, lo, hi, "inside a piece naming no aspect")))

    def _outside(self, strings: _Strings, pos: int) -> bool:
        """JSON: whether `pos` is outside every string (text inside one, a description, is
        handed back to the user and never cut); always true for other layouts."""
        return not self._quoted or strings.outside(pos)

    @staticmethod
    def _junk_note(text: str, start: int, end: int, where: str) -> Diagnostic:
        """Text that names nothing is extra text (a warning, as the reading would give at
        least); only spaces and line breaks are a mere note."""
        blank = _BLANK.fullmatch(text, start, end) is not None
        return make(
            Code.EXTRA_TEXT,
            start,
            end,
            f"{end - start:,} characters {where}, naming no aspect and no label"
            + (" (spaces and line breaks)" if blank else ""),
            "not read piece by piece (long output)",
            Severity.INFO if blank else None,
        )

    def _between_closers(
        self, text: str, lo: int, hi: int, strings: _Strings
    ) -> tuple[int, int] | None:
        first = self._closer.search(text, lo, hi)
        if first is None:
            return None
        a = first.end()
        b = self._after_last_closer(text, a, hi)
        if b - a < MIN_CUT:
            return None
        if self._quoted and (_odd_quoting(text, a, b) or text.find("\\", a, b) >= 0):
            return None
        if self._joins_a_word(text, a, b) or not self._outside(strings, a):
            return None
        return a, b

    def _after_last_closer(self, text: str, lo: int, hi: int) -> int:
        """The position just after the last piece boundary in [lo, hi); 0 when there is none."""
        return max(text.rfind(c, lo, hi) for c in self._closers) + 1

    def _joins_a_word(self, text: str, a: int, b: int) -> bool:
        """Whether cutting [a, b) would make a spelling across the seam."""
        assert self._words is not None
        reach = self._longest
        return self._words.search(text[max(0, a - reach) : a] + text[b : b + reach]) is not None


class _Strings:
    """Whether positions of a JSON-lines text, asked in increasing order, are outside every
    string: the quotes since the line's start are counted once (unknown after a backslash)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.quotes = 0
        self.escaped = False

    def outside(self, pos: int) -> bool:
        text = self.text
        if pos < self.at:  # asked out of order: count afresh from the start of that line
            self.at, self.quotes, self.escaped = text.rfind("\n", 0, pos) + 1, 0, False
        newline = text.rfind("\n", self.at, pos)
        if newline >= 0:
            self.at, self.quotes, self.escaped = newline + 1, 0, False
        self.quotes += text.count('"', self.at, pos)
        self.escaped = self.escaped or text.find("\\", self.at, pos) >= 0
        self.at = pos
        return not self.escaped and self.quotes % 2 == 0


def _out_of_strings(
    text: str, strings: _Strings, start: int, end: int, length: int
) -> tuple[int, int]:
    """JSON: the cut of a loop's copies [start, end) moved to begin outside strings and to hold
    an even number of quotes and backslashes (whole copies still); empty when impossible."""
    if end <= start:
        return start, start
    if not strings.outside(start):  # start just after the next quote, one copy less at the end
        quote = text.find('"', start, start + length)
        if quote < 0:
            return start, start
        shift = quote + 1 - start
        start, end = start + shift, end - length + shift
        if end <= start or not strings.outside(start):
            return start, start
    if _odd_quoting(text, start, end):
        end -= length  # an odd number of copies would turn strings inside out
    return start, max(start, end)


def _odd_quoting(text: str, start: int, end: int) -> bool:
    """Whether [start, end) holds an odd number of quotes or of backslashes: cutting it would
    change which text is inside a JSON string."""
    return bool(text.count('"', start, end) % 2 or text.count("\\", start, end) % 2)


def _after_copies(text: str, block: str, pos: int) -> int:
    """Where the whole copies of `block` that follow `pos` end (galloping, C-level compares)."""
    chunk = block
    while len(chunk) <= 1 << 20 and text.startswith(chunk, pos):
        pos += len(chunk)
        chunk += chunk
    while len(chunk) > len(block):
        chunk = chunk[: len(chunk) // 2]
        if text.startswith(chunk, pos):
            pos += len(chunk)
    while text.startswith(block, pos):  # blocks over a megabyte, copy by copy
        pos += len(block)
    return pos


def _alternatives(words: Iterable[str]) -> list[str]:
    """Escaped, non-empty, longest first (so a regex alternation prefers the longest)."""
    unique = {w for w in words if w and w.strip()}
    return [re.escape(w) for w in sorted(unique, key=lambda w: (-len(w), w))]


@lru_cache(maxsize=64)
def folder(anchors: tuple[str, ...], words: tuple[str, ...], rules: FoldRules) -> Folder:
    """A Folder built once per (spellings, rules)."""
    return Folder(anchors, words, rules)
