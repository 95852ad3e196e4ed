"""Tests of segdsl.engines."""
