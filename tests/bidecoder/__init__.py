"""Tests of blogcode.bidecoder; the files mirror its modules."""
