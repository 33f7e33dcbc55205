"""Adapters over the Engine: HTTP (FastAPI)."""
