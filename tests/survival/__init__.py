"""Survival tests: fault storms, kills, hostile input; the run must come out whole."""
