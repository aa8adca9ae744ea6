"""Limits on an operation's shape: depth, aliases and cost, in one validation rule, so
an operation over any of them never executes.

- depth: how deeply fields with selections nest (introspection fields aside);
- aliases: aliased fields, each fragment spread counting its fragment's aliases;
- cost: each selected field costs 1; a field that takes `first`/`last` multiplies the
  cost of what it selects by that page size (the maximum page size when it comes from
  a variable, the default page size when absent on a connection).

Each fragment is measured once and the result reused wherever it is spread: walking
it again per spread takes time exponential in the nesting of fragments that spread
fragments (thirty such lines of a query would hang a worker). Tokens are limited by
Strawberry's MaxTokensLimiter, before parsing (see schema/root.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    cost: int = 0


EMPTY = Shape()


class OperationLimitsRule(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        settings = get_settings()
        self.max_depth = settings.max_query_depth
        self.max_aliases = settings.max_aliases
        self.max_cost = settings.max_query_cost
        self.default = settings.default_page_size
        self.maximum = settings.max_page_size
        self.fragments: dict[str, Shape] = {}

    def _measure(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> Shape:
        if selection_set is None:
            return EMPTY
        depth = aliases = cost = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self._measure(selection.selection_set, seen)
                aliases += inner.aliases + (1 if selection.alias else 0)
                cost += 1 + _page_size(selection, self.default, self.maximum) * inner.cost
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner.depth)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self._measure(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self._fragment(selection.name.value, seen)
            else:
                continue
            depth, aliases, cost = max(depth, inner.depth), aliases + inner.aliases, cost + inner.cost
        return Shape(depth, aliases, cost)

    def _fragment(self, name: str, seen: frozenset[str]) -> Shape:
        if name in self.fragments:
            return self.fragments[name]
        fragment = self.context.get_fragment(name)
        if fragment is None or name in seen:
            return EMPTY  # unknown or cyclic: other validation rules report those
        shape = self._measure(fragment.selection_set, seen | {name})
        self.fragments[name] = shape
        return shape

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: object) -> None:
        shape = self._measure(node.selection_set, frozenset())
        name = node.name.value if node.name else "anonymous"
        if shape.depth > self.max_depth:
            self._refuse(
                node, "QUERY_TOO_DEEP", f"'{name}' exceeds maximum operation depth of {self.max_depth}"
            )
        if shape.aliases > self.max_aliases:
            self._refuse(
                node, "TOO_MANY_ALIASES", f"{shape.aliases} aliases found. Allowed: {self.max_aliases}"
            )
        if shape.cost > self.max_cost:
            self._refuse(
                node,
                "QUERY_TOO_COSTLY",
                f"Query cost {shape.cost} exceeds the maximum of {self.max_cost}; "
                "ask for smaller pages or fewer nested lists",
            )

    def _refuse(self, node: OperationDefinitionNode, code: str, message: str) -> None:
        self.report_error(GraphQLError(message, node, extensions={"code": code}))
