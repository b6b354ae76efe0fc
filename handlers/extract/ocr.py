"""OCR through the tesseract command line, Japanese and English.

The image goes in on stdin and the text comes back on stdout: no plaintext file is written
(design: no plaintext at rest). tesseract runs with a timeout, one OpenMP thread (the worker
runs several jobs side by side), and an environment with nothing of ours in it.

Availability is optional: without the binary or its ``jpn`` model, ``ocr_available()`` is
False and callers report ``ocr_unavailable`` rather than pretending an image has no text.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess

from core.errors import CorruptFile, LimitExceeded
from handlers.extract.limits import OCR_TIMEOUT_SECONDS

#: The model that must be installed (Debian: tesseract-ocr-jpn).
REQUIRED_LANGUAGE = "jpn"
_LIST_TIMEOUT_SECONDS = 10
#: Characters between which tesseract's jpn model puts spaces that are not in the text.
_CJK = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


class OcrFailed(CorruptFile):
    code = "ocr_failed"
    default_message = "OCR could not read the image"


class OcrTimeout(LimitExceeded):
    code = "ocr_timeout"
    default_message = "OCR took longer than the time limit"


@functools.cache
def tesseract_languages() -> frozenset[str]:
    """Installed tesseract models; empty when tesseract is not installed."""
    binary = shutil.which("tesseract")
    if binary is None:
        return frozenset()
    try:
        listed = subprocess.run(
            [binary, "--list-langs"], capture_output=True, timeout=_LIST_TIMEOUT_SECONDS,
            env=_environment(), check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # The first line is a heading ("List of available languages in ...").
    lines = listed.stdout.decode("utf-8", errors="replace").splitlines()[1:]
    return frozenset(line.strip() for line in lines if line.strip())


def ocr_available() -> bool:
    return REQUIRED_LANGUAGE in tesseract_languages()


def run_ocr(image_png: bytes) -> str:
    """Text tesseract reads in a PNG image. OcrFailed or OcrTimeout on failure."""
    return tidy_ocr_text(run_tesseract(image_png).decode("utf-8", errors="replace"))


def run_tesseract(image: bytes, *output: str) -> bytes:
    """``tesseract stdin stdout`` (jpn, with eng when installed) over ``image``, with the
    given output configs (none: plain text; ``pdf``: a PDF page). Nothing touches the
    disk. OcrFailed or OcrTimeout on failure."""
    binary = shutil.which("tesseract")
    if binary is None or not ocr_available():
        raise OcrFailed("tesseract with the jpn model is not installed")
    languages = "jpn+eng" if "eng" in tesseract_languages() else "jpn"
    try:
        result = subprocess.run(
            [binary, "stdin", "stdout", "-l", languages, "--psm", "3", *output],
            input=image, capture_output=True, timeout=OCR_TIMEOUT_SECONDS,
            env=_environment(), check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise OcrTimeout(f"OCR ran longer than {OCR_TIMEOUT_SECONDS} s") from exc
    except OSError as exc:
        raise OcrFailed(f"tesseract could not be started ({type(exc).__name__})") from exc
    if result.returncode != 0:
        # stderr may quote nothing of the image, but it is not ours to log either.
        raise OcrFailed(f"tesseract exited with status {result.returncode}")
    return result.stdout


def tidy_ocr_text(text: str) -> str:
    """Drop the spaces tesseract puts between Japanese characters, and blank lines."""
    lines = (_CJK_GAP.sub("", line).strip() for line in text.replace("\f", "\n").splitlines())
    return "\n".join(line for line in lines if line)


def _environment() -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OMP_THREAD_LIMIT": "1",
           "LC_ALL": "C.UTF-8"}
    if "TESSDATA_PREFIX" in os.environ:
        env["TESSDATA_PREFIX"] = os.environ["TESSDATA_PREFIX"]
    return env
