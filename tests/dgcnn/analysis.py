"""A hand-made error analysis (two dev questions) for the dgcnn figure and widget tests."""

import numpy as np


def hand_analysis():
    """``(details, predictions, references, questions)`` shaped as ``answer_questions``
    and ``reference_answers`` return them: question 1 answered right from its second
    passage, question 2 left unanswered."""
    probs = np.zeros((8, 2))
    probs[2, 0], probs[3, 1] = 0.9, 0.8
    details = {
        1: {"passages": [{"passage": "上海在东边。", "probs": np.zeros((6, 2)), "candidates": {}},
                         {"passage": "今天北京很大很大", "probs": probs, "candidates": {"北京": 0.72}}],
            "votes": {"北京": 0.42}},
        2: {"passages": [{"passage": "没有答案", "probs": np.zeros((4, 2)), "candidates": {}},
                         {"passage": "鲁迅写的。", "probs": np.zeros((5, 2)), "candidates": {}}],
            "votes": {}},
    }
    predictions = {1: "北京", 2: ""}
    references = {1: ["北京"], 2: ["鲁迅"]}
    questions = {1: "＿的首都是哪里", 2: "谁写的"}
    return details, predictions, references, questions
