"""How a request asks for an answer in a JSON shape: structured output, or a tool to call.

Only a provider knows the wire words; a request just says which of the two ways it wants and
with which schema. Forcing the tool is allowed only when the model does not think by default:
forced tool use with thinking on is a 400 (docs/architecture.md, "Providers and roles").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any

from app.core.models import ModelInfo, Thinking


class AnswerVia(str, Enum):
    FORMAT = "format"  # structured output: the answer's text is JSON following the schema
    TOOL = "tool"  # a tool whose input schema is the schema; its call's input is the answer

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class AnswerFormat:
    """The JSON shape a request asks its answer to take."""

    schema_json: str
    """The JSON schema as canonical JSON text (hashable, and the same bytes every time)."""
    via: AnswerVia
    tool_name: str
    """The tool's name (``via`` TOOL); the answer is the input of the call to it."""
    tool_description: str = ""
    force_tool: bool = False
    """``tool_choice`` names the tool; otherwise the model chooses (``auto``) and is asked to."""

    @property
    def schema(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.schema_json)
        return value


def answer_format_for(
    info: ModelInfo | None, schema_json: str, tool_name: str, tool_description: str = ""
) -> AnswerFormat:
    """Structured output where the model table says the model has it; else a tool, forced only for
    a model known not to think unless asked (an unknown model may think: the tool is offered)."""
    if info is not None and info.structured_output:
        return AnswerFormat(schema_json, AnswerVia.FORMAT, tool_name, tool_description)
    thinks_by_default = info is None or info.thinking is Thinking.ADAPTIVE or info.thinking_always_on
    return AnswerFormat(
        schema_json, AnswerVia.TOOL, tool_name, tool_description, force_tool=not thinks_by_default
    )
