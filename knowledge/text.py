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
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import stopwordsiso

# simplemma's dictionaries (decoded once a machine: knowledge/lemmas.py),
# PyStemmer and py3langid's model (0.6 s) are loaded when a language first
# needs them: one short question from a cold process should not pay for every
# language there is.

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

#: Words of chat, not of the question: greetings, fillers, "does anybody
#: know". They are never searched for, and taken out before the question's
#: kind of answer is read ("ok so how many ...").
FILLER = frozenset(
    """
    hey hi hello hiya yo pls plz please thanks thank thx ty guys guy folks everyone
    anybody anyone somebody someone btw actually basically ok okay so well um uh
    hmm lol idk imo wondering curious just really
    salut buna hei mersi ms va te rog stie cineva oare deci pai
    hallo servus bitte danke leute jemand weiss eigentlich mal also
    bonjour salut merci svp quelqu quelquun sait
    """.split()
)

#: Words any news store holds whatever it is about: they say little of what a
#: question asks. A question whose other words the store has never seen is
#: not about anything stored because "capital" or "million" matched.
GENERIC = frozenset(
    """
    capital city cities country countries state states nation national government
    president minister prime leader leaders official officials people population
    million millions billion billions thousand thousands hundred percent number
    year years month months week weeks day days time world new first last
    release released releases launch launched company companies group member
    members report reported news public general major main large largest big
    biggest small high low part place area region team market price cost money
    dollar dollars euro euros law system service plan work history name called
    known best top old long today season end
    capitala oras orase tara tari stat statul guvern guvernul presedinte
    presedintele ministru ministrul lider oameni populatie populatia milion
    milioane miliard miliarde mii suta an ani anul luna zi zile lume lansat
    lansare companie firma grup pret bani lege istorie nume
    hauptstadt stadt land staat regierung prasident minister leute bevolkerung
    millionen milliarde milliarden jahr jahre monat woche tag welt neu neue
    firma unternehmen gruppe preis geld gesetz geschichte veroffentlicht
    capitale ville pays etat gouvernement ministre gens milliard annee ans mois
    jour monde nouveau nouvelle sortie entreprise groupe prix argent loi histoire
    """.split()
)


def generic(term: str) -> bool:
    """Whether a term is one of the words any news store holds (:data:`GENERIC`)."""
    return term in GENERIC or bool(variants(term) & GENERIC)


#: Content words that the ISO stop lists include but a question about news or
#: history needs: "What year did Tesla die?" must keep "year", and "when did
#: the ferry sink" its verb whatever the form ("run", "went", "ging").
_NOT_STOPWORDS = frozenset(
    """
    year years state states world new first last name named part fire war
    long high great old young million billion percent day days time times
    number city country government house home school work president
    run ran go went gone buy gehen ging geht
    """.split()
)

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

MAX_QUERY_TERMS = 24


def fold(text: str) -> str:
    """Case-fold and strip diacritics: ``Știință`` -> ``stiinta``."""
    if text.isascii():  # most words: nothing to decompose, casefold is lower
        return text.lower()
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


#: Question words per language, which a question uses more than any text.
_ASKING = {"ro": frozenset("cine ce care unde cand cum cat cati cate numiti".split())}


@lru_cache(maxsize=64)
def stopwords(language: str) -> frozenset[str]:
    """Stop words of one language, folded, plus the question words and chat
    filler of all."""
    words = {fold(word) for word in stopwordsiso.stopwords(language)}
    return frozenset((words | _QUESTION_WORDS | FILLER) - _NOT_STOPWORDS)


@lru_cache(maxsize=1)
def _stop_lists() -> dict[str, frozenset[str]]:
    """Each language's own stop list, folded, with its question words."""
    return {
        language: frozenset(fold(w) for w in stopwordsiso.stopwords(language))
        | _ASKING.get(language, frozenset())
        for language in sorted(stopwordsiso.langs())
    }


#: Stop words a question must hold for their language to be its language
#: without a second opinion: one may be a name ("Kim" is Turkish "who").
SURE_STOP_WORDS = 2


def question_language(question: str, preferred: Iterable[str] = ()) -> str:
    """Which of the languages with a stop list a question is written in (its
    stop words apply).

    The language whose stop list holds most of the question's words: a
    question is mostly function words, and this needs no model. Stop lists of
    different languages collide on content words: Romanian "putin" (a little)
    is a Russian president in English, but "what did" outvotes it. Where the
    vote ties or rests on one word, py3langid decides among the tied
    languages, or, when the ``preferred`` languages (the store's) are not
    among them, among those.
    """
    found = set(terms(question))
    hits = Counter({lang: len(found & words) for lang, words in _stop_lists().items()})
    (best, most), *rest = hits.most_common()
    tied = [best] + [lang for lang, n in rest if n == most]
    if len(tied) == 1 and most >= SURE_STOP_WORDS:
        return best
    preferred = set(preferred) & set(hits)
    if most < SURE_STOP_WORDS and preferred and not preferred & set(tied):
        tied = sorted(preferred)
    elif preferred & set(tied):
        tied = sorted(preferred & set(tied))
    if len(tied) == 1:
        return tied[0]
    return _identify(question, tuple(sorted(tied)))


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _identify(question: str, candidates: tuple[str, ...]) -> str:
    # rank() reads the shared model without restricting it: threads ask at once.
    for language, _ in _identifier().rank(question):
        if language in candidates:
            return language
    return "en" if "en" in candidates else candidates[0]


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


@lru_cache(maxsize=65536)
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
    if len(term) < 3:
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
    forms = {form for form in forms if len(form) >= 3} | irregular
    forms.discard(term)
    return frozenset(forms)


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
    listed = [
        t.term
        for t in found
        if t.term in stop and t.term not in _QUESTION_WORDS and t.term not in FILLER
    ]
    kept = keep(listed) if keep and listed else set()
    seen: dict[str, None] = {}
    for position, token in enumerate(found):
        term = token.term
        if term in seen or (len(term) == 1 and not term.isdigit()):
            continue
        if term in FILLER:
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


#: How a chat message may lead up to its question, once its filler words are
#: gone: "(ok so) does anybody know", "can you tell me", "știe cineva".
_CHAT_LEAD = re.compile(
    r"^\W*(?:"
    r"(?:does|do|did)\s+(?:you|u|one)\s+know"
    r"|(?:can|could|would)\s+(?:you|u)\s+(?:tell|show)\s+(?:me|us)"
    r"|i\s+wonder|i(?:\s+am|'m)(?=\s*[,.;:!?]|\s+(?:who|what|where|when|why|how|which|if)\b)"
    r"|(?:does|do)\s+know"  # "does anybody know", its "anybody" being filler
    r"|(?:weiß|weiss)|sait|stie|știe"
    r")\b\W*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_]+")


def without_chat(question: str) -> str:
    """The question as it would be typed into a search box: the chat filler of
    :data:`FILLER` and a leading "does anybody know" taken out, the rest as
    written. What is searched by meaning must not drift with "hey guys pls".

    ``"hey guys, does anybody know who met Kim? thx"`` -> ``"who met Kim?"``.
    A message of filler alone is left as it is.
    """
    kept = _WORD.sub(lambda m: "" if fold(m.group()) in FILLER else m.group(), question)
    kept = _CHAT_LEAD.sub("", kept)
    kept = re.sub(r"\s+([,.;:!?])", r"\1", " ".join(kept.split()))
    kept = re.sub(r"^[,.;:!\s]+|[,;:\s]+$", "", re.sub(r"([,.;:!?])(?:\s*[,.;:!])+", r"\1", kept))
    return kept if _WORD.search(kept) else question
