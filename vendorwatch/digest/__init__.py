"""The monthly risk digest for the board (JSDA IV.3(2)⑥, control 3.2.6).

``build`` computes a typed model of the month from the database (``model``; the board page in ``board``, the
detail in ``sections/``), ``render`` turns it into an HTML e-mail with a plain-text part and a print HTML that
WeasyPrint makes into the PDF (charts from ``charts``), ``store`` keeps every production and delivery as
evidence, ``deliver`` mails it (and sends a stored one again byte for byte), ``service`` is what the CLI, the
scheduler and the dashboard call.
"""
