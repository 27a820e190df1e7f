"""Shared fixtures: paths to the project's data and to the public samples beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEMO_DIR = PROJECT_ROOT / "data" / "demo"
SHARED_REAL_DIR = PROJECT_ROOT.parent / "shared" / "data" / "real"


@pytest.fixture
def demo_dir() -> Path:
    """Return the folder of demo data shipped with the project."""
    return DEMO_DIR


@pytest.fixture
def shared_real_dir() -> Path:
    """Return ``../shared/data/real``, skipping when the public samples are not beside us.

    The GPL-3 Chellow samples are read from there in tests only and never shipped.
    """
    if not SHARED_REAL_DIR.is_dir():
        pytest.skip(f"public samples not found at {SHARED_REAL_DIR}; they live beside the checkout")
    return SHARED_REAL_DIR
