"""The Dify plugin: YAML says what each tool is (plugin/provider, plugin/tools), short Python files say what it does.

Modules: ``main`` (the SDK entry, started as ``python -m main`` from the package root), ``provider/`` and ``tools/``
(what Dify loads), ``files`` (download Dify's signed file URLs), ``worker`` (the heavy work in a child process so
the SDK's heartbeat never starves), ``fit`` (keep returned files and messages under Dify's limits), ``errors``
(what a user reads when something goes wrong), ``dify_llm`` (the workspace model behind the LLM planner),
``service`` (the render service client), ``package`` (``make plugin``).

Nothing here imports ``dify_plugin`` at package import time: the worker child process must stay free of the SDK's
gevent monkey-patching.
"""
