"""Compiled reads: a whole GraphQL query answered by one SQL statement.

A query operation whose every field the entity declarations can express (columns,
global IDs, enums, to-one relations, connections with their pages, filters and orders,
`node`/`nodes`) is compiled into one statement that returns the response's `data` as
JSON built by PostgreSQL. The rest (PHI, fields computed in Python, fields the caller
may not read, mutations, subscriptions) is answered by the resolvers, for the whole
document.

- `sql.py`: the expressions that write values exactly as the resolvers do;
- `fields.py`: the schema index (how each entity field is answered) and field collection;
- `plan.py`: an operation and a permission set -> a plan (permissions decided here);
- `bind.py`: a request's arguments -> the shape of each slot's SQL and its parameters;
- `render.py`: a plan and the shapes -> the statement text (cached per shape);
- `run.py`: the caches and the schema extension that answers with the statement.
"""

from schema.compiler.run import MISMATCHES, CompiledReads

__all__ = ["MISMATCHES", "CompiledReads"]
