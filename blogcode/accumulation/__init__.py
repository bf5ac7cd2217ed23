"""accumulation"""
