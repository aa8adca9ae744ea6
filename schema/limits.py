"""Query cost limit: a validation rule, so an over-expensive query never executes.

Each selected field costs 1; a field that takes `first`/`last` multiplies the cost
of what it selects by that page size (the maximum page size when it comes from a
variable, the default page size when absent on a connection). Depth, aliases and
tokens are limited by Strawberry's own extensions (see schema/root.py).
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from app.settings import get_settings


def _page_size(field: FieldNode, default: int, maximum: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return maximum
    if field.selection_set and any(
        isinstance(sel, FieldNode) and sel.name.value in ("edges", "nodes")
        for sel in field.selection_set.selections
    ):
        return default
    return 1


class QueryCostRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        settings = get_settings()
        self.max_cost = settings.max_query_cost
        self.default = settings.default_page_size
        self.maximum = settings.max_page_size

    def _cost(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                size = _page_size(selection, self.default, self.maximum)
                total += 1 + size * self._cost(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                total += self._cost(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.context.get_fragment(name)
                if fragment is not None and name not in seen:
                    total += self._cost(fragment.selection_set, seen | {name})
        return total

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
        cost = self._cost(node.selection_set, frozenset())
        if cost > self.max_cost:
            self.report_error(
                GraphQLError(
                    f"Query cost {cost} exceeds the maximum of {self.max_cost}; "
                    "ask for smaller pages or fewer nested lists",
                    node,
                    extensions={"code": "QUERY_TOO_COSTLY"},
                )
            )


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class RejectNulCharacters(SchemaExtension):
    """PostgreSQL cannot store NUL in text or jsonb: refuse such input before it runs.

    Without this, a NUL in any string argument would reach the database and fail
    as an internal error instead of a clear one.
    """

    def on_validate(self) -> Iterator[None]:
        # Before yielding: strawberry stops on pre_execution_errors right after the hooks'
        # first halves and validation, so errors found after the yield would come too late.
        context = self.execution_context
        document = context.graphql_document
        # A NUL can enter a document only as an escape (\u0000 or \u{0}): skip the walk otherwise.
        literal = (
            document is not None
            and "\\u" in (context.query or "")
            and any(isinstance(node, StringValueNode) and "\x00" in node.value for node in _walk(document))
        )
        if literal or _has_nul(context.variables or {}):
            error = GraphQLError(
                "String values must not contain NUL (\\u0000) characters",
                extensions={"code": "BAD_USER_INPUT"},
            )
            context.pre_execution_errors = [*(context.pre_execution_errors or []), error]
        yield


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for key in node.keys:
        child = getattr(node, key, None)
        children = child if isinstance(child, tuple | list) else (child,)
        for item in children:
            if isinstance(item, Node):
                yield from _walk(item)
