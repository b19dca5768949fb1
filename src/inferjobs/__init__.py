"""inferjobs: self-hosted asynchronous ML inference jobs with a Modzy-compatible API."""

__version__ = "0.1.0"
