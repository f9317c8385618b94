"""The knowledge service and staff side: FastAPI app, data layer, CLI operations (``api.ops``)."""

__version__ = "0.1.0"
