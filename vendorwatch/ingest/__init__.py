"""Loading normalized records into the database: runs and their counts, inventories, events, and the source
objects they came from. Shared by all connectors, which read and transform but never write themselves."""
