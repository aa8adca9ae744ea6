"""GraphQL types of the tenancy module, one file per noun. Each is declared once with
`@entity` (schema/entities.py); references across files are lazy, so no file imports
another."""
