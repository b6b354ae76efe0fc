"""Shared fixtures for the classifier tests."""

from __future__ import annotations

import pytest

from core.profiles import Profile, load_profiles


@pytest.fixture(scope="session")
def profiles() -> dict[str, Profile]:
    return load_profiles()
