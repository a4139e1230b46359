"""File-based sources."""
