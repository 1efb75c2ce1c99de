"""Where users already work: training-framework callbacks, LLM API clients, notebooks.

Each submodule imports its framework lazily, so ``import wattlens.integrations`` costs nothing
and a framework that is not installed is an error only when its integration is used.
"""
