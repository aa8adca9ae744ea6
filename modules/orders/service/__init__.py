"""Domain logic and writes of the orders module; no GraphQL here."""
