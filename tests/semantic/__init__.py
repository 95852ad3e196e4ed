"""Tests of segdsl.semantic."""
