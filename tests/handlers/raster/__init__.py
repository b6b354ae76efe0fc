"""Tests of raster mode (handlers/raster)."""
