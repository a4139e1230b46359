"""The portal's web layer: routes, templates, static files (no business rules)."""
