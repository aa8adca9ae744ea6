"""GraphQL types of the products module: enums, listings, and one file per noun."""
