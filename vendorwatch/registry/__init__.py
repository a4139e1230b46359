"""The vendor registry (``vendorwatch.yaml``): models, loading, validation and import."""
