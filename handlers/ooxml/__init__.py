"""Office Open XML handler family: Word, Excel and PowerPoint packages rebuilt from an
allow-list of parts and relationships (see policy.py), labels written back (label.py)."""

from handlers.ooxml.handler import ExcelHandler, OoxmlHandler, PowerPointHandler, WordHandler

__all__ = ["ExcelHandler", "OoxmlHandler", "PowerPointHandler", "WordHandler"]
