"""The control catalog: JSDA IV.3(2) ①–⑦ as controls 3.2.1–3.2.7, related guideline items, and their checks."""
