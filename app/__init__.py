"""Cardsmith: the execution layer that turns a writer's plan into example cards."""

__version__ = "0.1.0"
