"""Plain text: detect the Japanese encoding, normalise to UTF-8, drop invisible controls.

Decode order, and why:

1. A byte-order mark is an explicit declaration: UTF-8 (with BOM) or UTF-16. If the bytes
   then fail to decode, the file is refused rather than guessed at.
2. ISO-2022-JP (JIS, still used by mail) is 7-bit: every byte is ASCII, so UTF-8 would accept
   it and keep the escape sequences as garbage. It is tried first when a JIS designation
   (ESC $ B, ESC $ @, ESC ( J, ESC ( I) is present; ANSI colour codes (ESC [) are not JIS.
3. UTF-8 (no BOM): its multi-byte structure is self-validating, so CP932 or EUC-JP Japanese
   text practically never decodes as UTF-8, while pure ASCII is correct as UTF-8.
4. EUC-JP and CP932 both accept many byte strings. CP932 lead bytes 0x81-0x9F (hiragana,
   katakana, punctuation) are invalid in EUC-JP, so real CP932 text rarely passes as EUC-JP;
   EUC-JP often passes as CP932 but turns into half-width katakana and user-defined
   characters. When both decode, the one that reads more like Japanese wins; a tie goes to
   CP932 (Windows' default in Japanese offices). CP932 rather than strict Shift_JIS because
   it is the superset Windows writes (①, ㈱, 髙 and other NEC/IBM extensions).
"""

from __future__ import annotations

from core.errors import UnsupportedContent
from handlers.base import Handler, Inspection, LabelStamp
from handlers.limits import MAX_TEXT_BYTES, check_size

TEXT_PLAIN = "text/plain"

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_JIS_DESIGNATIONS = (b"\x1b$B", b"\x1b$@", b"\x1b(J", b"\x1b(I")
_JIS_CODECS = ("iso2022_jp", "iso2022_jp_ext")
_LEGACY_CODECS = ("euc_jp", "cp932")

