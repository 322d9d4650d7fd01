"""SeaLink: the shore-side hub for fleet liaison and safety of small fishing boats."""

__version__ = "0.1.0"
