"""Tests of blogcode.optimizers; the files mirror its modules."""
