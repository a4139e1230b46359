"""Loading normalized records into the database: runs, inventories, events. Shared by all connectors."""
