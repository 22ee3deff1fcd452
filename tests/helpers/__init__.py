"""Small shared helpers for tests."""
