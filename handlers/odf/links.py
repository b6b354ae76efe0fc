"""What an ``xlink:href`` in an ODF part points at.

Targets are sorted into: a place in the document (``#bookmark``), a part of the package
(``Pictures/1.png``), a web or mail address, a script or command (``vnd.sun.star.script:``
Basic/Python macros, ``macro:``, ``.uno:`` dispatch commands, ``javascript:``), and anything
else outside the file (``file:``, ``smb:``, UNC paths, ``../`` paths to sibling files):
fetched or opened when the document is, and leaking local paths (Chiba 2(12) 無害化).
"""

from __future__ import annotations

import re
from enum import Enum
from urllib.parse import unquote


class Target(Enum):
    EMPTY = "empty"
    FRAGMENT = "fragment"
    PACKAGE = "package"
    WEB = "web"
    SCRIPT = "script"
    EXTERNAL = "external"


_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_WEB_SCHEMES = frozenset({"http", "https", "mailto"})
_SCRIPT_SCHEMES = frozenset({"vnd.sun.star.script", "macro", "javascript", "vbscript",
                             "basic", "vnd.sun.star.basic", "slot", "service",
                             "vnd.sun.star.uno", "vnd.sun.star.cmd", "uno"})
_COMMAND_PREFIXES = (".uno:", "vnd.sun.star.")


def classify(href: str) -> Target:
    target = href.strip()
    if not target:
        return Target.EMPTY
    if target.startswith("#"):
        return Target.FRAGMENT
    if target.lower().startswith(_COMMAND_PREFIXES):
        return Target.SCRIPT
    scheme = _SCHEME.match(target)
    if scheme is not None:
        name = scheme.group(1).lower()
        if name in _SCRIPT_SCHEMES:
            return Target.SCRIPT
        return Target.WEB if name in _WEB_SCHEMES else Target.EXTERNAL
    path = package_path(target)
    return Target.EXTERNAL if path is None else Target.PACKAGE


def package_path(href: str) -> str | None:
    """The package member a relative reference names, or None if it leaves the package."""
    path = unquote(href.strip())
    while path.startswith("./"):
        path = path[2:]
    if not path or path.startswith(("/", "\\")) or "\\" in path or ":" in path:
        return None
    if any(segment in ("..", ".") for segment in path.split("/")):
        return None
    return path
