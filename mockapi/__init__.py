"""mockapi: a local, offline, deterministic emulation of the OpenAI REST API."""

__version__ = "0.1.0"
