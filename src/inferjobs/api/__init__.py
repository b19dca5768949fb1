"""The HTTP API (FastAPI), Modzy-compatible, under /api."""
