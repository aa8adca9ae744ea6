"""Passwords, signed access tokens and opaque refresh tokens."""
