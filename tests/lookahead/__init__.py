"""Tests of blogcode.lookahead; the files mirror its modules."""
