"""Tests of bot/connectors."""
