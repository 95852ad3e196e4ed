"""Tests of segdsl.tools."""
