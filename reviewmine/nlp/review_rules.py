"""Names of the ways a model turns its outputs into a review score (``TaggerConfig.review_rule["method"]``).

Apart from both ``model`` (which checks the rule when loading weights) and ``review_head`` (which fits the head and
needs the model's type), so neither imports the other to agree on a string.
"""

from __future__ import annotations

__all__ = ["REVIEW_HEAD"]

REVIEW_HEAD = "review_head"  # a linear head on the mean sentence vector (nlp/review_head.py)
