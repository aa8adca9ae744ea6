"""Query cost limit: a validation rule, so an over-expensive query never executes.

Each selected field costs 1; a field that takes `first`/`last` multiplies the cost
of what it selects by that page size (the maximum page size when it comes from a
variable, the default page size when absent on a connection). Depth, aliases and
tokens are limited by Strawberry's own extensions (see schema/__init__.py).
"""

from __future__ import annotations

from app.settings import get_settings
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)


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
