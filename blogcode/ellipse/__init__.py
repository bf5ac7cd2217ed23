"""ellipse"""
