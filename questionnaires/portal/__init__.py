"""The vendor portal: contacts' accounts and sign-in (domain modules, no web framework) and the web app (``web/``).

The domain modules (``accounts``, ``tokens``, ``codes``, ``passkeys``, ``sessions``, ``throttle``, ``mailing``)
are tested without HTTP; the web app only parses requests, calls them and :mod:`questionnaires.respondent`, and
renders templates.
"""
