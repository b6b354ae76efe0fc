"""OpenDocument handler family: ODT, ODS and ODP rebuilt from an allow-list."""

from handlers.odf.handler import ODF_HANDLERS, OdfHandler, OdpHandler, OdsHandler, OdtHandler

__all__ = ["ODF_HANDLERS", "OdfHandler", "OdpHandler", "OdsHandler", "OdtHandler"]
