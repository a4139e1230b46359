"""questionnaires package of VendorWatch (see DESIGN.md)."""
