"""Tests of blogcode.rope; the files mirror its modules."""
