"""scheduler package of VendorWatch (see DESIGN.md)."""
