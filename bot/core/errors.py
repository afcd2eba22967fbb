"""Errors a user can cause; the edges (Slack, CLI) turn them into messages."""

from __future__ import annotations


class UserError(Exception):
    """Something the user typed or chose is wrong; the message says what to do instead."""
