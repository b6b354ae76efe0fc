"""Plain text: detect the Japanese encoding, normalise to UTF-8, drop invisible controls, and
carry our label in a two-line header (Chiba 6.2(2), LBL-01).

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

The label header (``write_label``) is the first two lines of a labelled file:

    機密性2（中）情報　取扱制限：複製禁止
    sekisho-label: {"confidentiality":"C2","restrictions":["no_copy"]}

The first line is ``LabelStamp.visible`` for the reader (plain text has no header/footer, so
the top of the file is where the policy's visible marking goes); the second is the label as
canonical JSON for ``read_label``. It is recognised only in exactly that form: line 2
starting with ``sekisho-label: `` followed by the canonical encoding of a JSON object. Any
other line that looks like a marker (after NFKC and case folding, so full-width forgeries
count) is a ``label_marker`` that ``clean`` neutralises by prefixing ``> `` and that makes
``verify`` fail: a document cannot smuggle in a label of its own choosing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from core.errors import ConfigurationError, UnsupportedContent
from handlers.base import Handler, Inspection, LabelStamp
from handlers.labelcodec import decode_label, encode_label
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


def _character_class(characters: frozenset[str]) -> re.Pattern[str]:
    return re.compile("[" + "".join(re.escape(c) for c in sorted(characters)) + "]")


# Regular expressions scan in C: per-character Python loops (and str.translate with a
# mapping) take seconds on a 32 MB file.
_BIDI = _character_class(BIDI_CONTROLS)
_CONTROLS = _character_class(CONTROL_CHARACTERS)
_INVISIBLE = _character_class(BIDI_CONTROLS | CONTROL_CHARACTERS)


def count_invisible(text: str) -> dict[str, int]:
    """Kind -> count of characters ``clean`` removes."""
    counts = {
        "bidi_control": len(_BIDI.findall(text)),
        "control_character": len(_CONTROLS.findall(text)),
    }
    return {kind: n for kind, n in counts.items() if n}


def strip_invisible(text: str) -> str:
    return _INVISIBLE.sub("", text)


# --- The label header ---------------------------------------------------------------------

#: Starts the machine-readable line of the label header.
LABEL_MARKER = "sekisho-label: "
#: The metadata key a labelled text reports (and the only one ``verify`` accepts).
LABEL_KEY = "sekisho-label"
#: What a neutralised look-alike marker line starts with.
NEUTRALISED_PREFIX = "> "
_MARKER_FOLDED = LABEL_MARKER.strip().casefold()


class UnwritableTextLabel(ConfigurationError):
    """The profile's visible stamp or label cannot be written as one clean line."""

    code = "label_not_writable"
    default_message = "the label cannot be written as a single clean line of text"


def looks_like_label_marker(line: str) -> bool:
    """Whether a line reads as our marker to a person or a lenient parser (full-width
    letters, leading blanks, other case)."""
    head = line.lstrip()[: len(_MARKER_FOLDED) * 2]
    return unicodedata.normalize("NFKC", head).casefold().startswith(_MARKER_FOLDED)


def _may_hold_marker(text: str) -> bool:
    # One NFKC pass over the whole text (in C) rules out nearly every file before the
    # line-by-line check.
    return _MARKER_FOLDED in unicodedata.normalize("NFKC", text).casefold()


def count_label_markers(text: str) -> int:
    if not _may_hold_marker(text):
        return 0
    return sum(1 for line in text.splitlines() if looks_like_label_marker(line))


def neutralise_label_markers(text: str) -> tuple[str, int]:
    """Prefix every look-alike marker line so that it can no longer pass for a label."""
    if not _may_hold_marker(text):
        return text, 0
    lines = text.splitlines(keepends=True)
    count = 0
    for index, line in enumerate(lines):
        if looks_like_label_marker(line):
            lines[index] = NEUTRALISED_PREFIX + line
            count += 1
    return "".join(lines), count


def normalise_text(text: str) -> tuple[str, dict[str, int]]:
    """Text as every text output carries it (plain text, HTML and mail bodies converted to
    text): invisible controls dropped, look-alike label markers neutralised."""
    removed = count_invisible(text)
    normalised, markers = neutralise_label_markers(strip_invisible(text))
    if markers:
        removed["label_marker"] = markers
    return normalised, removed


