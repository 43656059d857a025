"""LangChain chat models for the LLM planner: which model (``BRIEFREEL_LLM``), and the ``invoke_structured``
function that asks it for a :class:`~storyboard.llm_schema.PlannerBoard`.

    chat, name = resolve_model("openai:gpt-4o-mini")   # or a BaseChatModel, or None for BRIEFREEL_LLM
    invoke = langchain_invoker(chat)                    # invoke(messages, schema) -> dict

``langchain``'s ``init_chat_model`` is used when installed, otherwise the provider package (langchain-openai,
langchain-ollama, langchain-anthropic) directly. Every LangChain import is inside a function: LangChain is an
optional extra, and the rest of the planner (and :func:`storyboard.llm.plan_with`) works without it.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from briefreel.storyboard.llm_schema import InvokeStructured, NoModelConfigured, PlannerAnswerError

ENV_MODEL = "BRIEFREEL_LLM"


def resolve_model(model: Any = None) -> tuple[Any, str]:
    """``(chat_model, name)`` from a BaseChatModel, a spec string, or ``BRIEFREEL_LLM``."""
    if model is not None and not isinstance(model, str):
        return model, getattr(model, "model_name", None) or getattr(model, "model", None) or type(model).__name__
    spec = (model or os.environ.get(ENV_MODEL, "")).strip()
    if not spec:
        raise NoModelConfigured(
            f"no LLM is configured: set {ENV_MODEL} (e.g. 'openai:gpt-4o-mini' or 'ollama:qwen2.5') or pass a "
            "LangChain chat model"
        )
    provider, _, name = spec.partition(":") if ":" in spec else ("", "", spec)
    try:
        from langchain.chat_models import init_chat_model  # type: ignore[import-not-found]
    except ImportError:
        init_chat_model = None
    try:
        if init_chat_model is not None:
            return init_chat_model(name, model_provider=provider or None, temperature=0), spec
        return _direct(provider or "openai", name), spec
    except ImportError as exc:
        raise NoModelConfigured(f"{ENV_MODEL}={spec!r} needs a provider package that is not installed ({exc.name}); "
                                f"pip install langchain-{provider or 'openai'}") from None
    except Exception as exc:
        raise NoModelConfigured(f"the model {spec!r} could not be set up: {type(exc).__name__}: {clip(str(exc))}") \
            from None


def _direct(provider: str, name: str):
    if provider == "openai":
        from langchain_openai import ChatOpenAI  # type: ignore[import-not-found]

        return ChatOpenAI(model=name, temperature=0)
    if provider == "ollama":
        from langchain_ollama import ChatOllama  # type: ignore[import-not-found]

        return ChatOllama(model=name, temperature=0)
    if provider == "anthropic":
        from langchain_anthropic import ChatAnthropic  # type: ignore[import-not-found]

        return ChatAnthropic(model=name, temperature=0)
    raise NoModelConfigured(f"unknown provider {provider!r}: install 'langchain' for init_chat_model's providers, "
                            "or use openai:, ollama: or anthropic:")


def langchain_invoker(chat) -> InvokeStructured:
    """``invoke_structured`` for a LangChain chat model: tool-calling structured output where the model has it,
    else a JSON-only reply parsed here."""
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}

    def invoke(messages: list[dict], schema: dict) -> dict:
        lc = [kinds[m["role"]](content=m["content"]) for m in messages]
        try:
            runnable = chat.with_structured_output(schema, include_raw=True)
        except NotImplementedError:
            runnable = None
        if runnable is None:
            return _json_reply(chat.invoke(_with_schema(lc, schema)).content)
        out = runnable.invoke(lc)
        if out.get("parsed") is not None:
            return out["parsed"]
        raw = out.get("raw")
        content = getattr(raw, "content", "")
        if isinstance(content, str) and content.strip():
            return _json_reply(content)  # some models answer in text despite the tool
        raise PlannerAnswerError(f"the answer could not be read as the storyboard: {out.get('parsing_error')}")

    return invoke


def _with_schema(lc: list, schema: dict) -> list:
    from langchain_core.messages import SystemMessage

    note = ("\n\nReply with one JSON object and nothing else, matching this JSON Schema:\n"
            + json.dumps(schema, ensure_ascii=False))
    if lc and isinstance(lc[0], SystemMessage):
        return [SystemMessage(content=str(lc[0].content) + note), *lc[1:]]
    return [SystemMessage(content=note.strip()), *lc]


def _json_reply(content: Any) -> dict:
    if isinstance(content, list):  # content blocks
        content = "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    text = str(content).strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fence:
        text = fence.group(1).strip()
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        raise PlannerAnswerError("the answer held no JSON object; reply with the storyboard as one JSON object")
    try:
        value = json.loads(text[start:end + 1])
    except json.JSONDecodeError as exc:
        raise PlannerAnswerError(f"the answer was not valid JSON ({exc.msg} at character {exc.pos})") from None
    if not isinstance(value, dict):
        raise PlannerAnswerError("the answer must be a JSON object")
    return value


def clip(text: str, limit: int = 200) -> str:
    """``text`` on one line, cut to ``limit`` characters (an exception's message in a fallback reason)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
