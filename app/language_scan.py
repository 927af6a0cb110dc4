"""The emotive language scan: finds labels, slang, opinion given as fact, blame, victim-blaming, care-system
jargon and euphemisms for restrictive practice in free text, and suggests neutral wording. Offline and pure.

The words live in a curated, versioned data file (`app/data/emotive_lexicon.json`, read once on first use);
this module owns turning it into a matcher and scanning text with it. It suggests and never rewrites:
`replace` is what the one-tap "use this wording" calls, with the writer's choice.

Matching: case-insensitive, on whole words; a phrase matches across spaces, line breaks or a hyphen
("kicked off", "kicked-off"), with an intensifier inside ("went absolutely mental") or, where the data puts a
`*`, any one word ("supported Amy to the floor"); the longest phrase starting at a word wins and flags never
overlap. Near-misses
are handled in the data: "allow" phrases ("guided reading", "work placement", "contact details") take the
words they cover out of the scan, and an entry may require or forbid words just before or after it, or
require a word in the same sentence (e.g. "consented" only beside words about sex or older men).

Quotes: words inside a quotation of what someone said ("…", “…”, ‘…’, '…') are still flagged with their
category, but with `quoted=True`: they are the speaker's words, which a record should keep as said, not the
writer's language. The screens show them apart and offer no replacement for them.

`score` measures the scan against a labelled set (the test suite and `bench/language_scan.py` use it).

    python -m app.language_scan [FILE ...]    # stdin when no file; one JSON object per flag per line
"""

from __future__ import annotations

import functools
import itertools
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["CATEGORIES", "Flag", "Lexicon", "Score", "lexicon", "replace", "scan", "score"]

# A word: letters/digits with inner apostrophes ("mum's", "didn't"); hyphens split words, so "kicked-off"
# is two words joined by a hyphen.
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# What may join the words of one phrase: whitespace (a line break included) or a hyphen, nothing else.
_JOIN = re.compile(r"\s+|\s*[-‐‑–]\s*")
_SENTENCE_END = re.compile(r"[.!?;:]\s|\n")
_QUOTE_OR_LINE = re.compile("[\"“”‘’'\n]")


@dataclass(frozen=True)
class Flag:
    """One flagged phrase: `text[start:end] == phrase`; offsets are character (not byte) offsets."""

    start: int
    end: int
    phrase: str
    category: str
    alternatives: tuple[str, ...]
    rationale: str
    quoted: bool = False
    term: str = ""
    source: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "phrase": self.phrase,
            "category": self.category,
            "alternatives": list(self.alternatives),
            "quoted": self.quoted,
        }


_Seqs = dict[str, tuple[tuple[str, ...], ...]]  # word sequences, indexed by the word the check looks at first


@dataclass(frozen=True)
class _Context:
    preceded_by: _Seqs = field(default_factory=dict)  # by last word
    followed_by: _Seqs = field(default_factory=dict)  # by first word
    sentence_has: _Seqs = field(default_factory=dict)  # by first word

    def __bool__(self) -> bool:
        return bool(self.preceded_by or self.followed_by or self.sentence_has)


@dataclass(frozen=True)
class _Entry:
    term: str
    category: str  # "" for an allow phrase
    alternatives: tuple[str, ...] = ()
    rationale: str = ""
    source: str = ""
    requires: _Context = field(default_factory=_Context)
    unless: _Context = field(default_factory=_Context)


@dataclass
class Lexicon:
    """The loaded data file: metadata plus a trie of word sequences → entries (in file order)."""

    version: str
    reviewed: str
    categories: dict[str, dict[str, str]]
    sources: dict[str, str]
    entries: list[_Entry]
    trie: dict[str, Any]
    skippable: frozenset[str]  # intensifiers that may sit inside a phrase ("went absolutely mental")
    forms: int  # how many word sequences the entries and allow phrases expand to


# --------------------------------------------------------------------------- loading the data file


def _norm(word: str) -> str:
    return word.lower().replace("’", "'")


