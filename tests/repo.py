"""The source checkout the tests run in (fixtures, subprocess working folder, the top-level knowledge folders)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
