"""Tests of segdsl.predict."""
