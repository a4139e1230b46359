"""3.2.6 reporting to management."""
