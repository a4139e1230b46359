"""dashboard package of VendorWatch (see DESIGN.md)."""
