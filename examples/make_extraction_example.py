"""Write examples/maven_generations.jsonl: 30 invented sentences (task maven-ed, design tuples).

An extraction example beside the MASA one: event detection with the MAVEN subset's ten event
types, in the paper's baseline design for it (``tuples``, the paper's ``heuristic``: one
``["type", "trigger"]`` list per line, ``[]`` for no event). The sentences are made up for
this file (none is from MAVEN). Targets are canonical outputs rendered by sdeparse.
Predictions are mostly canonical; about a third carry the slips fine-tuned models make (a
type in lower case, a repeated tuple, an answer in a code fence or in one outer array, a
``type: trigger`` line, a tuple of one element, a trigger not in the sentence, an output cut
off, an empty output) and a few are well formed but wrong (a missed event, a wrong type, an
inflected trigger the paper's soft matching accepts). Deterministic: run
``python examples/make_extraction_example.py`` to regenerate the committed file.
"""

from __future__ import annotations

import json
from pathlib import Path

import sdeparse

TASK = sdeparse.load_task("maven-ed")
DESIGN = "tuples"

# sentence, then its events (type, trigger) in the order of the text
SENTENCES: list[tuple[str, list[tuple[str, str]]]] = [
    ("The storm flooded the valley and the villagers fled to the hills.",
     [("Catastrophe", "flooded"), ("Motion", "fled")]),
    ("Rebels attacked the convoy near the border.", [("Attack", "attacked")]),
    ("The two armies clashed at dawn.", [("Hostile_encounter", "clashed")]),
    ("Heavy rain caused the collapse of the old bridge.",
     [("Causation", "caused"), ("Catastrophe", "collapse")]),
    ("The festival began on a cold Monday morning.", [("Process_start", "began")]),
    ("She won the regional chess tournament in 1998.", [("Competition", "tournament")]),
    ("The ship sailed from Lisbon to Brazil.", [("Motion", "sailed")]),
    ("Hundreds attended the wedding in the old cathedral.", [("Social_event", "wedding")]),
    ("The king was murdered by his own guards.", [("Killing", "murdered")]),
    ("The empire conquered the northern provinces within a decade.",
     [("Conquering", "conquered")]),
    ("The library is open every day except Sunday.", []),
    ("An earthquake struck the island, and the tsunami that followed killed thousands.",
     [("Catastrophe", "earthquake"), ("Catastrophe", "tsunami"), ("Killing", "killed")]),
    ("The fleet invaded the harbour and captured the city.",
     [("Attack", "invaded"), ("Conquering", "captured")]),
    ("The drought led to a famine that lasted three years.",
     [("Causation", "led to"), ("Catastrophe", "famine")]),
    ("The team travelled to Madrid for the final.",
     [("Motion", "travelled"), ("Competition", "final")]),
    ("Fighting broke out between the two factions after the election.",
     [("Hostile_encounter", "Fighting"), ("Competition", "election")]),
    ("The campaign started in the spring of 1812.", [("Process_start", "started")]),
    ("Guests gathered for the annual banquet.", [("Social_event", "banquet")]),
    ("The wildfire destroyed forty homes.", [("Catastrophe", "wildfire")]),
    ("Pirates raided the coastal towns every summer.", [("Attack", "raided")]),
    ("The river is the longest in the country.", []),
    ("The convoy moved north while the engineers repaired the road.", [("Motion", "moved")]),
    ("The siege resulted in the surrender of the fortress.",
     [("Attack", "siege"), ("Causation", "resulted in")]),
    ("The general was assassinated during the parade.",
     [("Killing", "assassinated"), ("Social_event", "parade")]),
    ("The knights stormed the castle and seized the throne.",
     [("Attack", "stormed"), ("Conquering", "seized")]),
    ("The marathon starts at nine.", [("Competition", "marathon")]),
    ("The hurricane forced thousands to leave their homes.",
     [("Catastrophe", "hurricane"), ("Causation", "forced"), ("Motion", "leave")]),
    ("Border guards fought with smugglers on the bridge.", [("Hostile_encounter", "fought")]),
    ("The reforms began after the revolution.",
     [("Process_start", "began"), ("Hostile_encounter", "revolution")]),
    ("Delegates met at the summit in Geneva.", [("Social_event", "summit")]),
]

INSTRUCTION = (
    "We define the event types set: " + ", ".join(TASK.type_names) + ". Given a sentence, "
    "detect the events it contains and extract their trigger words. Answer with one "
    '["event_type", "trigger_word"] per line; if no event exists, answer []. '
)


def tuples(pairs: list[tuple[str, str]]) -> str:
    return sdeparse.render(pairs, TASK, DESIGN)


def _slip(one: int, events: list[tuple[str, str]], target: str) -> str:
    """The prediction for sentence `one` (1-based): the target, or a typical slip of it."""
    if one == 2:  # the type in lower case
        return target.replace('"Attack"', '"attack"')
    if one == 4:  # a missed event (well formed)
        return tuples(events[:1])
    if one == 7:  # an inflected trigger: not in the sentence; the paper's soft match takes it
        return tuples([("Motion", "sails")])
    if one == 9:  # the wrong type (well formed)
        return tuples([("Attack", "murdered")])
    if one == 12:  # a tuple repeated
        return target + "\n" + tuples(events[-1:])
    if one == 13:  # a code fence around the answer
        return "```\n" + target + "\n```"
    if one == 15:  # one outer array
        return "[" + ", ".join(target.split("\n")) + "]"
    if one == 18:  # a type: trigger line
        return "Social_event: banquet"
    if one == 20:  # a tuple of one element after the answer
        return target + '\n["Attack"]'
    if one == 21:  # an event invented where there is none (well formed)
        return tuples([("Motion", "flows")])
    if one == 23:  # cut off inside the last trigger (token limit)
        return target[: target.rindex("in") + 2]
    if one == 26:  # the empty output
        return ""
    if one == 27:  # an extra trigger of the wrong type (well formed)
        return target + "\n" + tuples([("Killing", "forced")])
    return target


def build() -> list[dict[str, str]]:
    """The records, in order."""
    records = []
    for one, (sentence, events) in enumerate(SENTENCES, 1):
        target = tuples(events)
        records.append(
            {
                "prompt": f"{INSTRUCTION}The sentence is: {sentence} Output: ",
                "target": target,
                "prediction": _slip(one, events, target),
            }
        )
    return records


def main() -> None:
    path = Path(__file__).with_name("maven_generations.jsonl")
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in build():
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
