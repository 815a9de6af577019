"""The HTTP side of the simulator: one module per API family, each rendering the model in Confluent's wire format.

Handlers take a ``RequestContext`` and return a ``Reply`` (or raise ``ApiError``/``CatalogError``); ``app.py``
routes, authenticates, rate-limits and applies faults around them.
"""
