"""Tests of segdsl.reports."""
