"""bidecoder"""
