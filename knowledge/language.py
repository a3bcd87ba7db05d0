"""Which language a passage is written in: an ISO 639-1 guess with py3langid."""

from __future__ import annotations

import functools
import logging
import re
from typing import TYPE_CHECKING

from knowledge.links import ATTRIBUTION, HANDLE, URL
from knowledge.sentences import OPENERS

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

log = logging.getLogger(__name__)

#: Letters needed before a language guess is worth making.
MIN_LANGUAGE_LETTERS = 20
#: Below this probability py3langid is guessing; say "unknown" instead.
MIN_LANGUAGE_CONFIDENCE = 0.3
#: Above this probability the first language guess is not second-guessed.
_SURE_LANGUAGE = 0.9
#: Characters of a passage given to the language identifier.
LANGUAGE_SAMPLE_CHARS = 2000

_LETTER = re.compile(r"[^\W\d_]")
_LANGUAGE_NOISE = re.compile(r"[^\w\s'’.,;:!?„”“\"«»()\-]+")
# hands with Kim in Wonsan") otherwise comes back as "pcm".
_LANGUAGE_ALIASES = {
    "pcm": "en", "gcf": "fr", "gcr": "fr",
    "ary": "ar", "arz": "ar", "uzs": "uz", "gug": "gn", "yue": "zh", "wuu": "zh",
    "hbo": "he", "grc": "el",
}  # fmt: skip


@functools.cache
def _identifier() -> LanguageIdentifier:
    """One py3langid model for the process; loading it takes about half a second."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    log.debug("loading the language identification model")
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's dominant language, or None if it cannot tell.

    URLs, tweet credits, @handles and emoji are ignored. Languages without an
    ISO 639-1 code come back as py3langid's ISO 639-3 code (e.g. ``"ace"``).
    """
    sample = text[: LANGUAGE_SAMPLE_CHARS * 2]
    sample = URL.sub(" ", sample)
    sample = ATTRIBUTION.sub(" ", sample)
    sample = HANDLE.sub(" ", sample)
    sample = _LANGUAGE_NOISE.sub(" ", sample)[:LANGUAGE_SAMPLE_CHARS]
    if len(_LETTER.findall(sample)) < MIN_LANGUAGE_LETTERS:
        return None
    scores = _language_scores(sample)
    code = max(scores, key=scores.__getitem__)
    if scores[code] < _SURE_LANGUAGE:
        # Names say little about the language and news is full of them: a second
        # opinion on the text without them settles "Kim met Lavrov in Wonsan".
        unnamed = _without_names(sample)
        if len(_LETTER.findall(unnamed)) >= MIN_LANGUAGE_LETTERS:
            second = _language_scores(unnamed)
            scores = {c: (p + second.get(c, 0.0)) / 2 for c, p in scores.items()}
            code = max(scores, key=scores.__getitem__)
    if code == "zxx" or scores[code] < MIN_LANGUAGE_CONFIDENCE:
        return None
    return code


def _language_scores(sample: str) -> dict[str, float]:
    """Probability per language, py3langid's near-duplicate codes folded together."""
    scores: dict[str, float] = {}
    for code, probability in _identifier().rank(sample):
        code = _LANGUAGE_ALIASES.get(code, code)
        scores[code] = scores.get(code, 0.0) + probability
    return scores


def _without_names(text: str) -> str:
    """``text`` without capitalised words inside sentences (names, mostly)."""
    kept: list[str] = []
    previous = "."
    for token in text.split():
        first = token.lstrip(OPENERS)[:1]
        if not (first.isupper() and previous[-1] not in ".!?:…"):
            kept.append(token)
        previous = token
    return " ".join(kept)
