"""Rostra: a self-hostable social platform."""

__version__ = "0.1.0"
