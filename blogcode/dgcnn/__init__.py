"""dgcnn"""
