"""Tests of blogcode.ellipse; the files mirror its modules."""
