"""The catalogue of standard event names llmkit itself emits.

Names are dotted lowercase segments, most general first: ``<category>.<thing>.<what>``.
The first segment is the event's default category, so ``tool.**`` subscribes to every
tool event. Applications may emit their own names; these constants only fix the
spelling of the ones llmkit's layers share.
"""

from __future__ import annotations

__all__ = [
    "AGENT_RUN_COMPLETED",
    "AGENT_RUN_FAILED",
    "AGENT_RUN_STARTED",
    "MEMORY_LOAD",
    "MEMORY_SAVE",
    "MODEL_REQUEST_COMPLETED",
    "MODEL_REQUEST_FAILED",
    "MODEL_REQUEST_STARTED",
    "MODEL_TEXT_DELTA",
    "MODEL_TOOL_CALL_ARGUMENTS",
    "MODEL_TOOL_CALL_COMPLETED",
    "MODEL_TOOL_CALL_STARTED",
    "MODEL_USAGE",
    "SCRIPT_COMPLETED",
    "SCRIPT_FAILED",
    "SCRIPT_OUTPUT",
    "SCRIPT_STARTED",
    "STANDARD_NAMES",
    "STEP_COMPLETED",
    "STEP_FAILED",
    "STEP_SKIPPED",
    "STEP_STARTED",
    "TOOL_CALL_COMPLETED",
    "TOOL_CALL_FAILED",
    "TOOL_CALL_STARTED",
    "WORKFLOW_RUN_COMPLETED",
    "WORKFLOW_RUN_FAILED",
    "WORKFLOW_RUN_STARTED",
]

# An agent run: payload carries the agent name and, when finished, usage and output.
AGENT_RUN_STARTED = "agent.run.started"
AGENT_RUN_COMPLETED = "agent.run.completed"
AGENT_RUN_FAILED = "agent.run.failed"

# One request to a model provider: payload carries model, provider, usage or error.
MODEL_REQUEST_STARTED = "model.request.started"
MODEL_REQUEST_COMPLETED = "model.request.completed"
MODEL_REQUEST_FAILED = "model.request.failed"

# What a streamed reply is made of, as `Agent.run_stream` reports it.
MODEL_TEXT_DELTA = "model.text.delta"
MODEL_TOOL_CALL_STARTED = "model.tool_call.started"
MODEL_TOOL_CALL_ARGUMENTS = "model.tool_call.arguments"
MODEL_TOOL_CALL_COMPLETED = "model.tool_call.completed"
MODEL_USAGE = "model.usage"

# One tool call: payload carries tool, call id, arguments and result or error.
TOOL_CALL_STARTED = "tool.call.started"
TOOL_CALL_COMPLETED = "tool.call.completed"
TOOL_CALL_FAILED = "tool.call.failed"

# A workflow run and its steps.
WORKFLOW_RUN_STARTED = "workflow.run.started"
WORKFLOW_RUN_COMPLETED = "workflow.run.completed"
WORKFLOW_RUN_FAILED = "workflow.run.failed"
STEP_STARTED = "step.started"
STEP_COMPLETED = "step.completed"
STEP_FAILED = "step.failed"
STEP_SKIPPED = "step.skipped"

# Conversation memory loaded from or saved to a store.
MEMORY_LOAD = "memory.load"
MEMORY_SAVE = "memory.save"

# A sandboxed script.
SCRIPT_STARTED = "script.started"
SCRIPT_OUTPUT = "script.output"
SCRIPT_COMPLETED = "script.completed"
SCRIPT_FAILED = "script.failed"

STANDARD_NAMES: frozenset[str] = frozenset(
    value for key, value in dict(globals()).items() if key.isupper() and isinstance(value, str)
)
"""Every standard name above."""
