"""What ingesting real-world pages and texts gives a user: words found, bodies kept, tweets
linked, dates and titles right, passages well cut, bytes decoded once.

Every page below is written for these tests, in the shapes real sites use.
"""

from __future__ import annotations

import pytest

SOFT_HYPHENATED = (
    "Die Bundes\u00adregierung will die Förder\u00adprogramme für Lasten\u00adräder "
    "verlängern. Der Wasser\u200bstoff\u200d-Plan und die Wärme\u2060pumpen bleiben, sagte "
    "die Sprecherin am Dienstag in Berlin."
)


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("Bundesregierung", "Bundes\u00adregierung"),
        ("Lastenräder", "Lasten\u00adräder"),
        ("Wasserstoff", "Wasser\u200bstoff"),
        ("Wärmepumpen", "Wärme\u2060pumpen"),
    ],
)
def test_invisible_characters_inside_words_are_searched_as_the_word(archive, question, word):
    archive.ingest_text(SOFT_HYPHENATED, title="Förderprogramme verlängert")
    answer = archive.ask(question)
    assert answer.found
    excerpt = answer.excerpts[0]
    assert word in excerpt.quote  # verbatim: the invisible character stays
    highlighted = [excerpt.quote[s.start : s.end] for s in excerpt.highlights]
    assert word in highlighted
