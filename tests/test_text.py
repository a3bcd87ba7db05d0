"""Normalisation that lets a plain-ASCII question find text with diacritics,
other quote marks, other thousands separators and other spellings."""

from __future__ import annotations

import pytest

from knowledge import question, text
from knowledge.expansion import similarity
from knowledge.query import asked_kinds


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Știință", "stiinta"),  # comma below
        ("Ştiinţă", "stiinta"),  # cedilla, the legacy encoding
        ("ÎNTREVEDERE", "intrevedere"),
        ("Spetsnaℤ", "spetsnaz"),
        ("Straße", "strasse"),
    ],
)
def test_fold_strips_diacritics_and_case(written, folded):
    assert text.fold(written) == folded


@pytest.mark.parametrize(
    "written", ["20.000 de soldați", "20,000 soldiers", "20 000 soldats", "20000 troops"]
)
def test_numbers_lose_their_group_separators(written):
    assert text.terms(written)[0] == "20000"


def test_decimals_are_not_thousands():
    assert text.terms("3,5 and 3.5 and 12.75") == ["3.5", "and", "3.5", "and", "12.75"]


def test_tokens_keep_offsets_into_the_original():
    source = "Kim Jong-un și Serghei Lavrov, la Wonsan."
    for token in text.tokens(source):
        assert text.fold(source[token.start : token.end]) == token.term


def test_hyphenated_and_spaced_names_give_the_same_terms():
    assert text.terms("Kim Jong-un") == text.terms("Kim Jong Un") == ["kim", "jong", "un"]


def test_question_words_and_stop_words_carry_no_weight():
    assert question.query_terms("who met Kim and where") == ["met", "kim"]
    assert question.query_terms("What did Lavrov and Kim discuss?") == ["lavrov", "kim", "discuss"]
    assert question.query_terms("Cine l-a primit pe Lavrov și unde?") == ["primit", "lavrov"]


def test_names_are_kept_even_when_another_language_lists_them_as_stop_words():
    # Romanian lists "putin" (a little) as a stop word.
    assert "putin" in question.query_terms("what did Putin promise")


@pytest.mark.parametrize(
    ("term", "word"),
    [
        ("met", "meets"),
        ("met", "meeting"),
        ("sergey", "serghei"),
        ("discuss", "discutat"),
        ("inauguration", "inaugurare"),
        ("agreements", "agreement"),
        ("reputation", "reputatie"),
        ("pharmacies", "farmacii"),
        ("technician", "tehnicianul"),
        ("physicians", "fizicienii"),
        ("catholic", "catolica"),
        ("basin", "bazinul"),
        ("committee", "comitetul"),
    ],
)
def test_forms_and_cognates_match(term, word):
    assert similarity(term, word) >= 0.72


@pytest.mark.parametrize(
    ("term", "word"),
    [
        ("kim", "kiev"),
        ("met", "mea"),
        ("war", "ward"),
        ("2024", "2025"),
        ("physics", "fiscal"),
        ("theory", "teren"),
    ],
)
def test_unrelated_words_do_not_match(term, word):
    assert similarity(term, word) == 0.0


def test_questions_say_what_kind_of_answer_they_want():
    assert asked_kinds("who met Kim and where") == {"person", "place"}
    assert asked_kinds("În ce an a murit Tesla?") == {"time"}
    assert asked_kinds("How many soldiers were sent?") == {"number"}
    assert asked_kinds("what did they discuss") == frozenset()


def test_links_and_handles_are_not_words():
    words = text.terms(
        "Lanterns rose. pic.twitter.com/LaNt3rn0Q7 — Ana (@penhale_photos) July 12, 2025 "
        "https://example.org/photos/2025"
    )
    assert words == ["lanterns", "rose", "ana", "july", "12", "2025"]


def test_search_syntax_in_capitals_is_not_a_name():
    assert question.query_terms('"kim" OR NOT lavrov*') == ["kim", "lavrov"]
    assert question.query_terms("kim AND lavrov NEAR wonsan") == ["kim", "lavrov", "wonsan"]
