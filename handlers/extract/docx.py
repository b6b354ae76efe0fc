"""WordprocessingML (DOCX/DOCM/DOTX): every story, including what a reader does not see.

Read, and named in ``parts``: the body, headers and footers, footnotes and endnotes, comments,
text boxes, the glossary; tracked insertions *and deletions* (``w:del``/``w:delText``: deleted
text stays in the file and leaves with it), moves, hidden text (``w:vanish``) and field codes
(``w:instrText``: hyperlink targets, mail-merge sources). What Word hides is exactly what a
person forgets is there when sending a file out, so the classifier must see it.
"""

from __future__ import annotations

import re

from handlers.extract.collector import Collector
from handlers.extract.package import add_walked
from handlers.extract.walkers import TextWalker, is_off
from handlers.extract.zipsafe import SafeZip

#: Elements holding document characters (``t`` also matches DrawingML ``a:t`` and ``m:t``).
_TEXT_ELEMENTS = frozenset({"t", "delText", "instrText"})
_REVISION_ELEMENTS = {"ins": "tracked_insertions", "moveTo": "tracked_insertions",
                      "del": "tracked_deletions", "moveFrom": "tracked_deletions"}
_DELETIONS = frozenset({"del", "moveFrom"})
#: Parts in reading order after the main document; anything else under word/ comes last.
_STORY_ORDER = (
    re.compile(r"header\d*\.xml"), re.compile(r"footer\d*\.xml"),
    re.compile(r"footnotes\.xml"), re.compile(r"endnotes\.xml"),
    re.compile(r"comments\.xml"),
)
_COMMENT_PARTS = re.compile(r"comments\w*\.xml")
#: Parts with no document text: styles, settings, fonts, numbering, theme, web settings.
_NO_TEXT = re.compile(r"(styles|stylesWithEffects|settings|fontTable|numbering|webSettings"
                      r"|theme/theme\d*)\.xml")


class DocxWalker(TextWalker):
    """Text of one WordprocessingML part, with revision and hidden-text flags."""

    def __init__(self) -> None:
        super().__init__()
        self._revisions: list[str] = []
        self._run_hidden = False

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else ""
        if tag in _REVISION_ELEMENTS:
            self._revisions.append(_REVISION_ELEMENTS[tag])
            self.note_people("revision", attrs)
            if tag in _DELETIONS:
                # Deleted text sits next to its replacement: "山田[佐藤]" must not read as
                # one longer name (or one longer number) to the classifier.
                self.separate()
        elif tag == "r":
            self._run_hidden = False
        elif tag == "vanish" and parent == "rPr" and self._in_run():
            self._run_hidden = not is_off(attrs.get("val"))
        elif tag == "comment":
            self.note_people("comment", attrs)

    def on_end(self, tag: str) -> None:
        if tag in _REVISION_ELEMENTS and self._revisions:
            self._revisions.pop()
            if tag in _DELETIONS:
                self.separate()

    def accepts(self) -> bool:
        return bool(self.stack) and self.stack[-1] in _TEXT_ELEMENTS

    def on_text(self) -> None:
        self.features.update(self._revisions)
        if self._run_hidden:
            self.features.add("hidden_text")
        if self.stack[-1] == "instrText":
            self.features.add("field_codes")

    def _in_run(self) -> bool:
        return len(self.stack) >= 2 and self.stack[-2] == "r"


def extract_docx(package: SafeZip, out: Collector, main_part: str) -> set[str]:
    """Add every story under the main part's folder; returns the member names handled."""
    folder = main_part.rpartition("/")[0] + "/" if "/" in main_part else ""
    members = [
        info for info in package
        if info.filename.startswith(folder) and info.filename.endswith(".xml")
        and info.filename.count("/") <= folder.count("/") + 1
    ]
    handled: set[str] = set()
    for info in sorted(members, key=lambda i: _story_rank(i.filename, main_part, folder)):
        handled.add(info.filename)
        local = info.filename[len(folder):]
        if _NO_TEXT.fullmatch(local):
            continue
        walked = add_walked(package, info, out, DocxWalker())
        if walked is not None and walked.lines and _COMMENT_PARTS.fullmatch(local):
            out.add_part("comments")
    return handled


def _story_rank(name: str, main_part: str, folder: str) -> tuple[int, str]:
    if name == main_part:
        return (0, "")
    local = name[len(folder):]
    for rank, pattern in enumerate(_STORY_ORDER, start=1):
        if pattern.fullmatch(local):
            return (rank, _natural(local))
    return (len(_STORY_ORDER) + 1, _natural(local))


def _natural(name: str) -> str:
    # header10 after header9: zero-pad the numbers for ordering only.
    return re.sub(r"\d+", lambda m: m.group().zfill(6), name)
