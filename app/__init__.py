"""Cardsmith: the execution layer that turns a writer's plan into example cards."""

__version__ = "0.1.0"

import logging as _logging

# A library's logger stays silent unless the application configures logging (--debug does).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
