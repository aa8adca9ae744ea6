"""Domain logic and writes of the tenancy module: validation, state, audit. No GraphQL.

Services take a connection already inside the request's transaction (a
savepoint), raise `InputInvalid` for bad input and never commit.
"""
