"""gridbot NLP: classify grid-group messages into ticket categories.

Pure: text in, :class:`Classification` out; depends only on the stdlib and jieba.
"""

from nlp.classifier import Classification, Classifier, load_classifier
from nlp.location import Location
from nlp.rules import CATEGORIES, RuleError

__all__ = [
    "CATEGORIES",
    "Classification",
    "Classifier",
    "Location",
    "RuleError",
    "load_classifier",
]
