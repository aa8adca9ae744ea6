"""Catalog search: what a search box's text means to the database.

The words of the text (runs of letters and digits, in any script; at most MAX_WORDS)
each match a prefix of a word of the product's search document (name, SKU, code,
manufacturer, description; see migration products_0002), all of them. The text's ASCII
letters and digits are also compared with the code's and the SKU's exact-match keys: a
code or SKU typed in full finds its product even where the words would not, and ranks
it first. A text with no word in it ("!!!") finds nothing; a blank one searches nothing.

Matching goes through `product_search_matches()`, the owner's function over the GIN
index: under row-level security PostgreSQL may apply `@@` (not leakproof) only after
the tenant policy, row by row, so the index would go unused. Ranking reads the
product's own copy of the document, for the rows matched.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

MAX_WORDS = 8
MAX_KEY = 100
EXACT = 1_000_000  # outranks any text rank (ts_rank is at most 1, times RANK_SCALE)
RANK_SCALE = 100_000

_WORD = re.compile(r"[^\W_]+")  # letters and digits of any script (`_` would split a tsquery word)
_KEY = re.compile(r"[A-Za-z0-9]+")  # what product_search_key() keeps
_ENGLISH: sa.ColumnElement[Any] = sa.literal_column("'english'::regconfig")


def search_key(text: str) -> str:
    """The exact-match key of a code or SKU, as product_search_key() writes it in the database."""
    return "".join(_KEY.findall(text)).lower()


def search_text(f: Any) -> str | None:
    """The filter's search text, or None when it searches nothing (absent or blank)."""
    text = getattr(f, "search", None) if f is not None else None
    return text if text and text.strip() else None


def _query(text: str) -> tuple[sa.ColumnElement[Any], str] | None:
    """The tsquery of the text's words and its exact-match key; None without any word."""
    words = _WORD.findall(text)[:MAX_WORDS]
    if not words:
        return None
    prefixes = " & ".join(f"{word.lower()}:*" for word in words)
    key = search_key(text)[:MAX_KEY]
    return sa.func.to_tsquery(_ENGLISH, prefixes), key


def search_condition(t: Any, text: str) -> sa.ColumnElement[bool]:
    """The products the search matches, found by the owner's function through the GIN index
    (under row-level security `@@`, not leakproof, could only filter row by row)."""
    found = _query(text)
    if found is None:
        return sa.false()
    query, key = found
    return t.id.in_(sa.select(sa.func.product_search_matches(query, key)))


def relevance(t: Any, text: str) -> sa.ColumnElement[int] | None:
    """An exact code or SKU first, then by text rank (an integer, so cursors compare exactly);
    None when the text has no words to rank by."""
    found = _query(text)
    if found is None:
        return None
    query, key = found
    # A sub-select, so the query is parsed once per statement, not once per row ranked.
    once = sa.select(query).scalar_subquery()
    scaled = sa.cast(
        sa.func.round(sa.func.ts_rank(t.search_document, once) * sa.literal_column(str(RANK_SCALE))),
        sa.Integer,
    )
    if not key:  # no ASCII letters or digits: no code or SKU to match exactly
        return sa.type_coerce(scaled, sa.Integer)
    exact = sa.case((sa.or_(t.code_key == key, t.sku_key == key), sa.literal_column(str(EXACT))), else_=0)
    return sa.type_coerce(exact + scaled, sa.Integer)
