"""rope"""
