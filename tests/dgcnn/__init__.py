"""Tests of blogcode.dgcnn; the files mirror its modules."""
