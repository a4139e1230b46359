"""The dashboard's pages: one Streamlit script per page, run by ``dashboard/app.py`` (``st.Page`` with a file path).

Never imported: Streamlit executes each file as a script. This file makes the folder a package so that
``lint-imports`` reads the scripts' imports: the contract ``pages-through-the-domain`` (pyproject.toml) forbids a
page to import SQL or the database layer directly; a page reads through ``dashboard.data`` and acts through
``dashboard.actions``.
"""
