"""Sealed exports: round trips, and every kind of bad input ending in one opaque error with no
partial plaintext written (issue 5: "What bad input gets")."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest

from core.errors import AlgorithmNotAllowed, DecryptionFailed
from keys.allowlist import DEFAULT_ALLOWLIST, install_allowlist
from keys.export import UnsupportedFormatVersion, load_private_key, load_recipient
from keys.export.envelope import MAGIC, EcdhParams, PasswordParams, RsaOaepParams, parse_envelope
from keys.export.sealed_export import open_file, open_stream, seal_file, seal_stream
from keys.sealed_format import SALT_BYTES as INNER_SALT_BYTES
from keys.sealed_format import TAG_BYTES

SEGMENT = 1024
PASSWORD = "a long enough test password 0123"


def _seal_bytes(data: bytes, **kwargs: object) -> bytes:
    sink = io.BytesIO()
    seal_stream(io.BytesIO(data), sink, segment_size=SEGMENT, **kwargs)
    return sink.getvalue()


def _segment_offsets(sealed: bytes, plaintext_len: int) -> tuple[int, list[int]]:
    """Offset of the first segment and the end offset of every segment."""
    source = io.BytesIO(sealed)
    parse_envelope(source)
    from keys.sealed_format import parse_header

    parse_header(source)
    start = source.tell()
    count = max(1, -(-plaintext_len // SEGMENT))
    ends, offset = [], start
    for i in range(count):
        size = SEGMENT if i < count - 1 else plaintext_len - SEGMENT * (count - 1)
        offset += size + TAG_BYTES
        ends.append(offset)
    assert ends[-1] == len(sealed)
    return start, ends


def _open_fails(tmp_path: Path, sealed: bytes, exc: type[Exception] = DecryptionFailed,
                **kwargs: object) -> None:
    """Opening fails with ``exc`` and leaves no file at all in the output directory."""
    src = tmp_path / "in.skx"
    src.write_bytes(sealed)
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    with pytest.raises(exc) as info:
        open_file(src, out_dir / "plain.bin", **kwargs)
    assert type(info.value) is exc  # exactly the opaque class, not a more talkative subclass
    assert list(out_dir.iterdir()) == []


@pytest.fixture
def ec_key(ec_recipient):
    return load_private_key(ec_recipient.key_pem)


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 5 * SEGMENT + 3])
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_round_trip_for_recipient_keys(kind: str, size: int, rsa_recipient, ec_recipient
                                       ) -> None:
    pair = rsa_recipient if kind == "rsa" else ec_recipient
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    sealed = _seal_bytes(data, recipient=load_recipient(pair.cert_pem))
    out = io.BytesIO()
    assert open_stream(io.BytesIO(sealed), out, private_key=load_private_key(pair.key_pem)) == size
    assert out.getvalue() == data
    assert data[:64] not in sealed or size < 64


def test_round_trip_with_a_password_and_its_header(tmp_path: Path, sample: Path) -> None:
    info = seal_file(sample, tmp_path / "p.skx", password=PASSWORD)
    assert info.method == "PBKDF2-HMAC-SHA-256" and info.iterations == 600_000
    header = parse_envelope(io.BytesIO((tmp_path / "p.skx").read_bytes()))
    assert isinstance(header.params, PasswordParams)
    assert header.params.iterations >= 600_000 and len(header.params.salt) == 32
    assert open_file(tmp_path / "p.skx", tmp_path / "p.out", password=PASSWORD) > 0
    assert (tmp_path / "p.out").read_bytes() == sample.read_bytes()
    assert (tmp_path / "p.out").stat().st_mode & 0o077 == 0  # plaintext output is private


def test_salts_are_fresh_so_the_same_password_gives_different_files(tmp_path: Path) -> None:
    one = _seal_bytes(b"same", password=PASSWORD)
    two = _seal_bytes(b"same", password=PASSWORD)
    assert one != two


def test_header_names_every_algorithm(rsa_recipient, ec_recipient) -> None:
    for pair, method, params_type in ((rsa_recipient, b"RSA-OAEP-SHA-256", RsaOaepParams),
                                      (ec_recipient, b"ECDH-P256", EcdhParams)):
        sealed = _seal_bytes(b"x", recipient=load_recipient(pair.cert_pem))
        assert sealed.startswith(MAGIC + b"\x01")
        assert method in sealed[:64] and b"HKDF-SHA-256" in sealed[:64]
        assert b"AES-256-GCM" in sealed  # the inner sealed stream names its AEAD
        assert isinstance(parse_envelope(io.BytesIO(sealed)).params, params_type)


def test_bare_public_key_is_enough_for_sealed(ec_recipient, ec_key) -> None:
    sealed = _seal_bytes(b"hello", recipient=load_recipient(ec_recipient.public_pem))
    out = io.BytesIO()
    open_stream(io.BytesIO(sealed), out, private_key=ec_key)
    assert out.getvalue() == b"hello"


def test_wrong_key_and_wrong_password_are_the_same_opaque_failure(
    tmp_path: Path, rsa_recipient, other_rsa_recipient, ec_recipient, other_ec_recipient
) -> None:
    to_rsa = _seal_bytes(b"secret" * 500, recipient=load_recipient(rsa_recipient.cert_pem))
    to_ec = _seal_bytes(b"secret" * 500, recipient=load_recipient(ec_recipient.cert_pem))
    _open_fails(tmp_path, to_rsa, private_key=load_private_key(other_rsa_recipient.key_pem))
    _open_fails(tmp_path, to_rsa, private_key=load_private_key(ec_recipient.key_pem))
    _open_fails(tmp_path, to_ec, private_key=load_private_key(other_ec_recipient.key_pem))
    _open_fails(tmp_path, to_ec, private_key=load_private_key(rsa_recipient.key_pem))
    _open_fails(tmp_path, to_ec, password=PASSWORD)
    with_password = _seal_bytes(b"secret", password=PASSWORD)
    _open_fails(tmp_path, with_password, password=PASSWORD + "x")
    _open_fails(tmp_path, with_password, private_key=load_private_key(ec_recipient.key_pem))


def test_every_single_byte_change_is_detected(tmp_path: Path, ec_recipient, ec_key) -> None:
    sealed = _seal_bytes(bytes(range(256)) * 9, recipient=load_recipient(ec_recipient.cert_pem))
    version_offset = len(MAGIC)
    for offset in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[offset] ^= 0x01
        expected = UnsupportedFormatVersion if offset == version_offset else DecryptionFailed
        with pytest.raises(DecryptionFailed) as info:
            open_stream(io.BytesIO(bytes(tampered)), io.BytesIO(), private_key=ec_key)
        assert type(info.value) is expected, offset


def test_changes_to_an_rsa_envelope_are_detected(tmp_path: Path, rsa_recipient) -> None:
    key = load_private_key(rsa_recipient.key_pem)
    sealed = _seal_bytes(b"abc" * 1000, recipient=load_recipient(rsa_recipient.cert_pem))
    inner = sealed.index(b"SKSH")
    for offset in [*range(5, inner, 7), inner + 5, len(sealed) - 1]:
        tampered = bytearray(sealed)
        tampered[offset] ^= 0x80
        with pytest.raises(DecryptionFailed):
            open_stream(io.BytesIO(bytes(tampered)), io.BytesIO(), private_key=key)


def test_truncation_at_every_segment_boundary_and_in_the_headers(tmp_path: Path, ec_recipient,
                                                                 ec_key) -> None:
    data = bytes(range(256)) * 20  # 5 segments of 1024
    sealed = _seal_bytes(data, recipient=load_recipient(ec_recipient.cert_pem))
    start, ends = _segment_offsets(sealed, len(data))
    cuts = [*range(0, start + 1), *ends[:-1], *(e - 1 for e in ends), ends[0] + 5]
    for cut in sorted(set(cuts)):
        _open_fails(tmp_path, sealed[:cut], private_key=ec_key)
    _open_fails(tmp_path, sealed + b"\x00", private_key=ec_key)  # appended byte
    _open_fails(tmp_path, sealed + sealed[start:ends[0]], private_key=ec_key)  # appended segment


def test_reordered_dropped_and_duplicated_segments(tmp_path: Path, ec_recipient, ec_key) -> None:
    data = bytes(range(256)) * 20
    sealed = _seal_bytes(data, recipient=load_recipient(ec_recipient.cert_pem))
    start, ends = _segment_offsets(sealed, len(data))
    segs = [sealed[s:e] for s, e in zip([start, *ends[:-1]], ends, strict=True)]
    head = sealed[:start]
    variants = [
        head + segs[1] + segs[0] + b"".join(segs[2:]),  # swapped
        head + segs[0] + b"".join(segs[2:]),  # dropped
        head + segs[0] + segs[0] + b"".join(segs[1:]),  # duplicated
        head + b"".join(segs[:-1]),  # last segment removed: the new last lacks the flag
    ]
    for variant in variants:
        _open_fails(tmp_path, variant, private_key=ec_key)


def test_segments_of_another_export_to_the_same_key_do_not_splice(tmp_path: Path, ec_recipient,
                                                                  ec_key) -> None:
    recipient = load_recipient(ec_recipient.cert_pem)
    one = _seal_bytes(b"A" * 3000, recipient=recipient)
    two = _seal_bytes(b"B" * 3000, recipient=recipient)
    start, _ends = _segment_offsets(one, 3000)
    _open_fails(tmp_path, one[:start] + two[start:], private_key=ec_key)


def test_unknown_versions_are_reported_as_such(tmp_path: Path, ec_recipient, ec_key) -> None:
    sealed = bytearray(_seal_bytes(b"x", recipient=load_recipient(ec_recipient.cert_pem)))
    sealed[4] = 2
    _open_fails(tmp_path, bytes(sealed), UnsupportedFormatVersion, private_key=ec_key)
    assert UnsupportedFormatVersion().code == "unsupported_format_version"
    _open_fails(tmp_path, b"NOPE" + bytes(sealed[4:]), private_key=ec_key)  # not ours at all


def test_iterations_outside_the_bounds_are_refused_on_read(tmp_path: Path) -> None:
    sealed = bytearray(_seal_bytes(b"x", password=PASSWORD))
    offset = sealed.index(b"PBKDF2-HMAC-SHA-256") + len("PBKDF2-HMAC-SHA-256")
    offset += 1 + len("HKDF-SHA-256") + 2  # kdf string, params length
    assert struct.unpack_from(">I", sealed, offset)[0] == 600_000
    struct.pack_into(">I", sealed, offset, 1000)
    _open_fails(tmp_path, bytes(sealed), password=PASSWORD)


def test_a_failed_open_leaves_an_existing_output_untouched(tmp_path: Path) -> None:
    sealed = _seal_bytes(b"new content", password=PASSWORD)
    (tmp_path / "in.skx").write_bytes(sealed[:-1])
    (tmp_path / "out.bin").write_bytes(b"previous")
    with pytest.raises(DecryptionFailed):
        open_file(tmp_path / "in.skx", tmp_path / "out.bin", password=PASSWORD)
    assert (tmp_path / "out.bin").read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.skx", "out.bin"]


def test_refused_recipient_keys(rsa_recipient, weak_rsa_recipient, p384_recipient) -> None:
    with pytest.raises(AlgorithmNotAllowed, match="3072"):
        load_recipient(weak_rsa_recipient.cert_pem)
    with pytest.raises(AlgorithmNotAllowed, match="P-256"):
        load_recipient(p384_recipient.cert_pem)
    with pytest.raises(ValueError, match="exactly one"):
        _seal_bytes(b"x", recipient=load_recipient(rsa_recipient.cert_pem), password=PASSWORD)


def test_withdrawn_algorithm_refuses_new_exports_but_opens_old_ones(ec_recipient, ec_key) -> None:
    recipient = load_recipient(ec_recipient.cert_pem)
    sealed = _seal_bytes(b"before", recipient=recipient)
    install_allowlist(DEFAULT_ALLOWLIST.withdraw("ECDH-P256"))
    with pytest.raises(AlgorithmNotAllowed):
        _seal_bytes(b"after", recipient=recipient)
    out = io.BytesIO()
    open_stream(io.BytesIO(sealed), out, private_key=ec_key)  # 危殆化: old data still opens
    assert out.getvalue() == b"before"


def test_inner_stream_salt_is_random_per_export(ec_recipient) -> None:
    recipient = load_recipient(ec_recipient.cert_pem)
    one, two = (_seal_bytes(b"x", recipient=recipient) for _ in range(2))
    inner_one, inner_two = one[one.index(b"SKSH"):], two[two.index(b"SKSH"):]
    assert inner_one[:20] == inner_two[:20]  # same format, same key id
    salt_at = inner_one.index(b"export") + len("export") + 4
    salt = slice(salt_at, salt_at + INNER_SALT_BYTES)
    assert inner_one[salt] != inner_two[salt]
