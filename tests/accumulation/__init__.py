"""Tests of blogcode.accumulation; the files mirror its modules."""
