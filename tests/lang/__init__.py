"""Tests of segdsl.lang."""