def split_label_header(text: str) -> tuple[dict[str, object] | None, str]:
    """``(label, body)`` when the text starts with exactly our header, else ``(None, text)``."""
    lines = text.split("\n", 2)
    if len(lines) < 3:
        return None, text
    visible, marker, body = lines
    if visible.endswith("\r") != marker.endswith("\r"):
        return None, text
    marker = marker.removesuffix("\r")
    if looks_like_label_marker(visible) or not marker.startswith(LABEL_MARKER):
        return None, text
    label = decode_label(marker.removeprefix(LABEL_MARKER))
    if label is None or marker != LABEL_MARKER + encode_label(label):
        return None, text
    return label, body


def _single_clean_line(line: str) -> str:
    if len(line.splitlines()) > 1 or count_invisible(line):
        raise UnwritableTextLabel("the label must be one line without control characters")
    return line


def visible_line(stamp: LabelStamp) -> str:
    """The stamp's visible text as one clean line that cannot pass for the marker."""
    visible = _single_clean_line(stamp.visible.strip())
    if looks_like_label_marker(visible):
        raise UnwritableTextLabel("the visible stamp must not look like the label marker")
    return visible


def label_header(stamp: LabelStamp, newline: str = "\n") -> str:
    """The two header lines for ``stamp``; refuses what would not read back unambiguously."""
    marker = _single_clean_line(LABEL_MARKER + encode_label(stamp.label))
    return f"{visible_line(stamp)}{newline}{marker}{newline}"


def label_text(text: str, stamp: LabelStamp) -> str:
    """``text`` with its label header replaced by one for ``stamp``."""
    _old, body = split_label_header(text)
    # The header follows the body's line ends, so that editors see one convention.
    newline = "\r\n" if body.split("\n", 1)[0].endswith("\r") else "\n"
    return label_header(stamp, newline) + body


class TextHandler(Handler):
    """Plain text in a Japanese or Unicode encoding; cleaned output is UTF-8 without BOM."""

    mime_types = frozenset({TEXT_PLAIN})
    # Re-encoded text can look like CSV or JSON to libmagic; it is still the same text.
    output_mime_types = frozenset({TEXT_PLAIN, "text/csv", "application/json"})
    label_metadata_keys = frozenset({LABEL_KEY})

    _text: str
    _encoding: str
    _label: Mapping[str, object] | None
    _body: str

    def _load(self) -> None:
        check_size(self._untrusted_data, MAX_TEXT_BYTES)
        self._text, self._encoding = decode_japanese_text(self._untrusted_data)
        self._label, self._body = split_label_header(self._text)

    def inspect(self) -> Inspection:
        invisible = count_invisible(self._text)
        hidden = {k: n for k, n in invisible.items() if k != "bidi_control"}
        if markers := count_label_markers(self._body):
            hidden["label_marker"] = markers
        return Inspection(
            mime=TEXT_PLAIN,
            metadata_keys=(LABEL_KEY,) if self._label is not None else (),
            active_content={k: n for k, n in invisible.items() if k == "bidi_control"},
            hidden_data=hidden,
            properties={
                "encoding": self._encoding,
                "bom": self._encoding in {"utf-8-sig", "utf-16"},
                "characters": len(self._text),
            },
        )

    def extract_text(self) -> str:
        return self._text

    def _sanitise(self) -> tuple[bytes, dict[str, int]]:
        # Our own earlier label is removed like any other metadata; the pipeline writes the
        # current one back after cleaning (design: strip everything, then write our label).
        text, removed = normalise_text(self._body)
        if self._label is not None:
            removed[LABEL_KEY] = 1
        if self._encoding in {"utf-8-sig", "utf-16"}:
            removed["byte_order_mark"] = 1
        return text.encode("utf-8"), removed

    def _output_problems(self) -> list[str]:
        # Normalised output is UTF-8 without a BOM; anything else means clean() went wrong.
        return [] if self._encoding == "utf-8" else [f"encoding:{self._encoding}"]

    @classmethod
    def write_label(cls, cleaned: bytes, stamp: LabelStamp) -> bytes:
        # Only a verified clean text is labelled, and the result is verified again: it may
        # differ from the clean text only by the header (Chiba 6.2(2), LBL-01).
        cls.verify(cleaned)
        labelled = label_text(cleaned.decode("utf-8"), stamp).encode("utf-8")
        cls.verify(labelled)
        return labelled

    @classmethod
    def read_label(cls, data: bytes) -> dict[str, object] | None:
        try:
            text, _encoding = decode_japanese_text(data)
        except UnsupportedTextEncoding:
            return None
        label, _body = split_label_header(text)
        return label
