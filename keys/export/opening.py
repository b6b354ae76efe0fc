"""``sekisho open``: one entry point for every export a recipient can open with sekisho.

The format is recognised from the file's first bytes, not its name: a sealed envelope
(password or recipient key), or CMS AuthEnvelopedData (DER, PEM, S/MIME; recipient key). A
PDF export opens in any PDF reader with its password, so it gets a clear pointer rather than
an attempt. Nothing is written unless the whole file authenticates (keys.export.atomic).
"""

from __future__ import annotations

from pathlib import Path

from core.errors import InvalidRequest
from keys.export.atomic import atomic_output
from keys.export.cms_open import looks_like_cms, open_cms
from keys.export.sealed_export import open_stream
from keys.primitives.asymmetric import PrivateKey

HEAD_BYTES = 512


def open_export(
    path: Path, output: Path, *,
    private_key: PrivateKey | None = None, password: str | None = None,
) -> tuple[str, int]:
    """Decrypt ``path`` into ``output``; returns (the format opened, plaintext bytes)."""
    with open(path, "rb") as source:
        head = source.read(HEAD_BYTES)
        source.seek(0)
        if head.startswith(b"%PDF-"):
            raise InvalidRequest("this is a PDF export: open it in a PDF reader with its "
                                 "password (sekisho open reads sealed and CMS exports)")
        if looks_like_cms(head):
            if private_key is None:
                raise InvalidRequest("a CMS export opens with the recipient's private key: "
                                     "give --key KEY.pem")
            with atomic_output(output) as sink:
                return "cms", open_cms(source, sink, private_key)
        with atomic_output(output) as sink:
            return "sealed", open_stream(source, sink, private_key=private_key,
                                         password=password)
