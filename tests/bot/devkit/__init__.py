"""Tests of bot/devkit."""
