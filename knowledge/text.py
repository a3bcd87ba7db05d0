"""Text normalisation shared by indexing and querying.

Both sides of a match go through the same functions, so that a question typed
in plain ASCII finds text written with diacritics, typographic quotes or
another thousands separator:

* Unicode is NFKC-normalised, case-folded and stripped of combining marks, so
  ``ș`` (comma below), ``ş`` (cedilla) and ``s`` are one letter;
* numbers lose their group separators: ``20.000``, ``20,000`` and ``20 000``
  are all ``20000``;
* words are runs of letters or digits; everything else separates them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import Stemmer
import stopwordsiso

#: A number with thousands groups (1,234,567 / 20.000 / 20 000), or a plain
#: number with an optional decimal part, or a run of letters.
_TOKEN = re.compile(
    # Links and @handles are matched to be skipped: "photos" in
    # @penhale_photos or a word in a URL path is not what a passage says.
    r"(?P<link>(?:https?://|www\.)\S+"
    r"|\b(?:pic\.twitter\.com|t\.co|x\.com|twitter\.com|youtu\.be)/\S*"
    r"|(?<![\w.])@\w+)"
    r"|\d{1,3}(?:(?:[.,]|[ \u00a0\u202f](?=\d{3}\b))\d{3})+(?![.,]?\d)"
    r"|\d+(?:[.,]\d+)?"
    # Soft hyphens, zero-width spaces, joiners and word joiners inside a word
    # are invisible: "Bundes\u00adregierung" is one word, folded without them.
    r"|[^\W\d_]+(?:[\u00ad\u200b-\u200d\u2060\ufeff]+[^\W\d_]+)*",
)
_GROUP_SEPARATORS = re.compile(r"[.,\s\u00a0\u202f]")
#: Longer runs of letters or digits are not words (a hash, base64, a key held
#: down): they are neither indexed nor searched. The vocabulary column holds 200.
MAX_TERM_CHARS = 64

#: Words that carry no weight in a question on top of the stop lists: they
#: say what kind of answer is wanted, not what it is about.
_QUESTION_WORDS = frozenset(
    """
    who whom whose what which where when why how whats wheres whos
    cine ce care unde cand cum cat cati cate de ce
    does did do doing done tell know find show list give please
    and or not near
    """.split()
)

#: Content words that the ISO stop lists include but a question about news or
#: history needs: "What year did Tesla die?" must keep "year".
_NOT_STOPWORDS = frozenset(
    """
    year years state states world new first last name named part fire war
    long high great old young million billion percent day days time times
    number city country government house home school work president
    """.split()
)

#: Languages whose stop words and stemmers every text and question goes
#: through. The articles we serve mix them freely.
LANGUAGES = ("en", "ro")
_STEMMERS = {"en": "english", "ro": "romanian"}

MAX_QUERY_TERMS = 24


def fold(text: str) -> str:
    """Case-fold and strip diacritics: ``Știință`` -> ``stiinta``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@dataclass(frozen=True)
class Token:
    """A word of the original text: its normalised form and where it stands."""

    term: str
    start: int
    end: int


def tokens(text: str, start: int = 0, end: int | None = None) -> Iterator[Token]:
    """Yield the normalised words of ``text[start:end]`` with absolute offsets.

    Links and @handles are not words: they are skipped, and so are terms
    longer than :data:`MAX_TERM_CHARS`.
    """
    for match in _TOKEN.finditer(text, start, len(text) if end is None else end):
        if match.lastgroup == "link":
            continue
        raw = match.group()
        if raw[0].isdigit():
            if len(raw) > 4 and _GROUP_SEPARATORS.search(raw) and not _is_decimal(raw):
                term = _GROUP_SEPARATORS.sub("", raw)
            else:
                term = raw.replace(",", ".")
        else:
            term = _fold_word(raw)
        if term and len(term) <= MAX_TERM_CHARS:
            yield Token(term, match.start(), match.end())


