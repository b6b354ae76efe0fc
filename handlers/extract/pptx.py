"""PresentationML (PPTX/PPTM/PPSX): slides, hidden slides, speaker notes and comments.

Speaker notes never show in the slide show and are the usual place for what was not meant
for the audience; hidden slides (``show="0"``) leave with the file all the same. Both are
read and named. Masters, layouts, charts and diagrams are walked by the generic pass (a
"極秘" in a master's footer is on every slide).
"""

from __future__ import annotations

import re
import zipfile

from handlers.extract.collector import Collector
from handlers.extract.package import add_walked
from handlers.extract.walkers import TextWalker, is_off
from handlers.extract.zipsafe import SafeZip

_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml")
_NOTES = re.compile(r"ppt/notesSlides/notesSlide(\d+)\.xml")
_COMMENTS = re.compile(r"ppt/comments/\w+\.xml")
_AUTHORS = frozenset({"ppt/commentAuthors.xml", "ppt/authors.xml"})


class DrawingWalker(TextWalker):
    """DrawingML text (``a:t`` in ``a:p``); comment ``p:text``; author attributes."""

    def on_start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag in {"cmAuthor", "author"} and attrs.get("name", "").strip():
            self.people["comment"].add(attrs["name"].strip())

    def accepts(self) -> bool:
        return bool(self.stack) and self.stack[-1] in {"t", "text"}


def extract_pptx(package: SafeZip, out: Collector, main_part: str) -> set[str]:
    """Add slides in order, then notes, then comments; returns the member names handled."""
    handled = {main_part}
    for info in _numbered(package, _SLIDE):
        handled.add(info.filename)
        walked = add_walked(package, info, out, DrawingWalker())
        if walked is not None and is_off(walked.root_attrs.get("show")):
            number = _SLIDE.fullmatch(info.filename)
            out.add_part(f"hidden_slide:{number.group(1) if number else '?'}")
    for info in _numbered(package, _NOTES):
        handled.add(info.filename)
        walked = add_walked(package, info, out, DrawingWalker())
        if walked is not None and walked.lines:
            out.add_part("speaker_notes")
    for info in package:
        if _COMMENTS.fullmatch(info.filename) or info.filename in _AUTHORS:
            handled.add(info.filename)
            walked = add_walked(package, info, out, DrawingWalker())
            if walked is not None and walked.lines:
                out.add_part("comments")
    return handled


def _numbered(package: SafeZip, pattern: re.Pattern[str]) -> list[zipfile.ZipInfo]:
    found = [(int(m.group(1)), info) for info in package if (m := pattern.fullmatch(info.filename))]
    return [info for _number, info in sorted(found, key=lambda pair: pair[0])]
