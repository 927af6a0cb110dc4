"""The emotive language scan (`app/language_scan.py`) against its labelled set, and its contract: word forms,
hyphens, longest match, near-misses, quotes, exact character offsets, `replace`, and the command line."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.language_scan import CATEGORIES, Flag, lexicon, placeholders_left, replace, scan, score

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "emotive_language.jsonl"


def labelled() -> list[dict]:
    return [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]


def spans(text: str) -> list[tuple[str, str]]:
    return [(f.phrase, f.category) for f in scan(text)]


# --------------------------------------------------------------------------- the labelled set


def test_the_labelled_set_is_large_varied_and_consistent():
    samples = labelled()
    assert len(samples) >= 300
    clean = [s for s in samples if not s["expected"]]
    assert len(clean) >= 100, "many clean sentences and near-misses"
    assert {e["category"] for s in samples for e in s["expected"]} == set(CATEGORIES)
    assert any(e["quoted"] for s in samples for e in s["expected"])
    for sample in samples:
        for want in sample["expected"]:
            assert sample["text"][want["start"] : want["end"]] == want["phrase"], sample


def test_precision_and_recall_over_the_labelled_set_are_at_least_0_9():
    result = score((s["text"], s["expected"]) for s in labelled())
    assert result.precision >= 0.9, result
    assert result.recall >= 0.9, result


def test_score_counts_a_flag_of_the_wrong_category_or_place_as_wrong():
    text = "He kicked off."
    assert score([(text, [{"start": 3, "end": 13, "category": "slang"}])]).f1 == 1.0
    wrong_category = score([(text, [{"start": 3, "end": 13, "category": "label"}])])
    assert (wrong_category.precision, wrong_category.recall) == (0.0, 0.0)
    missed = score([("He was fine.", [{"start": 7, "end": 11, "category": "label"}])])
    assert (missed.precision, missed.recall) == (1.0, 0.0)


# --------------------------------------------------------------------------- the lexicon


def test_the_lexicon_is_versioned_reviewed_and_every_entry_is_complete():
    lex = lexicon()
    assert lex.version.count(".") == 2
    assert dt.date.fromisoformat(lex.reviewed) <= dt.date.today()
    assert len(lex.entries) >= 100
    assert {e.category for e in lex.entries} == set(CATEGORIES) == set(lex.categories)
    for entry in lex.entries:
        assert entry.alternatives and all(a.strip() for a in entry.alternatives), entry.term
        assert len(entry.rationale) > 20, entry.term
        assert entry.source, entry.term


def test_flags_carry_category_alternatives_rationale_and_source():
    (flag,) = scan("Staff used a supportive hold.")
    assert flag.category == "restrictive_practice"
    assert flag.alternatives and "[" in flag.alternatives[0]  # the writer fills in what was done
    assert "hold" in flag.rationale and "Regulations" in flag.source


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    "text",
    [
        "He kick off every morning.",
        "He kicks off when the bell goes.",
        "He kicked off at lunch.",
        "He is kicking off again.",
        "He kicked-off at lunch.",
        "He KICKED OFF at lunch.",
        "He kicked\noff at lunch.",
        "He kicked - off at lunch.",
    ],
)
def test_word_forms_case_hyphens_and_line_breaks(text: str):
    ((phrase, category),) = spans(text)
    assert category == "slang" and phrase.lower().replace("\n", " ").startswith("kick")


def test_words_must_be_whole_and_joined_only_by_spaces_or_a_hyphen():
    assert spans("The rudeness lesson") == [("rudeness", "label")]
    assert spans("A crude drawing and a prudent choice.") == []  # 'rude' inside other words
    assert spans("He kicked. Off he went.") == []  # a full stop breaks the phrase
    assert spans("He kicked, off he went.") == []


def test_inflections_of_irregular_verbs_and_plurals():
    assert spans("She went mental.") == [("went mental", "slang")]
    assert spans("She is losing it.") == [("losing it", "slang")]
    assert spans("Three meltdowns this week.") == [("meltdowns", "slang")]
    assert spans("They are putting themselves at risk.") == [("putting themselves at risk", "victim_blaming")]


def test_longest_match_wins_and_flags_never_overlap():
    assert spans("The placement was discussed.") == [("placement", "jargon")]
    assert spans("The placement breakdown was discussed.") == [("placement breakdown", "jargon")]
    assert spans("She threw a temper tantrum.") == [("temper tantrum", "slang")]
    flags = scan("He was attention-seeking and attention seeking and an attention seeker.")
    assert [f.phrase for f in flags] == ["attention-seeking", "attention seeking", "attention seeker"]
    for sample in labelled():
        flags = scan(sample["text"])
        for earlier, later in itertools.pairwise(flags):
            assert earlier.end <= later.start, sample["text"]


def test_intensifiers_and_names_inside_a_phrase():
    assert spans("She went absolutely mental.") == [("went absolutely mental", "slang")]
    assert spans("Staff supported Amy to the floor.") == [("supported Amy to the floor", "restrictive_practice")]


@pytest.mark.parametrize(
    "text",
    [
        "He kicked the ball.",
        "The match kicked off at 2pm.",
        "We kicked off the lesson with a quiz.",
        "Ollie kicked off his shoes.",
        "The class did guided reading.",
        "Mrs Ahmed guided the group through the experiment.",
        "Tia is on a work placement at the garage.",
        "Please update her contact details.",
        "He made contact with the ball.",
        "I will contact mum after school.",
        "He made eye contact and smiled.",
        "He has a diagnosis of oppositional defiant disorder.",
        "Persistent disruptive behaviour was the reason recorded.",
        "She lost her phone and thinks she lost it on the bus.",
        "Parents consented to the residential trip.",
        "He spoke clearly and calmly.",
        "She used her time out card and went to the library.",
        "The restraint policy was reviewed by governors.",
        "He had a nightmare last night.",
        "She held her mum's hand to cross the road.",
    ],
)
def test_near_misses_are_clean(text: str):
    assert spans(text) == []


def test_context_decides_near_misses():
    assert spans("Contact with mum was cancelled.") == [("Contact", "jargon")]
    assert spans("She had contact on Saturday.") == [("contact", "jargon")]
    assert spans("She was guided to the quiet room.") == [("guided", "restrictive_practice")]
    assert spans("She consented to sex with a 24-year-old man.") == [("consented", "victim_blaming")]
    assert spans("The men said she chose to go with them.") == [("chose to", "victim_blaming")]
    assert spans("She chose to sit near the door.") == []
    assert spans("He refused to come in.") == [("refused", "judgement")]
    assert spans("She was refused entry to the disco.") == []  # an adult's decision, not the child's
    assert spans("Ask what he had. Contact the office if unsure.") == []  # context does not cross punctuation


# --------------------------------------------------------------------------- quotes


@pytest.mark.parametrize(
    "text",
    [
        'He said "I kicked off because of him" and cried.',
        "He said “I kicked off because of him” and cried.",
        "He said ‘I kicked off because of him’ and cried.",
        "He said 'I kicked off because of him' and cried.",
    ],
)
def test_words_in_a_quotation_are_flagged_as_quoted_with_their_category(text: str):
    (flag,) = scan(text)
    assert (flag.phrase, flag.category, flag.quoted) == ("kicked off", "slang", True)


def test_apostrophes_do_not_open_a_quotation():
    flags = scan("He didn't listen and the boys' teacher said he kicked off; it's Sam's view.")
    assert [(f.phrase, f.quoted) for f in flags] == [("kicked off", False)]
    flags = scan("Mum said it’s fine. He’s been rude.")
    assert [(f.phrase, f.quoted) for f in flags] == [("rude", False)]


def test_a_stray_quote_mark_does_not_make_the_rest_a_quotation():
    assert [(f.phrase, f.quoted) for f in scan("He is 5'10\" tall and was violent.")] == [("violent", False)]
    text = 'She said "leave me alone and ran off.\nLater she was violent.'
    assert [(f.phrase, f.quoted) for f in scan(text)] == [("violent", False)]


def test_writer_words_after_a_closed_quote_are_not_quoted():
    flags = scan('She said "I\'m not naughty" but she was clearly upset.')
    assert [(f.phrase, f.quoted) for f in flags] == [("naughty", True), ("clearly", False)]


# --------------------------------------------------------------------------- offsets and replace


def test_offsets_are_exact_character_offsets_after_non_ascii_text():
    text = "Zoë’s café — “naïve” 😀 résumé: Siân kicked-off at 09:10 and was restrained."
    flags = scan(text)
    assert [f.phrase for f in flags] == ["kicked-off", "restrained"]
    for flag in flags:
        assert text[flag.start : flag.end] == flag.phrase
    assert flags[0].start == text.index("kicked-off")
    assert flags[1].end == text.index(".", flags[1].start)


def test_replace_puts_the_choice_in_that_span_only():
    text = "Jayden kicked off in maths. Later he kicked off again."
    first, second = scan(text)
    assert replace(text, second, "became upset") == "Jayden kicked off in maths. Later he became upset again."
    assert replace(text, first, "shouted") == "Jayden shouted in maths. Later he kicked off again."
    assert scan(text) == [first, second]  # scanning suggests; it never changes the text


@pytest.mark.parametrize(
    ("text", "choice", "replaced"),
    [
        (
            "Sam was really naughty in maths.",
            "did not follow the instruction",
            "Sam did not follow the instruction in maths.",
        ),
        ("He is very defiant today.", "said no", "He said no today."),
        ("She was aggressive.", "raised their voice", "She raised their voice."),
        (
            "Sam was upset and naughty.",
            "did not follow the instruction",
            "Sam was upset and did not follow the instruction.",
        ),
        # a blank or an adjective keeps the "was" it needs
        (
            "Sam was really naughty in maths.",
            "[describe what they did]",
            "Sam was really [describe what they did] in maths.",
        ),
    ],
)
def test_a_choice_with_its_own_verb_takes_the_place_of_was(text: str, choice: str, replaced: str):
    [flag] = scan(text)
    assert choice in flag.alternatives
    assert replace(text, flag, choice) == replaced


def test_replace_refuses_a_flag_from_different_text():
    flag = Flag(start=0, end=4, phrase="rude", category="label", alternatives=("swore",), rationale="r")
    with pytest.raises(ValueError, match="changed"):
        replace("Polite and kind.", flag, "swore")


# --------------------------------------------------------------------------- command line


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.language_scan", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_cli_on_a_file_prints_one_json_object_per_flag(tmp_path: Path):
    text = "Zoë was violent.\nStaff used positive handling and she had a meltdown.\n"
    path = tmp_path / "record.txt"
    path.write_text(text, encoding="utf-8")
    result = run_cli(str(path))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["phrase"], o["category"]) for o in lines] == [
        ("violent", "label"),
        ("positive handling", "restrictive_practice"),
        ("meltdown", "slang"),
    ]
    for o in lines:
        assert text[o["start"] : o["end"]] == o["phrase"]
        assert o["alternatives"] and {"start", "end", "phrase", "category", "alternatives"} <= set(o)


def test_cli_reads_stdin_when_no_file_is_given():
    result = run_cli(stdin="He kicked the ball. He kicked off.")
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert json.loads(line) | {"alternatives": []} == {
        "start": 23,
        "end": 33,
        "phrase": "kicked off",
        "category": "slang",
        "alternatives": [],
        "quoted": False,
    }


def test_cli_clean_input_prints_nothing():
    result = run_cli(stdin="He kicked the ball and scored.")
    assert (result.returncode, result.stdout) == (0, "")


def test_cli_missing_file_is_a_clear_error(tmp_path: Path):
    missing = tmp_path / "nope.txt"
    result = run_cli(str(missing))
    assert result.returncode == 2
    assert "no such file" in result.stderr and str(missing) in result.stderr
    assert result.stdout == ""


def test_importing_the_scan_or_its_screen_control_loads_nothing():
    """The lexicon is read on the first check, not when the app (or a form with long fields) starts."""
    probe = "import app.language_scan as m, screens.language_check; print(m.lexicon.cache_info().currsize)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    assert result.stdout.strip() == "0"


def test_a_suggestions_blank_left_in_the_text_is_found():
    assert placeholders_left("Ada [describe what they did] at lunch") == ["[describe what they did]"]
    assert placeholders_left("Ada [said no] at lunch, [describe what was said and done]") == [
        "[describe what was said and done]"  # only the lexicon's own blanks: brackets a writer typed are theirs
    ]
    assert placeholders_left("Ada did not follow the instruction") == []
