"""lorabias engine: the Python worker the lorabias extension drives over JSON lines."""

__version__ = "0.1.0"
