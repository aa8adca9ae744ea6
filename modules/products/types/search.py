"""Catalog search: what a search box's text means to the database.

The words of the text (letters and digits; at most MAX_WORDS) each match a prefix of a
word of the product's search document (name, SKU, code, manufacturer, description;
see migration products_0001), all of them. The whole text with its punctuation dropped
is also compared with the code's and the SKU's exact-match keys: a code or SKU typed
in full finds its product even where the words would not, and ranks it first.

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

_WORD = re.compile(r"[A-Za-z0-9]+")
_ENGLISH: sa.ColumnElement[Any] = sa.literal_column("'english'::regconfig")


def search_text(f: Any) -> str | None:
    text = getattr(f, "search", None) if f is not None else None
    return text if text and _WORD.search(text) else None


def _query(text: str) -> tuple[sa.ColumnElement[Any], str]:
    words = _WORD.findall(text)[:MAX_WORDS]
    prefixes = " & ".join(f"{word.lower()}:*" for word in words)
    key = "".join(_WORD.findall(text)).lower()[:MAX_KEY]  # as product_search_key() writes it
    return sa.func.to_tsquery(_ENGLISH, prefixes), key


def search_condition(t: Any, text: str) -> sa.ColumnElement[bool]:
    """The products the search matches, found by the owner's function through the GIN index
    (under row-level security `@@`, not leakproof, could only filter row by row)."""
    query, key = _query(text)
    return t.id.in_(sa.select(sa.func.product_search_matches(query, key)))


def relevance(t: Any, text: str) -> sa.ColumnElement[int]:
    """An exact code or SKU first, then by text rank (an integer, so cursors compare exactly)."""
    query, key = _query(text)
    # A sub-select, so the query is parsed once per statement, not once per row ranked.
    once = sa.select(query).scalar_subquery()
    exact = sa.case((sa.or_(t.code_key == key, t.sku_key == key), sa.literal_column(str(EXACT))), else_=0)
    scaled = sa.func.round(sa.func.ts_rank(t.search_document, once) * sa.literal_column(str(RANK_SCALE)))
    return sa.type_coerce(exact + sa.cast(scaled, sa.Integer), sa.Integer)
