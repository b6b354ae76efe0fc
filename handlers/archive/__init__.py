"""ZIP archives (application/zip): see handlers/archive/handler.py. handlers/archive/nested.py
holds what every container handler (e-mail too) shares."""

from handlers.archive.handler import ZipHandler

__all__ = ["ZipHandler"]
