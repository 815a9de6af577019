"""Dagster assets, one folder per source or capability."""
