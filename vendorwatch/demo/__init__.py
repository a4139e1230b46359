"""The demo: the example registry of docs/ and (as the parts land) real recorded data."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_REGISTRY = PROJECT_ROOT / "docs" / "examples" / "vendorwatch.yaml"
DEMO_DATABASE_URL = "sqlite:///vendorwatch-demo.db"
