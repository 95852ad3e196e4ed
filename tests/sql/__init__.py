"""Tests of segdsl.sql."""
