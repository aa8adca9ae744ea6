"""The orders module's GraphQL root parts: its Query and Mutation classes."""
