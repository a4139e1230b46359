"""The Streamlit dashboard of VendorWatch: portfolio, vendor and findings pages for the firm's staff.

``app.py`` is the entry point (``vendorwatch dashboard`` serves it); the pages live in ``app_pages/``. Pages
render read models of ``vendorwatch.views`` and act through the same domain functions as the CLI.
"""
