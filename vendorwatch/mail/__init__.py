"""Outgoing mail: messages built once (``message``), optionally S/MIME-signed (``smime``), sent over SMTP with
TLS (``send``). Used by the monthly digest, questionnaire reminders, alerts and the portal's sign-in codes.

The SMTP server is the registry's ``organization.mail``; its password comes from the environment variable it
names and is never logged. What was sent is kept as bytes (``Delivery.raw``) so it can be stored as evidence and
sent again byte for byte.
"""
