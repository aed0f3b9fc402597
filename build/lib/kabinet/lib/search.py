"""A visitor's search box text as plain words, safe for any full-text backend."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)
# Words every full-text engine we run on (SQLite FTS5, PostgreSQL tsquery) reads as operators.
_OPERATORS = {"and", "or", "not", "near"}
MAX_WORDS = 20


def search_words(query: str) -> str:
    """The words of ``query`` separated by spaces: quotes, wildcards and operators dropped.

    ``'"MP3 NEAR('`` becomes ``"MP3"``; a query with no words becomes ``""``.
    """
    # \w also matches "_", a LIKE wildcard on backends that fall back to LIKE.
    words = (w.strip("_") for w in _WORD.findall(query))
    kept = [w for w in words if w and w.casefold() not in _OPERATORS]
    return " ".join(kept[:MAX_WORDS])
