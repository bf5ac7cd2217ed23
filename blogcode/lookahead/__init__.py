"""lookahead"""