def _verb_forms(base: str, irregular: dict[str, list[str]]) -> list[str]:
    """base, -s, -ed, -ing of a regular English verb (or the irregular forms the data file lists)."""
    if base in irregular:
        return [base, *irregular[base]]
    vowels = "aeiou"
    if base.endswith("e") and not base.endswith("ee"):
        return [base, base + "s", base + "d", base[:-1] + "ing"]
    if base.endswith("y") and len(base) > 1 and base[-2] not in vowels:
        return [base, base[:-1] + "ies", base[:-1] + "ied", base + "ing"]
    if base.endswith(("s", "x", "z", "ch", "sh")):
        return [base, base + "es", base + "ed", base + "ing"]
    # one syllable ending consonant-vowel-consonant doubles its last letter (drop → dropped)
    if (
        len(base) <= 4
        and len(base) >= 3
        and base[-1] not in vowels + "wxy"
        and base[-2] in vowels
        and base[-3] not in vowels
    ):
        return [base, base + "s", base + base[-1] + "ed", base + base[-1] + "ing"]
    return [base, base + "s", base + "ed", base + "ing"]


def _plural(noun: str) -> str:
    if noun.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and len(noun) > 1 and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


@functools.lru_cache(maxsize=4096)
def _words(phrase: str) -> tuple[str, ...]:
    return tuple(_norm(w) for w in _WORD.findall(phrase))


def _expand(phrase: str, sets: dict[str, list[str]]) -> list[tuple[str, ...]]:
    """Word sequences a phrase stands for: `@set` is any member of a word set, `*` any one word; a trailing `?`
    makes either optional."""
    choices: list[list[tuple[str, ...]]] = []
    for word in phrase.split():
        if word.rstrip("?") == "*":  # any one word (a name, say)
            choices.append([("*",), ()] if word.endswith("?") else [("*",)])
        elif word.startswith("@"):
            name = word[1:].rstrip("?")
            options = [_words(member) for member in sets[name]]
            if word.endswith("?"):
                options.append(())
            choices.append(options)
        else:
            choices.append([_words(word)])
    return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*choices)]


def _term_forms(spec: dict[str, Any], sets: dict[str, list[str]], irregular: dict[str, list[str]]) -> set[str]:
    """The written forms of an entry: its term inflected as the data says, plus its variants."""
    term = spec["term"]
    head = term.partition(" ")[0]
    inflect = spec.get("inflect")
    variants = set(spec.get("variants", ()))
    if inflect == "verb":
        # the verb is inflected in the term and in every variant that starts with it ("support * to @rp_dest")
        forms = set()
        for phrase in {term} | {v for v in variants if v.split(" ")[0] == head}:
            tail = phrase.partition(" ")[2]
            forms |= {" ".join(filter(None, (form, tail))) for form in _verb_forms(head, irregular)}
    elif inflect == "noun":
        *first, last = term.split(" ")
        forms = {term, " ".join([*first, _plural(last)])}
    else:
        forms = {term}
    return forms | variants


def _context(spec: dict[str, Any] | None, sets: dict[str, list[str]]) -> _Context:
    if not spec:
        return _Context()

    def seqs(key: str, index: int) -> _Seqs:
        found: dict[str, list[tuple[str, ...]]] = {}
        for phrase in spec.get(key, ()):
            for seq in _expand(phrase, sets):
                if seq:
                    found.setdefault(seq[index], []).append(seq)
        return {word: tuple(group) for word, group in found.items()}

    return _Context(seqs("preceded_by", -1), seqs("followed_by", 0), seqs("sentence_has", 0))


def _load(data: dict[str, Any]) -> Lexicon:
    sets: dict[str, list[str]] = data.get("word_sets", {})
    irregular: dict[str, list[str]] = data.get("irregular_verbs", {})
    categories: dict[str, dict[str, str]] = data["categories"]
    trie: dict[str, Any] = {}
    entries: list[_Entry] = []
    forms = 0

    def add(words: tuple[str, ...], entry: _Entry) -> None:
        node = trie
        for word in words:
            node = node.setdefault(word, {})
        node.setdefault("", []).append(entry)

    specs = [(spec, "") for spec in data.get("allow", ())] + [(spec, spec["category"]) for spec in data["entries"]]
    for spec, category in specs:
        if category and category not in categories:
            raise ValueError(f"lexicon: {spec['term']!r} has an unknown category {category!r}")
        entry = _Entry(
            term=spec["term"],
            category=category,
            alternatives=tuple(spec.get("alternatives", ())),
            rationale=spec.get("rationale", ""),
            source=data.get("sources", {}).get(spec.get("source", ""), spec.get("source", "")),
            requires=_context(spec.get("requires"), sets),
            unless=_context(spec.get("unless"), sets),
        )
        if category and not (entry.alternatives and entry.rationale):
            raise ValueError(f"lexicon: {spec['term']!r} needs alternatives and a rationale")
        entries.append(entry)
        for written in _term_forms(spec, sets, irregular):
            for words in _expand(written, sets):
                add(words, entry)
                forms += 1
    return Lexicon(
        version=data["version"],
        reviewed=data["reviewed"],
        categories=categories,
        sources=data.get("sources", {}),
        entries=[e for e in entries if e.category],
        trie=trie,
        skippable=frozenset(data.get("skippable", ())),
        forms=forms,
    )


