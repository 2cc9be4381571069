"""govdata — a jurisdiction's government data resource platform."""

__version__ = "0.1.0"
