"""The composition root: the only code that lists the installed modules and imports them
all — the root schema, the ASGI app, the CLI and the demo seed (and migrations/env.py)."""
