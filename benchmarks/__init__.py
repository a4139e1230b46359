"""Speed and memory benchmarks of VendorWatch: not installed, not part of the test run (``python -m benchmarks.<name>``)."""