@lru_cache(maxsize=262144)
def _fold_word(word: str) -> str:
    # Words repeat: folding each once keeps indexing and quoting fast.
    term = fold(word)
    # Folding can expose non-letters (e.g. "ﬁ" -> "fi" is fine, "½" is not).
    return term if term.isalnum() else "".join(ch for ch in term if ch.isalnum())


def _is_decimal(raw: str) -> bool:
    """``3,5`` or ``12.75`` are decimals; ``20.000`` and ``1,234,567`` are not."""
    parts = re.split(r"[.,\s\u00a0\u202f]", raw)
    return len(parts) == 2 and len(parts[1]) != 3


def terms(text: str) -> list[str]:
    """The normalised words of a text, in order."""
    return [token.term for token in tokens(text)]


@lru_cache(maxsize=8)
def stopwords(language: str) -> frozenset[str]:
    """Stop words of one language, folded, plus the question words of all."""
    words = {fold(word) for word in stopwordsiso.stopwords(language)}
    return frozenset((words | _QUESTION_WORDS) - _NOT_STOPWORDS)


@lru_cache(maxsize=1)
def _question_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def question_language(question: str) -> str:
    """Which of LANGUAGES a question is written in (its stop words apply).

    Stop lists of different languages collide on content words: Romanian
    "putin" (a little) is a Russian president in English.
    """
    return _question_identifier().classify(question)[0]


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, Stemmer.Stemmer]:
    return {lang: Stemmer.Stemmer(name) for lang, name in _STEMMERS.items()}


@lru_cache(maxsize=65536)
def variants(term: str) -> frozenset[str]:
    """Other forms a term may take in a text: lemmas and stems in each language.

    ``met`` -> {``meet``}; ``discussed`` -> {``discuss``}; ``acordurilor`` ->
    {``acord``, ``acordur``}. Numbers have no variants.
    """
    if term.isdigit() or len(term) < 3:
        return frozenset()
    forms: set[str] = set()
    for language in LANGUAGES:
        lemma = fold(simplemma.lemmatize(term, lang=language))
        if lemma.isalnum():
            forms.add(lemma)
    for stemmer in _stemmers().values():
        forms.add(stemmer.stemWord(term))
    forms.discard(term)
    return frozenset(form for form in forms if len(form) >= 3)


def query_terms(
    question: str,
    keep: Callable[[list[str]], set[str]] | None = None,
    language: str | None = None,
) -> list[str]:
    """The distinct weighted terms of a question, in order, at most MAX_QUERY_TERMS.

    Stop words of the question's language are dropped, except capitalised
    words after the first, which are names ("what did Putin promise"); words
    in capitals ("kim OR lavrov") are shouting or search syntax, not names.

    ``keep`` may give back, of the listed stop words, those to keep as
    content: the ISO lists are long (English lists "area" and "billion").
    """
    stop = stopwords(language or question_language(question))
    found = list(tokens(question))
    listed = [t.term for t in found if t.term in stop and t.term not in _QUESTION_WORDS]
    kept = keep(listed) if keep and listed else set()
    seen: dict[str, None] = {}
    for position, token in enumerate(found):
        term = token.term
        if term in seen or (len(term) == 1 and not term.isdigit()):
            continue
        if (
            term in stop
            and term not in kept
            and not (position and _is_name(question[token.start : token.end]))
        ):
            continue
        seen[term] = None
        if len(seen) == MAX_QUERY_TERMS:
            break
    return list(seen)


def _is_name(word: str) -> bool:
    return word[0].isupper() and not word.isupper()


def names(question: str) -> frozenset[str]:
    """Terms written with a capital after the question's first word: names."""
    return frozenset(
        token.term
        for position, token in enumerate(tokens(question))
        if position and question[token.start].isupper() and not token.term.isdigit()
    )


def search_text(text: str) -> str:
    """What the full-text index stores for a piece of text: its terms, space separated."""
    return " ".join(terms(text))


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


@lru_cache(maxsize=65536)
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
