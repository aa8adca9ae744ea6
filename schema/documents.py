"""From query text to a validated document, the cheapest refusals first.

A request's document passes, in order:

1. the size of the query text (`MEDGRAPH_MAX_QUERY_BYTES`), before anything reads it;
2. parsing, which stops past `MEDGRAPH_MAX_TOKENS` tokens;
3. the shape limits of `schema/limits.py` (depth, aliases, cost, fields, directives),
   one linear walk;
4. graphql-core's validation rules, with the work its overlapping-fields rule may spend
   on repeated fields capped (`MEDGRAPH_MAX_FIELD_MERGE_CHECKS`): that rule compares
   every pair of fields a selection set repeats, and four hundred repeats cost seconds.

Parsed documents and their validation errors are cached by query text, in a cache
bounded by the bytes of text it holds, not by a count: a parsed document takes about a
hundred times its text, so a thousand large documents would hold a gigabyte for good.
Documents larger than a sixteenth of the budget are never cached.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import graphql.validation.rules.overlapping_fields_can_be_merged as overlapping_fields
from graphql import DocumentNode, GraphQLError, GraphQLSyntaxError, parse, specified_rules
from graphql.validation import (
    ASTValidationRule,
    NoUndefinedVariablesRule,
    NoUnusedVariablesRule,
    VariablesInAllowedPositionRule,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from app.settings import Settings
from schema.limits import limit_errors, refusal

_VARIABLE_RULES = (NoUndefinedVariablesRule, NoUnusedVariablesRule, VariablesInAllowedPositionRule)


@dataclass(slots=True)
class CachedDocument:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # None until validated


class DocumentCache:
    """Least recently used documents, bounded by the total length of their query texts."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.largest = budget // 16
        self.size = 0
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()

    def get(self, query: str) -> CachedDocument | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, entry: CachedDocument) -> None:
        if len(query) > self.largest or query in self._entries:
            return
        self._entries[query] = entry
        self.size += len(query)
        while self.size > self.budget:
            evicted, _ = self._entries.popitem(last=False)
            self.size -= len(evicted)

    def __len__(self) -> int:
        return len(self._entries)


class DocumentPipeline:
    """What every request of one schema shares: the settings, the rules and the cache."""

    def __init__(self, settings: Settings, extra_rules: Sequence[type[ASTValidationRule]]) -> None:
        self.settings = settings
        self.rules = (*specified_rules, *extra_rules)
        # Without a `$` a document neither defines nor uses a variable, and these three
        # rules, which walk each operation a second time to find usages, have nothing to do.
        self.rules_without_variables = tuple(r for r in self.rules if r not in _VARIABLE_RULES)
        self.cache = DocumentCache(settings.document_cache_bytes)
        # graphql-core reads this module attribute each time the rule starts.
        overlapping_fields.MAX_COMPLEXITY_BUDGET = settings.max_field_merge_checks

    def parse(self, query: str) -> CachedDocument:
        entry = self.cache.get(query)
        if entry is not None:
            return entry
        limit = self.settings.max_query_bytes
        if len(query) > limit or (len(query) * 4 > limit and len(query.encode(errors="replace")) > limit):
            raise refusal("QUERY_TOO_LARGE", f"The query text is larger than {limit} bytes")
        try:
            document = parse(query, max_tokens=self.settings.max_tokens)
        except GraphQLSyntaxError as exc:
            if "tokens" in exc.message:  # "Document contains more than N tokens."
                exc.extensions = {"code": "TOO_MANY_TOKENS"}
            raise
        entry = CachedDocument(document)
        self.cache.put(query, entry)
        return entry

    def validate(self, schema: object, entry: CachedDocument, query: str) -> list[GraphQLError]:
        if entry.errors is None:
            errors = limit_errors(entry.document, self.settings, query)
            if not errors:
                rules = self.rules if "$" in query else self.rules_without_variables
                errors = [_typed(e) for e in validate_document(schema, entry.document, rules)]  # type: ignore[arg-type]
            entry.errors = errors
        return list(entry.errors)

    def extension(self) -> DocumentGate:
        return DocumentGate(self)


def _typed(error: GraphQLError) -> GraphQLError:
    if isinstance(error, ValidationAbortedError) and error.message == "Validation aborted.":
        return refusal(
            "QUERY_TOO_COMPLEX",
            "The document repeats fields in too many ways to check that they merge; "
            "select each field once per selection set, or use aliases",
        )
    return error


class DocumentGate(SchemaExtension):
    """Parses and validates through the pipeline (in place of Strawberry's own steps and
    its ParserCache, ValidationCache and MaxTokensLimiter)."""

    def __init__(self, pipeline: DocumentPipeline) -> None:
        self.pipeline = pipeline
        self.entry: CachedDocument | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            # A refusal raised here answers as the request's error, as a syntax error does.
            self.entry = self.pipeline.parse(context.query)
            context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.entry is not None and context.query is not None:
            errors = self.pipeline.validate(context.schema._schema, self.entry, context.query)
            context.pre_execution_errors = errors
        yield
