"""Rerunnable evaluation of the classifier (issue 3, Deliver 7): synthetic Japanese documents
with known entity spans (``generator``), and ``python -m tests.eval.run`` (``make eval``)
printing per-entity precision, recall and F1 against the issue's targets."""
