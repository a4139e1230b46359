"""Read models for the screens and reports (dashboard, CLI, digest): what a page shows, computed in SQL.

A page renders these and nothing else: no SQL and no business rules above this package. Each function takes
a session (and the registry in force, a clock, a ``Masker`` where personal data appears) and returns plain
frozen dataclasses, so the dashboard can cache them and a test can read them.
"""
