"""The plugin's entry point. The daemon runs ``python -m main`` in the package root; that ``main.py`` (written by
plugin/package.py) is ``from plugin.main import plugin; plugin.run()``.

``MAX_REQUEST_TIMEOUT`` only bounds how long a serverless response may stay silent; the tools send a progress
update at least every 10 s, so long renders never hit it.
"""

from dify_plugin import DifyPluginEnv, Plugin

plugin = Plugin(DifyPluginEnv(MAX_REQUEST_TIMEOUT=300))

if __name__ == "__main__":
    plugin.run()
