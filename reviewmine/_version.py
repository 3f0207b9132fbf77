"""The package version, in a module of its own so any layer can read it without importing the package root.

Keep it equal to ``version`` in pyproject.toml.
"""

__version__ = "0.1.0"
