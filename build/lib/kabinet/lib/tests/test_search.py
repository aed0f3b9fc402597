from __future__ import annotations

import pytest

from kabinet.lib.search import MAX_WORDS, search_words


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('"MP3 NEAR(', "MP3"),
        ("voice mail", "voice mail"),
        ("голосовая* почта", "голосовая почта"),
        ("a AND b or c NOT d", "a b c d"),
        ('"', ""),
        ("%_\\'", ""),
        ("__init__", "init"),
        ("-x ^y", "x y"),
        ("\x00ab\x1fcd", "ab cd"),
    ],
)
def test_search_words_keeps_only_plain_words(query, words):
    assert search_words(query) == words


def test_search_words_keeps_a_bounded_number_of_words():
    assert search_words("w " * 1000) == " ".join(["w"] * MAX_WORDS)
