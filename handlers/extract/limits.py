"""Limits of text extraction, as named constants, each refusal with its own error code.

Design: "Every parser has limits (bytes, pages, archive members, expansion ratio, nesting
depth, time) as named constants, each with its own error." Two kinds of response:

* a limit that only one *part* exceeds (one oversized XML member, one deep XML tree, one
  image too large to OCR) becomes an ``Incomplete(reason="limit_exceeded", part=...)``: the
  rest of the document is still read and classified, and the result says what was not;
* a limit that shows the *whole input* is hostile (a decompression bomb, more members than
  any office document has) refuses the input with one of the errors below, because reading
  "the rest" of a bomb is exactly what the bomb wants.

Whole-file limits shared with the sanitisers (text bytes, total extracted characters) live in
``handlers.limits``.
"""

from __future__ import annotations

from core.errors import LimitExceeded

# --- ZIP containers (OOXML, ODF, plain archives) -------------------------------------------
#: Largest ZIP container read at all (compressed size).
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
#: Most members in one archive. Word/Excel files have tens to a few hundred; tens of
#: thousands of entries is a resource attack, so the archive is refused.
MAX_ARCHIVE_MEMBERS = 10_000
#: Sum of the declared uncompressed sizes of one archive's members.
MAX_ARCHIVE_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
#: Largest single member decompressed into memory; a larger member is skipped (incomplete).
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: Expansion ratio above which a member is a decompression bomb. Real OOXML/ODF XML
#: compresses 10-50x (a sheet of repeated empty styled cells ~150x); deflate tops out near
#: 1032x, which is what zero-filled bomb members reach.
MAX_COMPRESSION_RATIO = 250
#: The ratio is judged only on members at least this large: tiny members compress oddly.
RATIO_CHECK_MIN_BYTES = 4 * 1024 * 1024
#: Bytes decompressed in one ``extract`` call across all nesting levels (zip in mail in zip…).
MAX_TOTAL_EXPANDED_BYTES = 2 * 1024 * 1024 * 1024

# --- XML ---------------------------------------------------------------------------------
#: Deepest element nesting in one XML part. Word nests tables in tables, but never beyond a
#: few dozen levels; the walkers also recurse over this depth.
MAX_XML_DEPTH = 256
#: Most elements in one XML part (a 64 MB sheet holds roughly 3 million).
MAX_XML_ELEMENTS = 5_000_000

# --- Nesting (attachments, embedded objects, archive members) ------------------------------
#: Levels of containers inside containers (mail -> zip -> docx -> embedded xlsx is 3).
MAX_NESTING_DEPTH = 4
#: Embedded objects (attachments, members, images) read in one ``extract`` call.
MAX_EMBEDDED_OBJECTS = 1_000
#: MIME parts walked in one e-mail message.
MAX_MAIL_PARTS = 1_000
#: Deepest multipart nesting walked in one message (real mail nests 3-4 levels).
MAX_MIME_DEPTH = 32
#: Largest e-mail message parsed.
MAX_MAIL_BYTES = 64 * 1024 * 1024

# --- Text formats --------------------------------------------------------------------------
#: Deepest group nesting in RTF ({...}); hostile RTF nests thousands of groups.
MAX_RTF_GROUP_DEPTH = 512
#: Longest single metadata value kept (a longer one is cut and the cut is reported).
MAX_METADATA_VALUE_CHARS = 4_096

# --- Images and OCR ------------------------------------------------------------------------
#: Largest image file read.
MAX_IMAGE_BYTES = 64 * 1024 * 1024
#: Most pixels decoded for OCR (an A4 page at 600 dpi is 35 Mpx). Kept under Pillow's own
#: warning threshold (89.5 Mpx), whose global setting must not be changed per call.
MAX_OCR_PIXELS = 80_000_000
#: Images smaller than this on either side carry no readable text (bullets, spacer GIFs,
#: icons): they are not OCR'd and not reported as unread.
MIN_OCR_SIDE_PIXELS = 24
#: Seconds one tesseract run may take before it is killed (a dense A4 page at 300 dpi
#: takes 3-10 s with jpn+eng on one core).
OCR_TIMEOUT_SECONDS = 60
#: Images OCR'd in one ``extract`` call (scanned pages, pictures in documents and mail).
MAX_OCR_IMAGES = 50
#: Largest PDF page image handed to OCR.
MAX_PDF_IMAGE_BYTES = 32 * 1024 * 1024


class ArchiveBomb(LimitExceeded):
    """The container expands beyond any plausible document: refused as a whole."""

    code = "archive_bomb"
    default_message = "the archive expands beyond the processing limit (decompression bomb)"


class TooManyMembers(LimitExceeded):
    code = "too_many_members"
    default_message = "the archive has more members than this extractor reads"
