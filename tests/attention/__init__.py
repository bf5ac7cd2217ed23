"""Tests of blogcode.attention; the files mirror its modules."""
