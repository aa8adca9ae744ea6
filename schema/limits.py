"""Limits on an operation's shape, measured before the document is validated: depth,
aliases, cost, field selections and directives. A document over any of them is refused
without running graphql-core's rules, some of which cost time quadratic in the fields a
selection set repeats (see schema/documents.py, which runs this first).

- depth: how deeply fields with selections nest (introspection fields aside);
- aliases: aliased fields, each fragment spread counting its fragment's aliases;
- cost: each selected field costs 1; a field that takes `first`/`last` multiplies the
  cost of what it selects by that page size (the maximum page size when it comes from
  a variable, the default page size when absent on a connection), `nodes(ids:)` by the
  number of IDs (the most it takes, from a variable); `__schema` costs half the limit;
- fields: field selections once fragments are expanded (each spread counts its
  fragment's), a bound on the work of validating and executing the operation;
- directives: directives written anywhere in the document.

Each fragment is measured once and the result reused wherever it is spread: walking
it again per spread takes time exponential in the nesting of fragments that spread
fragments (thirty such lines of a query would hang a worker). Tokens and the size of
the query text are limited before parsing.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
)

from app.settings import Settings
from schema.node import MAX_NODES


def _page_size(field: FieldNode, default: int, maximum: int) -> int:
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            if isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
            return maximum
        if argument.name.value == "ids":  # `nodes(ids:)`: as many objects as IDs
            if isinstance(argument.value, ListValueNode):
                return max(1, len(argument.value.values))
            return MAX_NODES
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
    fields: int = 0


EMPTY = Shape()


def limit_errors(document: DocumentNode, settings: Settings, text: str | None = None) -> list[GraphQLError]:
    """Every limit the document's operations exceed, as errors with a stable code.
    `text`, the document's source, spares counting directives when it has few `@`."""
    measure = _Measure(document, settings)
    errors = [
        error
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
        for error in measure.operation_errors(node)
    ]
    maybe = text is None or text.count("@") > settings.max_directives
    directives = _count_directives(document) if maybe else 0
    if directives > settings.max_directives:
        errors.append(
            refusal(
                "TOO_MANY_DIRECTIVES",
                f"{directives} directives found. Allowed: {settings.max_directives}",
            )
        )
    return errors


class _Measure:
    def __init__(self, document: DocumentNode, settings: Settings) -> None:
        self.settings = settings
        self.definitions = {
            node.name.value: node for node in document.definitions if isinstance(node, FragmentDefinitionNode)
        }
        self.fragments: dict[str, Shape] = {}

    def operation_errors(self, node: OperationDefinitionNode) -> list[GraphQLError]:
        settings = self.settings
        shape = self._measure(node.selection_set, frozenset())
        name = node.name.value if node.name else "anonymous"
        errors = []
        if shape.depth > settings.max_query_depth:
            message = f"'{name}' exceeds maximum operation depth of {settings.max_query_depth}"
            errors.append(refusal("QUERY_TOO_DEEP", message, node))
        if shape.aliases > settings.max_aliases:
            message = f"{shape.aliases} aliases found. Allowed: {settings.max_aliases}"
            errors.append(refusal("TOO_MANY_ALIASES", message, node))
        if shape.cost > settings.max_query_cost:
            message = (
                f"Query cost {shape.cost} exceeds the maximum of {settings.max_query_cost}; "
                "ask for smaller pages or fewer nested lists"
            )
            errors.append(refusal("QUERY_TOO_COSTLY", message, node))
        if shape.fields > settings.max_fields:
            message = (
                f"'{name}' selects {shape.fields} fields (fragments expanded). Allowed: {settings.max_fields}"
            )
            errors.append(refusal("TOO_MANY_FIELDS", message, node))
        return errors

    def _measure(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> Shape:
        if selection_set is None:
            return EMPTY
        depth = aliases = cost = fields = 0
        default, maximum = self.settings.default_page_size, self.settings.max_page_size
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = self._measure(selection.selection_set, seen)
                aliases += inner.aliases + (1 if selection.alias else 0)
                cost += 1 + _page_size(selection, default, maximum) * inner.cost
                if selection.name.value == "__schema":
                    # The whole schema, however little is selected of each type: one
                    # introspection a document (its answer is hundreds of kilobytes).
                    cost += self.settings.max_query_cost // 2
                fields += 1 + inner.fields
                if selection.selection_set and not selection.name.value.startswith("__"):
                    depth = max(depth, 1 + inner.depth)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self._measure(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                inner = self._fragment(selection.name.value, seen)
            else:
                continue
            depth = max(depth, inner.depth)
            aliases, cost, fields = aliases + inner.aliases, cost + inner.cost, fields + inner.fields
        return Shape(depth, aliases, cost, fields)

    def _fragment(self, name: str, seen: frozenset[str]) -> Shape:
        if name in self.fragments:
            return self.fragments[name]
        fragment = self.definitions.get(name)
        if fragment is None or name in seen:
            return EMPTY  # unknown or cyclic: validation reports those
        shape = self._measure(fragment.selection_set, seen | {name})
        self.fragments[name] = shape
        return shape


def _count_directives(document: DocumentNode) -> int:
    count = 0
    stack: list[Node] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, DirectiveNode):
            count += 1
            continue
        for key in node.keys:
            child = getattr(node, key, None)
            if isinstance(child, tuple | list):
                stack.extend(item for item in child if isinstance(item, Node))
            elif isinstance(child, Node):
                stack.append(child)
    return count


def refusal(code: str, message: str, node: Node | None = None) -> GraphQLError:
    """A request error with a stable code."""
    return GraphQLError(message, node, extensions={"code": code})
