"""GraphQL types of the orders module, one file per noun."""
