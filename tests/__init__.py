"""Tests of blogcode; the files mirror its modules."""
