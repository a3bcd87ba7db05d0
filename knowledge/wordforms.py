"""The forms a word may take in a text: lemmas and stems per language,
irregular verb forms, German spelled without umlauts, and the spellings that
English and Romanian cognates share.

Every form is folded (:func:`knowledge.text.fold`), as the stored words are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

from knowledge.text import fold

# simplemma's dictionaries (decoded once a machine: knowledge/lemmas.py) and
# PyStemmer are loaded when a language first needs them: one short question
# from a cold process should not pay for every language there is.

#: Languages whose lemmas and stems every text and question went through before
#: the question's own language and the store's were taken into account; still
#: the default where no language is given.
LANGUAGES = ("en", "ro")
#: PyStemmer's algorithm per language code.
_STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian",
    "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "nl": "dutch", "no": "norwegian", "pt": "portuguese", "ro": "romanian",
    "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip

#: Distinct (term, languages) pairs whose forms are remembered.
FORMS_CACHED = 65536
#: Forms shorter than this are not a word's lemma or stem but a fragment of it,
#: and a shorter term has no forms but its irregular ones ("go" -> "went").
MIN_FORM_CHARS = 3


def word_languages(question_language: str, store_languages: Iterable[str] = ()) -> tuple[str, ...]:
    """The languages whose word forms a question's terms are matched in: those
    the store is written in (its words are what the terms must meet), and the
    question's own where it is one of ``LANGUAGES`` or the store says nothing
    (an English "discussed" must become "discuss" to meet "discutat").

    A lemma dictionary costs 50-120 MB once loaded; a question detected as a
    language no stored text is in must not load one for good.
    """
    stored = set(store_languages)
    if question_language in LANGUAGES or not stored:
        stored.add(question_language)
    return tuple(sorted(stored))


@lru_cache(maxsize=64)
def _stemmer(language: str):
    import Stemmer

    return Stemmer.Stemmer(_STEMMERS[language])


@lru_cache(maxsize=64)
def _lemmatizes(language: str) -> bool:
    from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

    return language in SUPPORTED_LANGUAGES


def _lemma(term: str, language: str) -> str:
    from knowledge.lemmas import lemmatizer

    return fold(lemmatizer().lemmatize(term, language))


@lru_cache(maxsize=1)
def _irregular_table() -> dict[str, dict[str, frozenset[str]]]:
    """language -> form -> the verb's other forms, from data/irregular_forms.txt."""
    table: dict[str, dict[str, frozenset[str]]] = {}
    source = resources.files("knowledge") / "data" / "irregular_forms.txt"
    for line in source.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        language, *words = line.split()
        forms = frozenset(fold(word) for word in words)
        for form in forms:
            table.setdefault(language, {})[form] = forms
    return table


def irregular_forms(term: str, languages: Iterable[str] = LANGUAGES) -> frozenset[str]:
    """The other forms of an irregular verb, both ways: ``buy`` <-> ``bought``,
    ``ging`` <-> ``gehen``."""
    table = _irregular_table()
    forms: set[str] = set()
    for language in languages:
        forms |= table.get(language, {}).get(term, frozenset())
    forms.discard(term)
    return frozenset(forms)


#: German written without umlauts or sharp s: "Duesseldorfer" is
#: "Düsseldorfer", folded "dusseldorfer" ("Strasse" and "Straße" fold alike).
_UMLAUT_SPELLING = re.compile(r"(?<=[^aeiouq])([aou])e")


def umlaut_spellings(term: str) -> frozenset[str]:
    """``duesseldorfer`` -> {``dusseldorfer``}: the folded German word it may stand for."""
    if "e" not in term:
        return frozenset()
    respelled = _UMLAUT_SPELLING.sub(r"\1", term)
    return frozenset({respelled}) if respelled != term else frozenset()


@lru_cache(maxsize=FORMS_CACHED)
def variants(term: str, languages: tuple[str, ...] = LANGUAGES) -> frozenset[str]:
    """Other forms a term may take in a text: lemmas and stems in each language,
    irregular verb forms, German umlauts spelled out.

    ``met`` -> {``meet``}; ``discussed`` -> {``discuss``}; ``acordurilor`` ->
    {``acord``, ``acordur``}; ``went`` -> {``go``, ``gone`` ...}. Numbers have
    no variants.
    """
    if term.isdigit():
        return frozenset()
    irregular = set(irregular_forms(term, languages))
    if len(term) < MIN_FORM_CHARS:
        return frozenset(irregular)
    forms: set[str] = set()
    for language in languages:
        if _lemmatizes(language):
            lemma = _lemma(term, language)
            if lemma.isalnum():
                forms.add(lemma)
                irregular |= irregular_forms(lemma, languages)
        if language in _STEMMERS:
            forms.add(_stemmer(language).stemWord(term))
    if "de" in languages:
        forms |= umlaut_spellings(term)
    forms = {form for form in forms if len(form) >= MIN_FORM_CHARS} | irregular
    forms.discard(term)
    return frozenset(forms)


#: Spellings that differ between English and Romanian words of one Greek or
#: Latin root, in the order they are rewritten: philosophy ~ filozofie,
#: technician ~ tehnician, liquid ~ lichid, basin ~ bazin, hymn ~ imn.
_COGNATE_REWRITES = (
    ("ph", "f"),
    ("th", "t"),
    ("rh", "r"),
    ("ch", "c"),
    ("qu", "c"),
    ("ck", "c"),
    ("k", "c"),
    ("q", "c"),
    ("y", "i"),
    ("w", "v"),
    ("z", "s"),
    ("ou", "u"),
)
_DOUBLED = re.compile(r"(.)\1+")
_INNER_H = re.compile(r"(?<=.)h")


@lru_cache(maxsize=FORMS_CACHED)
def cognate_key(term: str) -> str:
    """A spelling shared by English and Romanian cognates: ``pharmaci`` and
    ``farmac`` both start ``farmac``; ``technic`` and ``tehnic`` are ``tecnic``.

    Only for comparing words: the key is not a word of either language.
    """
    for old, new in _COGNATE_REWRITES:
        term = term.replace(old, new)
    # Romanian writes the Greek "ch" as "h" (tehnic, arhitect).
    term = _INNER_H.sub("c", term)
    return _DOUBLED.sub(r"\1", term)


#: English spellings rewritten the Romanian way, to find where in the stored
#: vocabulary a cognate may sit: pharmacy -> farmacy, theatre -> teatre.
_ROMANIAN_SPELLINGS = (
    ("ph", "f"),
    ("th", "t"),
    ("rh", "r"),
    ("ch", "h"),
    ("qu", "c"),
    ("ck", "c"),
    ("y", "i"),
    ("w", "v"),
    ("ou", "u"),
)
_INNER_S = re.compile(r"(?<=[aeiou])s(?=[aeiou])")


def romanian_spellings(term: str) -> frozenset[str]:
    """How an English word's Romanian cognate may begin, other than as the word does."""
    spelled = term
    for old, new in _ROMANIAN_SPELLINGS:
        spelled = spelled.replace(old, new)
    spelled = _DOUBLED.sub(r"\1", spelled)
    forms = {spelled, _INNER_S.sub("z", spelled)}
    if "ch" in term:
        forms.add(_DOUBLED.sub(r"\1", term.replace("ch", "c")))
    forms.discard(term)
    return frozenset(forms)
