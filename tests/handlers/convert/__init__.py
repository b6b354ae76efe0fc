"""Tests of LibreOffice conversion (handlers/convert)."""
