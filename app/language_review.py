"""The gentle language check once before submit (issue #12 §1): when a long-text form is submitted, the emotive
language scan runs over its fields, and what it finds that the writer has not already seen — under "Check
language", or in this check before — is shown once, to review or submit anyway. It never blocks twice: once
shown for a form, its next submit goes through. Quoted words (someone's own) are never raised here. A
suggestion's blank ("[describe what they did]") left in the text is different: it stops every submit until
it is filled in (`blanks_left`), or a record would say "[describe what they did]" to everyone it reaches.

What was seen is remembered for the unlocked session only, in memory, as field names and flagged phrases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.language_scan import Flag, placeholders_left, scan


@dataclass(frozen=True)
class FieldFlag:
    """One flag found before submit, in the field it was found in (`label`: the field's label)."""

    field: str
    label: str
    flag: Flag


def _key(field: str, flag: Flag) -> tuple[str, str, str]:
    return field, flag.phrase.casefold(), flag.category


class LanguageReview:
    """Which flags the writer has seen, per form (a draft's or a record's id), for one unlocked session."""

    def __init__(self) -> None:
        self._seen: dict[str, set[tuple[str, str, str]]] = {}
        self._asked: set[str] = set()

    def saw(self, form: str, field: str, flags: Iterable[Flag]) -> None:
        """The writer was shown these flags of `field` (they pressed "Check language")."""
        self._seen.setdefault(form, set()).update(_key(field, flag) for flag in flags)

    def before_submit(self, form: str, texts: Mapping[str, str], labels: Mapping[str, str]) -> list[FieldFlag]:
        """The flags in `texts` (field -> text) the writer has not seen, to show once; none if they were shown
        this check for `form` already. Whatever is returned counts as seen from now on."""
        if form in self._asked:
            return []
        seen = self._seen.setdefault(form, set())
        found = [
            FieldFlag(field, labels.get(field, field), flag)
            for field, text in texts.items()
            for flag in scan(text or "")
            if not flag.quoted and _key(field, flag) not in seen
        ]
        if found:
            self._asked.add(form)
            seen.update(_key(f.field, f.flag) for f in found)
        return found

    @staticmethod
    def blanks_left(texts: Mapping[str, str], labels: Mapping[str, str]) -> list[tuple[str, str]]:
        """(label, blank) for every suggestion's blank still in `texts`: unlike the flags, these always stop a
        submit, until the writer has put what happened in their place."""
        return [
            (labels.get(field, field), blank)
            for field, text in texts.items()
            for blank in placeholders_left(text or "")
        ]

    def forget(self, form: str) -> None:
        """The form was submitted or discarded."""
        self._seen.pop(form, None)
        self._asked.discard(form)