@functools.cache
def lexicon() -> Lexicon:
    """The shipped lexicon, loaded once."""
    text = resources.files("app").joinpath("data").joinpath("emotive_lexicon.json").read_text(encoding="utf-8")
    return _load(json.loads(text))


CATEGORIES: tuple[str, ...] = (
    "label",
    "slang",
    "judgement",
    "blame",
    "victim_blaming",
    "jargon",
    "restrictive_practice",
)


# --------------------------------------------------------------------------- scanning


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Spans of text inside quotation marks. A straight or curly single quote between two letters is an
    apostrophe (don't, mum’s), and a closing single quote after an "s" at a word's end may be one too (the
    boys' room): it closes a quote only if one is open. A straight double quote after a digit is inches (5'10"),
    and a quote left open ends with its line, so one stray mark cannot turn the rest of a record into a quote."""
    spans: list[tuple[int, int]] = []
    opener: str | None = None
    start = 0
    closers = {'"': '"', "“": "”", "‘": "’", "'": "'"}
    for mark in _QUOTE_OR_LINE.finditer(text):
        i, ch = mark.start(), mark.group()
        before = text[i - 1] if i else " "
        after = text[i + 1] if i + 1 < len(text) else " "
        if opener is None:
            double = (ch == '"' and not before.isdigit()) or ch == "“"
            single = ch in "'‘" and not before.isalnum() and after.strip() and after not in "'’"
            if double or single:
                opener, start = ch, i + 1
        elif ch == "\n":
            spans.append((start, i))
            opener = None
        elif ch == closers[opener] or (opener == '"' and ch == "”") or (opener == "“" and ch == '"'):
            if ch in "'’" and before.isalnum() and after.isalnum():
                continue  # an apostrophe inside a quoted word
            spans.append((start, i))
            opener = None
    if opener is not None:
        spans.append((start, len(text)))
    return spans


def _tokens(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """(start, end) of every word, and the words as matched (lower case, curly apostrophes straightened)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    lowered = text.lower()
    words: list[str] = []
    if len(lowered) == len(text):  # lower() kept every offset (it does, but for a few letters like 'İ')
        words = _WORD.findall(_norm(lowered) if "’" in lowered else lowered)
    if len(words) != len(spans):
        words = [_norm(text[a:b]) for a, b in spans]
    return spans, words


class _Scanner:
    def __init__(self, text: str, lex: Lexicon) -> None:
        self.text = text
        self.lex = lex
        self.tokens, self.words = _tokens(text)
        self.quotes = _quoted_spans(text) if any(q in text for q in "\"“'‘") else []
        self._sentence_of: list[tuple[int, int]] | None = None

    def joined(self, i: int) -> bool:
        """Whether word i+1 follows word i as part of the same phrase (only spaces or one hyphen between)."""
        start, end = self.tokens[i][1], self.tokens[i + 1][0]  # the gap between the two words
        if end - start == 1:  # the usual case: one space or one hyphen
            gap = self.text[start]
            return gap.isspace() or gap in "-‐‑–"
        return _JOIN.fullmatch(self.text, start, end) is not None

    def _seq_at(self, seq: tuple[str, ...], i: int) -> bool:
        if i < 0 or i + len(seq) > len(self.words):
            return False
        return all(want in ("*", have) for want, have in zip(seq, self.words[i : i + len(seq)], strict=True))

    def _sentence(self, i: int) -> tuple[int, int]:
        """Token range [a, b) of the sentence holding token i (sentences end at . ! ? ; : or a line break)."""
        if self._sentence_of is None:
            ends = [m.start() for m in _SENTENCE_END.finditer(self.text)] + [len(self.text)]
            bounds: list[int] = []  # token index where each sentence starts
            sentence_ids: list[int] = []
            k = 0
            for t, (start, _) in enumerate(self.tokens):
                if not bounds or start > ends[k]:
                    while start > ends[k]:
                        k += 1
                    bounds.append(t)
                sentence_ids.append(len(bounds) - 1)
            bounds.append(len(self.tokens))
            self._sentence_of = [(bounds[n], bounds[n + 1]) for n in sentence_ids]
        return self._sentence_of[i]

    def _run(self, i: int, j: int) -> bool:
        """Whether words i..j-1 run on as one phrase (no punctuation between them)."""
        return all(self.joined(k) for k in range(i, j - 1))

    def _holds(self, ctx: _Context, i: int, j: int) -> bool:
        """Words just before or after count only if they run on into the match ("had contact", not "had,
        contact"); words of the sentence count anywhere in it."""
        words = self.words
        if i > 0 and any(
            self._seq_at(seq, i - len(seq)) and self._run(i - len(seq), i + 1)
            for key in (words[i - 1], "*")
            for seq in ctx.preceded_by.get(key, ())
        ):
            return True
        if j < len(words) and any(
            self._seq_at(seq, j) and self._run(j - 1, j + len(seq))
            for key in (words[j], "*")
            for seq in ctx.followed_by.get(key, ())
        ):
            return True
        if ctx.sentence_has:
            a, b = self._sentence(i)
            return any(self._seq_at(seq, k) for k in range(a, b) for seq in ctx.sentence_has.get(words[k], ()))
        return False

    def _fits(self, entry: _Entry, i: int, j: int) -> bool:
        if entry.requires and not self._holds(entry.requires, i, j):
            return False
        return not (entry.unless and self._holds(entry.unless, i, j))

    def _candidates(self, i: int) -> list[tuple[int, list[_Entry]]]:
        """(end token, entries) for every phrase starting at word i, longest first. Inside a phrase, `*` in the
        data matches any word and an intensifier of the text may be passed over."""
        found: list[tuple[int, list[_Entry]]] = []
        skippable = self.lex.skippable

        def walk(node: dict[str, Any], j: int, may_end: bool) -> None:
            if may_end and "" in node:
                found.append((j, node[""]))
            if j >= len(self.words) or not self.joined(j - 1):
                return
            word = self.words[j]
            for key in (word, "*"):
                if key in node:
                    walk(node[key], j + 1, True)
            if word in skippable and len(node) > ("" in node):
                walk(node, j + 1, False)

        start = self.lex.trie.get(self.words[i])
        if start is not None:
            walk(start, i + 1, True)
        found.sort(key=lambda hit: -hit[0])  # stable: at one length, the data's order
        return found

    def _quoted(self, start: int, end: int) -> bool:
        return any(a <= start and end <= b for a, b in self.quotes)

    def _may_match(self, node: dict[str, Any], i: int) -> bool:
        """A cheap first look: word i ends a phrase, or the next word can carry one on."""
        if "" in node:
            return True
        if i + 1 >= len(self.words):
            return False
        after = self.words[i + 1]
        return (after in node or "*" in node or after in self.lex.skippable) and self.joined(i)

    def flags(self) -> list[Flag]:
        out: list[Flag] = []
        trie = self.lex.trie
        taken = 0  # words before this are inside an earlier match
        # most words start no phrase: visit only those that do
        for i in [k for k, word in enumerate(self.words) if word in trie]:
            if i < taken or not self._may_match(trie[self.words[i]], i):
                continue
            match = next(
                ((j, e) for j, entries in self._candidates(i) for e in entries if self._fits(e, i, j)),
                None,
            )
            if match is None:
                continue
            j, entry = match
            if entry.category:  # an allow phrase only takes its words out of the scan
                start, end = self.tokens[i][0], self.tokens[j - 1][1]
                out.append(
                    Flag(
                        start=start,
                        end=end,
                        phrase=self.text[start:end],
                        category=entry.category,
                        alternatives=entry.alternatives,
                        rationale=entry.rationale,
                        quoted=self._quoted(start, end),
                        term=entry.term,
                        source=entry.source,
                    )
                )
            taken = j
        return out


def scan(text: str) -> list[Flag]:
    """Every flagged phrase in `text`, in order, never overlapping."""
    return _Scanner(text, lexicon()).flags()


@functools.cache
def _placeholders() -> frozenset[str]:
    return frozenset(
        alternative
        for entry in lexicon().entries
        for alternative in entry.alternatives
        if alternative.startswith("[") and alternative.endswith("]")
    )


def placeholders_left(text: str) -> list[str]:
    """The suggestions' blanks still in `text` ("[describe what they did]"): an alternative of that kind asks
    the writer to put what happened in its place, and a record must not be saved with the blank in it."""
    return sorted(p for p in _placeholders() if p in text)


#: "was", "is really", "were being so"... just before a flagged word: an alternative that brings its own verb
#: takes their place ("Sam was really naughty" becomes "Sam did not follow the instruction", not "Sam was
#: really did not follow the instruction")
_COPULA_BEFORE = re.compile(
    r"\b(?:was|were|is|are|am|been|being)(?:\s+(?:really|very|so|quite|extremely|being|a\s+bit|rather))*\s+$",
    re.IGNORECASE,
)
#: the first words of the alternatives that bring their own verb, besides a regular past tense ("shouted")
_FINITE = frozenset((
    "did", "didn't", "was", "were", "is", "are", "has", "had", "can", "seemed", "became", "said", "held", "found",
    "left", "went", "hit", "swore", "threw", "gave", "ran", "spoke", "showed", "took", "got", "brought", "lost",
    "needs", "likes", "finds", "wanted", "appeared",
))  # fmt: skip


def _brings_its_verb(choice: str) -> bool:
    first = choice.split(maxsplit=1)[0].casefold() if choice.strip() else ""
    return first in _FINITE or (first.endswith("ed") and len(first) > 4)


def replace(text: str, flag: Flag, choice: str) -> str:
    """`text` with the flagged span replaced by `choice` (the writer's pick). The flag must come from this text:
    if the span no longer holds the phrase (the text changed since the scan), nothing is replaced. A choice that
    brings its own verb replaces the "was (really)" before the span too (`_COPULA_BEFORE`).
    Tested in tests/app/test_language_scan.py."""
    if text[flag.start : flag.end] != flag.phrase:
        raise ValueError("the text has changed since it was checked; check it again")
    start = flag.start
    before = _COPULA_BEFORE.search(text, 0, start)
    if before is not None and _brings_its_verb(choice):
        start = before.start()
    return text[:start] + choice + text[flag.end :]


# --------------------------------------------------------------------------- measuring against a labelled set


@dataclass(frozen=True)
class Score:
    """Phrase-span precision and recall: a flag is correct if its span overlaps an expected phrase of the same
    category; an expected phrase is found if some correct flag overlaps it."""

    correct: int
    flagged: int
    found: int
    expected: int

    @property
    def precision(self) -> float:
        return self.correct / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(samples: Iterable[tuple[str, list[dict[str, Any]]]]) -> Score:
    """Score `scan` over (text, expected) pairs; each expected item has start, end and category."""
    correct = flagged = found = expected = 0
    for text, wanted in samples:
        hit: set[int] = set()
        for flag in scan(text):
            flagged += 1
            overlaps = {
                k
                for k, want in enumerate(wanted)
                if want["category"] == flag.category and flag.start < want["end"] and want["start"] < flag.end
            }
            correct += bool(overlaps)
            hit |= overlaps
        found += len(hit)
        expected += len(wanted)
    return Score(correct, flagged, found, expected)


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    """`python -m app.language_scan [FILE ...]`: flags as JSON lines, offsets into each input."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m app.language_scan",
        description="Flag emotive language in records, templates or policies (one JSON object per flag per line; "
        "offsets are character offsets into each input). Reads standard input when no file is given.",
    )
    parser.add_argument("files", nargs="*", metavar="FILE")
    args = parser.parse_args(argv)
    inputs: list[tuple[str, str]] = []
    for name in args.files:
        try:
            with open(name, encoding="utf-8") as handle:
                inputs.append((name, handle.read()))
        except FileNotFoundError:
            print(f"language_scan: no such file: {name}", file=sys.stderr)
            return 2
        except (OSError, UnicodeDecodeError) as exc:
            print(f"language_scan: cannot read {name}: {exc}", file=sys.stderr)
            return 2
    if not args.files:
        inputs.append(("-", sys.stdin.read()))
    several = len(inputs) > 1
    for name, text in inputs:
        for flag in scan(text):
            record = flag.as_json()
            if several:
                record["file"] = name
            print(json.dumps(record, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
