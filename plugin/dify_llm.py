"""The LLM planner on the Dify workspace's own model: ``briefreel.storyboard.llm.plan_with`` behind reverse invocation.

``plan_with(brief, invoke_structured)`` is provider-agnostic: it hands ``invoke_structured(messages, schema)``
chat messages and a JSON Schema and expects the answer as a dict. Here that call becomes
``session.model.llm_structured_output.invoke(model_config, prompt, structured_output_schema=schema)`` on the model
picked in the tool's model-selector (the daemon checks the manifest's ``permission.model.llm``).
"""

from __future__ import annotations

import copy
import json


def model_config(selected) -> dict:
    """The model-selector value as an LLMModelConfig dict (Dify sends provider, model, mode, completion_params)."""
    if not isinstance(selected, dict) or not selected.get("provider") or not selected.get("model"):
        from briefreel.plugin.errors import ToolUserError

        raise ToolUserError("no_model")
    return {
        "provider": selected["provider"],
        "model": selected["model"],
        "model_type": "llm",
        "mode": selected.get("mode") or "chat",
        "completion_params": dict(selected.get("completion_params") or {}),
    }


def invoker(session, config: dict):
    """An ``invoke_structured(messages, schema) -> dict`` for :func:`briefreel.storyboard.llm.plan_with`."""
    from dify_plugin.entities.model.message import AssistantPromptMessage, SystemPromptMessage, UserPromptMessage

    from briefreel.storyboard.llm import PlannerAnswerError

    roles = {"system": SystemPromptMessage, "user": UserPromptMessage, "assistant": AssistantPromptMessage}

    def invoke(messages: list[dict], schema: dict) -> dict:
        prompt = [roles[m["role"]](content=m["content"]) for m in messages]
        result = session.model.llm_structured_output.invoke(
            config, prompt, structured_output_schema=inline_refs(schema), stream=False
        )
        answer = result.structured_output
        if isinstance(answer, dict) and answer:
            return dict(answer)
        content = result.message.content if isinstance(result.message.content, str) else ""
        try:
            parsed = json.loads(content)
        except ValueError:
            raise PlannerAnswerError("the reply was not a JSON object") from None
        if not isinstance(parsed, dict):
            raise PlannerAnswerError("the reply was not a JSON object")
        return parsed

    return invoke


def inline_refs(schema: dict) -> dict:
    """The schema with every local ``$ref`` replaced by its definition (some providers reject ``$defs``)."""
    defs = schema.get("$defs") or schema.get("definitions") or {}

    def walk(node, depth=0):
        if depth > 20:
            return node
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                name = ref.rsplit("/", 1)[-1]
                if name in defs:
                    merged = {**copy.deepcopy(defs[name]), **{k: v for k, v in node.items() if k != "$ref"}}
                    return walk(merged, depth + 1)
            return {k: walk(v, depth) for k, v in node.items() if k not in ("$defs", "definitions")}
        if isinstance(node, list):
            return [walk(v, depth) for v in node]
        return node

    return walk(schema)