#: Bidirectional embedding, override and isolate controls: they reorder what a reader sees
#: (Trojan Source, CVE-2021-42574; right-to-left file-name spoofing). LRM/RLM stay.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: C0/C1 controls other than tab and line ends carry nothing a reader sees.
CONTROL_CHARACTERS = frozenset(
    [chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"]
    + ["\x7f"]
    + [chr(c) for c in range(0x80, 0xA0)]
)


class UnsupportedTextEncoding(UnsupportedContent):
    code = "unsupported_text_encoding"
    default_message = "the text is not in a supported encoding (UTF-8/16, CP932, EUC-JP, JIS)"


def decode_japanese_text(untrusted_data: bytes) -> tuple[str, str]:
    """Decode bytes as Japanese text; returns ``(text, encoding)`` or raises."""
    declared = _decode_with_bom(untrusted_data)
    if declared is not None:
        return declared
    if untrusted_data.isascii() and any(d in untrusted_data for d in _JIS_DESIGNATIONS):
        for codec in _JIS_CODECS:
            decoded = _try_decode(untrusted_data, codec)
            if decoded is not None:
                return decoded, codec
    utf8 = _try_decode(untrusted_data, "utf-8")
    if utf8 is not None:
        return utf8, "utf-8"
    return _decode_legacy(untrusted_data)


def _decode_with_bom(untrusted_data: bytes) -> tuple[str, str] | None:
    if untrusted_data.startswith(_UTF8_BOM):
        codec = "utf-8-sig"
    elif untrusted_data.startswith(_UTF16_BOMS):
        codec = "utf-16"
    else:
        return None
    decoded = _try_decode(untrusted_data, codec)
    if decoded is None:
        raise UnsupportedTextEncoding(f"the text declares {codec} by its BOM but is not valid")
    return decoded, codec


def _decode_legacy(untrusted_data: bytes) -> tuple[str, str]:
    candidates = [
        (text, codec)
        for codec in _LEGACY_CODECS
        if (text := _try_decode(untrusted_data, codec)) is not None
    ]
    if not candidates:
        raise UnsupportedTextEncoding()
    # max() keeps the first of equal scores; CP932 is listed last, so reverse for the tie.
    return max(reversed(candidates), key=lambda candidate: japanese_score(candidate[0]))


def _try_decode(untrusted_data: bytes, codec: str) -> str | None:
    try:
        return untrusted_data.decode(codec)
    except UnicodeDecodeError:
        return None


def japanese_score(text: str) -> int:
    """How much a decoding reads like Japanese (higher is better).

    Kana, CJK punctuation and full-width forms score 2. Kanji score 1, but only next to
    kana: CP932 half-width katakana read as EUC-JP turns into kanji with no kana at all
    (ｶﾀｶﾅ -> 鏡凝). Half-width katakana are neutral in text without kanji (CP932 bank and
    registry data use them) and cost 1 among kanji, where they are typical of EUC-JP read as
    CP932 (取扱注意 -> ｼ隹ｷﾃ擎ﾕ); ｡｢｣､･ and small ｧｨｩｪｫ cost 2 for the same reason. A few
    very short strings stay ambiguous (4 bytes valid as ｸﾄｿﾍ and as 個人); ties go to CP932.
    Private-use characters are what EUC-JP lead bytes 0xF0-0xF9 become in CP932.
    """
    has_kana = any(_is_kana(c) for c in text)
    has_kanji = any("\u4e00" <= c <= "\u9fff" for c in text)
    score = 0
    for char in text:
        code = ord(char)
        if _is_kana(char) or 0xFF01 <= code <= 0xFF5E:
            score += 2
        elif 0x4E00 <= code <= 0x9FFF:
            score += 1 if has_kana else 0
        elif 0xFF61 <= code <= 0xFF65 or 0xFF67 <= code <= 0xFF6B:
            score -= 2
        elif 0xFF66 <= code <= 0xFF9F:
            score -= 1 if has_kanji else 0
        elif 0xE000 <= code <= 0xF8FF:
            score -= 3
    return score


def _is_kana(char: str) -> bool:
    return "\u3000" <= char <= "\u30ff"


def count_invisible(text: str) -> dict[str, int]:
    """Kind -> count of characters ``clean`` removes."""
    counts = {
        "bidi_control": sum(1 for c in text if c in BIDI_CONTROLS),
        "control_character": sum(1 for c in text if c in CONTROL_CHARACTERS),
    }
    return {kind: n for kind, n in counts.items() if n}


def strip_invisible(text: str) -> str:
    drop = BIDI_CONTROLS | CONTROL_CHARACTERS
    return "".join(c for c in text if c not in drop)


class TextHandler(Handler):
    """Plain text in a Japanese or Unicode encoding; cleaned output is UTF-8 without BOM."""

    mime_types = frozenset({TEXT_PLAIN})
    # Re-encoded text can look like CSV or JSON to libmagic; it is still the same text.
    output_mime_types = frozenset({TEXT_PLAIN, "text/csv", "application/json"})

    _text: str
    _encoding: str

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_TEXT_BYTES)
        self._text, self._encoding = decode_japanese_text(self._untrusted_data)

    def inspect(self) -> Inspection:
        invisible = count_invisible(self._text)
        return Inspection(
            mime=TEXT_PLAIN,
            active_content={k: n for k, n in invisible.items() if k == "bidi_control"},
            hidden_data={k: n for k, n in invisible.items() if k != "bidi_control"},
            properties={
                "encoding": self._encoding,
                "bom": self._encoding in {"utf-8-sig", "utf-16"},
                "characters": len(self._text),
            },
        )

    def extract_text(self) -> str:
        return self._text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        removed = count_invisible(self._text)
        if self._encoding in {"utf-8-sig", "utf-16"}:
            removed["byte_order_mark"] = 1
        return strip_invisible(self._text).encode("utf-8"), removed

    def _output_problems(self) -> list[str]:
        # Normalised output is UTF-8 without a BOM; anything else means clean() went wrong.
        return [] if self._encoding == "utf-8" else [f"encoding:{self._encoding}"]

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # Plain text has no property store; a visible header line is a later issue. The
        # output still has to be a verified clean file before anything is released.
        cls.verify(cleaned)
        return cleaned

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        return None
