"""profilephoto: a hexagonal backend for AI profile photos."""

__version__ = "0.1.0"
