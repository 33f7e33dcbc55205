"""The HTTP adapter (layer 6): the FastAPI daemon's app, routes, request models, auth and
error mapping. Every route calls one Engine method and returns its dict; nothing here holds
memory logic."""
