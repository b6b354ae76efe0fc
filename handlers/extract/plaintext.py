"""Plain text and CSV: the sanitiser's encoding detection, and a best-effort fallback.

``handlers.text.decode_japanese_text`` refuses bytes that no supported encoding decodes
exactly. For classification, refusing would leave the whole file unclassified; instead the
encoding that loses the fewest characters is used with U+FFFD for the rest, and the result
says ``undecodable_text`` so that the profile's floor for unreadable content applies.
"""

from __future__ import annotations

import codecs

from handlers.extract.collector import Collector
from handlers.extract.result import UNDECODABLE_TEXT
from handlers.limits import MAX_TEXT_BYTES, check_size
from handlers.text import UnsupportedTextEncoding, decode_japanese_text, japanese_score

#: Candidates for the lossy fallback, in order of preference on a tie.
_FALLBACK_CODECS = ("utf-8", "cp932", "euc_jp")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_CODEC_ALIASES = {
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms932": "cp932", "ms_kanji": "cp932", "csshiftjis": "cp932",
    "euc-jp": "euc_jp", "x-euc-jp": "euc_jp", "iso-2022-jp": "iso2022_jp_ext",
}
#: Character sets a declared label (<meta charset>, MIME charset=) may select.
_CHARSETS = frozenset({
    "utf-8", "cp932", "shift_jis", "shift_jis_2004", "euc_jp", "euc_jis_2004", "iso2022_jp",
    "iso2022_jp_ext", "iso2022_jp_2", "ascii", "latin-1", "gbk", "gb2312", "gb18030", "big5",
    "euc_kr", "cp949",
})


def decode_text(untrusted_data: bytes, out: Collector, part: str | None = None) -> str:
    """Decode Japanese or Unicode text; lossy (and reported) when no encoding fits exactly."""
    try:
        text, _encoding = decode_japanese_text(untrusted_data)
        return text
    except UnsupportedTextEncoding:
        out.add_incomplete(UNDECODABLE_TEXT, part)
        return decode_lossy(untrusted_data)


def decode_lossy(untrusted_data: bytes) -> str:
    """The decoding with the fewest replacement characters."""
    candidates = ("utf-16",) if untrusted_data.startswith(_UTF16_BOMS) else _FALLBACK_CODECS
    decodings = [untrusted_data.decode(codec, errors="replace") for codec in candidates]
    # Fewest lost characters first (U+FFFD, and the private-use characters CP932 maps stray
    # bytes to); among equals, the reading most like Japanese (the scoring the strict
    # detection uses), so EUC-JP with one bad byte stays EUC-JP.
    return min(decodings, key=lambda text: (_losses(text), -japanese_score(text)))


def _losses(text: str) -> int:
    return sum(1 for char in text if char == "\ufffd" or "\ue000" <= char <= "\uf8ff")


def extract_plain_text(untrusted_data: bytes, out: Collector) -> None:
    check_size(untrusted_data, MAX_TEXT_BYTES)
    out.add_text(decode_text(untrusted_data, out, "body"), "body")


def extract_nothing(untrusted_data: bytes, out: Collector) -> None:
    """An empty file: nothing to read, and nothing missing."""


def codec_for_label(declared: str) -> str | None:
    """The codec for a declared charset label (HTML <meta>, MIME charset=), or None when it
    is not a character set we trust. Shift_JIS and ISO-2022-JP labels map to the supersets
    Windows actually writes (NEC/IBM extensions: ①, ㈱, 髙)."""
    name = declared.lower()
    try:
        codec = codecs.lookup(_CODEC_ALIASES.get(name, name)).name
    except LookupError:
        return None
    # Python also has "codecs" that are transformations (unicode_escape, rot13, undefined):
    # a document must not choose one of those for us.
    return codec if codec in _CHARSETS or codec.startswith(("iso8859", "cp125")) else None
