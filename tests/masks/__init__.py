"""Tests of blogcode.masks; the files mirror its modules."""
