"""File names for released files: the extension follows what the file has become.

A docm cleaned into a docx, or a Word file converted to PDF, must not keep the old
extension: a reader's system chooses the program by the name, and a name that lies about
the content is what the detector flags on the way in (design: content type from bytes).
"""

from __future__ import annotations

from pathlib import PurePosixPath

from handlers.detect import compatible, mime_from_name, normalise_mime

#: The extension written for each type a sanitiser produces.
EXTENSIONS = {
    "application/pdf": ".pdf",
    "text/plain": ".txt",
    "text/csv": ".csv",
    "message/rfc822": ".eml",
    "application/zip": ".zip",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/tiff": ".tif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
}


def with_extension_for(filename: str, input_mime: str | None, output_mime: str | None) -> str:
    """``filename`` with the extension of ``output_mime`` when the file changed type (or
    its name never fitted); unchanged when the name already fits the output."""
    if not output_mime:
        return filename
    output = normalise_mime(output_mime)
    claimed = mime_from_name(filename)
    if claimed is not None and (claimed == output or (
            input_mime is not None and normalise_mime(input_mime) == output
            and compatible(output, claimed))):
        return filename
    extension = EXTENSIONS.get(output)
    if extension is None:
        return filename
    path = PurePosixPath(filename)
    stem = path.stem if path.suffix else path.name
    return stem + extension
