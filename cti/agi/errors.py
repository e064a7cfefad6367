"""Errors of the FastAGI codec. Like h11, they say whose fault it is."""

from __future__ import annotations


class AgiProtocolError(Exception):
    """Base class of codec errors."""


class RemoteProtocolError(AgiProtocolError):
    """Asterisk (or whoever connected) sent bytes that are not FastAGI."""


class LocalProtocolError(AgiProtocolError):
    """We asked for something AGI cannot carry (a newline in an argument...)."""
