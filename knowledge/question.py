"""What a question's words say before the store is asked: its language (by
stop lists), the words that weigh (less stop words, question words and chat
filler), its names, and the question as typed into a search box.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache

import stopwordsiso

from knowledge.text import fold, terms, tokens
from knowledge.wordforms import variants

# py3langid's model (0.6 s) is loaded when a question's language is in doubt.

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

#: Terms of a question searched for at most.
MAX_QUERY_TERMS = 24


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
