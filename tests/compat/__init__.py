"""Compatibility suite: the published modzy-sdk 0.11.6 client against a real inferjobs server."""
