"""Tests of blogcode.runs (recorded full runs), one file per module of the package."""
