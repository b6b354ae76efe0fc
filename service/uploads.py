"""Streaming upload parsing: the file goes from the socket straight into an encrypting sink.

Werkzeug's form parser spools large files to plaintext temporary files; sekisho must never
write plaintext to disk (design: no plaintext at rest), so the multipart body is parsed here
with werkzeug's sans-IO decoder and each chunk is handed to the sink as it arrives.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import IO, Protocol
from urllib.parse import unquote

from werkzeug.datastructures import Headers
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from core.errors import InvalidRequest, MalformedMultipart

READ_CHUNK = 64 * 1024
MAX_FORM_FIELD_BYTES = 64 * 1024
MAX_FILENAME_CHARS = 255
FILE_FIELD = "file"
FILENAME_HEADER = "X-Sekisho-Filename"


class Sink(Protocol):
    def write(self, data: bytes) -> None: ...


class SinkFactory(Protocol):
    def __call__(self) -> Sink: ...


@dataclass
class ParsedUpload:
    filename: str | None
    declared_type: str | None
    sink: Sink
    fields: dict[str, str]


def clean_filename(untrusted_name: str | None) -> str | None:
    """Keep the last path component, drop control characters, cap the length."""
    if not untrusted_name:
        return None
    name = re.split(r"[\\/]", untrusted_name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    name = name[:MAX_FILENAME_CHARS]
    return name or None


def _declared(content_type: str | None) -> str | None:
    if not content_type:
        return None
    mime = parse_options_header(content_type)[0].lower()
    return None if mime in ("", "application/octet-stream") else mime


def parse_raw_body(
    stream: IO[bytes], headers: Headers, make_sink: SinkFactory
) -> ParsedUpload:
    """A raw body: the name comes from X-Sekisho-Filename (percent-encoded UTF-8 allowed)."""
    name = headers.get(FILENAME_HEADER)
    if name is None and "Content-Disposition" in headers:
        options = parse_options_header(headers["Content-Disposition"])[1]
        name = options.get("filename")
    sink = make_sink()
    for chunk in iter(lambda: stream.read(READ_CHUNK), b""):
        sink.write(chunk)
    return ParsedUpload(clean_filename(unquote(name) if name else None),
                        _declared(headers.get("Content-Type")), sink, {})


class _MultipartState:
    def __init__(self, make_sink: SinkFactory) -> None:
        self.make_sink = make_sink
        self.upload: ParsedUpload | None = None
        self.fields: dict[str, str] = {}
        self.current: str | None = None
        self.field_buf = bytearray()
        self.done = False

    def handle(self, event: object) -> None:
        if isinstance(event, File):
            self._start_file(event)
        elif isinstance(event, Field):
            self.current, self.field_buf = event.name, bytearray()
        elif isinstance(event, Data):
            self._data(event)
        elif isinstance(event, Epilogue):
            self.done = True

    def _start_file(self, event: File) -> None:
        if event.name != FILE_FIELD:
            self.current = None  # other file fields are ignored, never stored
            return
        if self.upload is not None:
            raise InvalidRequest("only one file per upload", code="multiple_files")
        self.current = FILE_FIELD
        self.upload = ParsedUpload(clean_filename(event.filename),
                                   _declared(event.headers.get("Content-Type")),
                                   self.make_sink(), self.fields)

    def _data(self, event: Data) -> None:
        if self.current == FILE_FIELD and self.upload is not None:
            self.upload.sink.write(event.data)
            return
        if self.current is None:
            return
        self.field_buf += event.data
        if len(self.field_buf) > MAX_FORM_FIELD_BYTES:
            raise InvalidRequest("a form field is too large", code="form_field_too_large")
        if not event.more_data:
            self.fields[self.current] = self.field_buf.decode("utf-8", "replace")


def parse_multipart(
    stream: IO[bytes], content_type: str, make_sink: SinkFactory
) -> ParsedUpload:
    boundary = parse_options_header(content_type)[1].get("boundary")
    if not boundary:
        raise MalformedMultipart("multipart body without a boundary")
    decoder = MultipartDecoder(boundary.encode("latin-1"), max_form_memory_size=None)
    state = _MultipartState(make_sink)
    try:
        for chunk in iter(lambda: stream.read(READ_CHUNK), b""):
            decoder.receive_data(chunk)
            _drain(decoder, state)
        decoder.receive_data(None)
        _drain(decoder, state)
    except ValueError as exc:
        raise MalformedMultipart(f"the multipart body could not be parsed: {exc}") from None
    if not state.done:
        raise MalformedMultipart("the multipart body ended before its closing boundary")
    if state.upload is None:
        raise InvalidRequest(f"no '{FILE_FIELD}' field in the multipart body", code="missing_file")
    return state.upload


def _drain(decoder: MultipartDecoder, state: _MultipartState) -> None:
    # After the epilogue the decoder raises on further calls, so stop there.
    while not state.done:
        event = decoder.next_event()
        if isinstance(event, NeedData):
            return
        state.handle(event)
