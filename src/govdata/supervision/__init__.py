"""Supervision and evaluation (监督考核): violations, rectification, spot checks, evaluation, reports, IT projects."""
