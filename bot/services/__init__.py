"""Use cases: each module holds the rules of one capability and calls storage and Slack."""

# The words of the domain's errors (bot/domain/errors.py's catalog keys) come from here.
import blocks.catalog  # noqa: F401
