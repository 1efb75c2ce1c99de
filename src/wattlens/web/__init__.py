"""The web dashboard (``wattlens serve``): FastAPI, Jinja2 pages, plotly.js served locally.

Import :func:`wattlens.web.app.create_app`; this package needs the ``web``
extra and is never imported by ``import wattlens``.
"""
