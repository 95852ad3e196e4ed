"""Tests of segdsl.activation."""
