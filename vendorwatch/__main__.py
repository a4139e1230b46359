"""``python -m vendorwatch``."""

from vendorwatch.cli import main

main()
