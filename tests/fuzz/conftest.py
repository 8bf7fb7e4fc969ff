"""Registers the fuzz suites' hypothesis profile (tests/fuzz/profile.py)."""

import tests.fuzz.profile  # noqa: F401
