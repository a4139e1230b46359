"""VendorWatch: monitoring of outsourced vendors against JSDA guideline IV.3(2)."""

__version__ = "0.1.0"
