"""Domain core of P9 platform: meter formats, settlement, tariffs, billing and forecasting.

Nothing in this package imports Dagster, so every rule here can be tested and reused on its own.
"""
