"""connectors package of VendorWatch (see DESIGN.md)."""
