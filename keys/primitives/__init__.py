"""Thin wrappers over ``cryptography.hazmat`` and the stdlib: the only importers of hazmat.

Every call asks :mod:`keys.allowlist` first. Nothing here knows about files, headers or key ids;
those are the recipes at the top of ``keys/``.
"""
