"""Storage: tables, engine, sessions and migrations."""
