"""Signature documents (S1; spec 6.10 ProofImage / CommissionImage): strict base64 without a `data:` prefix, a
size limit, and a real image recognised by its magic number and structure."""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib

import pytest

from core.domain.errors import Code, Rejection
from core.domain.images import Image, decode_image

MAX = 10_000


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png(width: int = 1, height: int = 1) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows))
        + _chunk(b"IEND", b"")
    )


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


# A real 1x1 grey JPEG as Pillow writes it (160 bytes), spelled out segment by segment.
JPEG = (
    b"\xff\xd8"  # SOI
    + _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")  # APP0
    + _segment(0xDB, b"\x00" + b"\x01" * 64)  # DQT
    + _segment(0xC0, b"\x08\x00\x01\x00\x01\x01\x01\x11\x00")  # SOF0: 8 bit, 1x1, one component
    + _segment(0xC4, b"\x00" + b"\x01" + b"\x00" * 15 + b"\x0b")  # DHT, DC table
    + _segment(0xC4, b"\x10" + b"\x01" + b"\x00" * 15 + b"\x00")  # DHT, AC table
    + _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")  # SOS
    + b"\x3f\xf7"  # entropy-coded data
    + b"\xff\xd9"  # EOI
)
# A real 1x1 lossless WebP and a 1x1 GIF87a, as Pillow writes them.
WEBP = bytes.fromhex("524946461a000000574542505650384c0e0000002f00000000071011fd0f4444ff03")
GIF = bytes.fromhex("474946383761010001008100000000000000000000000000002c000000000100010000080400010404003b")


def bmp(width: int = 1, height: int = 1) -> bytes:
    row = (b"\x00\x00\xff" * width).ljust((3 * width + 3) // 4 * 4, b"\x00")
    pixels = row * height
    dib = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    header = b"BM" + struct.pack("<IHHI", 14 + len(dib) + len(pixels), 0, 0, 14 + len(dib))
    return header + dib + pixels


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _code(value: str, max_bytes: int = MAX) -> Code | None:
    result = decode_image(value, max_bytes=max_bytes)
    return result.code if isinstance(result, Rejection) else None


# --- accepted -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        pytest.param(png(), "image/png", id="png-1x1"),
        pytest.param(png(7, 3), "image/png", id="png-7x3"),
        pytest.param(JPEG, "image/jpeg", id="jpeg-1x1"),
        pytest.param(JPEG + b"\x00\x00", "image/jpeg", id="jpeg-zero-padding-after-eoi"),
        pytest.param(GIF, "image/gif", id="gif87a"),
        pytest.param(b"GIF89a" + GIF[6:], "image/gif", id="gif89a"),
        pytest.param(bmp(), "image/bmp", id="bmp-1x1"),
        pytest.param(bmp(5, 2), "image/bmp", id="bmp-5x2"),
        pytest.param(WEBP, "image/webp", id="webp-lossless"),
    ],
)
def test_real_images_are_accepted(data: bytes, content_type: str) -> None:
    image = decode_image(b64(data), max_bytes=MAX)
    assert image == Image(content_type=content_type, data=data, sha256=hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param(base64.encodebytes(png(40, 40)).decode(), id="mime-wrapped-76"),
        pytest.param("\r\n".join(b64(png(40, 40))[i : i + 64] for i in range(0, 2000, 64)), id="crlf-64"),
        pytest.param(f"  {b64(png())}\n", id="surrounding-whitespace"),
    ],
)
def test_line_breaks_and_spaces_in_base64_are_tolerated(encoded: str) -> None:
    assert _code(encoded) is None


def test_exactly_max_bytes_is_accepted() -> None:
    data = png()
    assert _code(b64(data), max_bytes=len(data)) is None


# --- refused --------------------------------------------------------------------------------------------------


def _truncations(data: bytes) -> list[bytes]:
    return [data[:cut] for cut in (len(data) - 1, len(data) - 4, len(data) // 2, 12, 8)]


@pytest.mark.parametrize(
    "data",
    [
        *(pytest.param(d, id=f"png-truncated-{len(d)}") for d in _truncations(png())),
        *(pytest.param(d, id=f"jpeg-truncated-{len(d)}") for d in _truncations(JPEG)),
        *(pytest.param(d, id=f"gif-truncated-{len(d)}") for d in _truncations(GIF)),
        *(pytest.param(d, id=f"bmp-truncated-{len(d)}") for d in _truncations(bmp(5, 2))),
        *(pytest.param(d, id=f"webp-truncated-{len(d)}") for d in _truncations(WEBP)),
        pytest.param(b"Hello, this is my business licence.", id="text"),
        pytest.param(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n", id="pdf"),
        pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
        pytest.param(b"PK\x03\x04" + b"\x00" * 40, id="zip"),
        pytest.param(b"\x89PNG\r\n\x1a\n", id="png-magic-only"),
        pytest.param(b"\xff\xd8\xff\xd9", id="jpeg-soi-eoi-only"),
        pytest.param(b"BMW drives" + b"\x00" * 30, id="text-starting-with-BM"),
        pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28, id="riff-wave"),
        pytest.param(png()[:-5] + b"X" + png()[-4:], id="png-bad-iend-crc"),
        pytest.param(png().replace(b"IHDR", b"IHDX"), id="png-no-ihdr"),
        pytest.param(png() + b"trailing", id="png-data-after-iend"),
        pytest.param(png()[:33] + _chunk(b"IEND", b""), id="png-no-idat"),
        pytest.param(
            b"\xff\xd8\xff" + JPEG[3:].replace(b"\xff\xc0", b"\xff\xfe", 1), id="jpeg-no-frame-header"
        ),
        pytest.param(GIF[:6] + b"\x00\x00\x00\x00" + GIF[10:], id="gif-zero-size"),
    ],
)
def test_non_images_and_damaged_images_are_refused(data: bytes) -> None:
    assert _code(b64(data)) == Code.IMAGE_INVALID


@pytest.mark.parametrize(
    "encoded",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n", id="whitespace-only"),
        pytest.param("data:image/png;base64," + b64(png()), id="data-url-prefix"),
        pytest.param("DATA:image/jpeg;base64," + b64(JPEG), id="data-url-prefix-upper"),
        pytest.param(b64(png())[:-2], id="missing-padding"),
        pytest.param(b64(png()) + "!", id="non-base64-character"),
        pytest.param(base64.urlsafe_b64encode(b"\xfb\xff" + png()).decode(), id="urlsafe-alphabet"),
        pytest.param("你好" + b64(png()), id="non-ascii"),
        pytest.param("not base64 at all", id="words"),
    ],
)
def test_malformed_base64_is_refused(encoded: str) -> None:
    assert _code(encoded) == Code.IMAGE_INVALID


def test_data_url_message_says_to_drop_the_prefix() -> None:
    result = decode_image("data:image/png;base64," + b64(png()), max_bytes=MAX)
    assert isinstance(result, Rejection)
    assert "prefix" in result.message


def test_one_byte_over_max_is_refused() -> None:
    data = png()
    assert _code(b64(data), max_bytes=len(data) - 1) == Code.IMAGE_INVALID


def test_huge_input_is_refused_before_decoding() -> None:
    result = decode_image("A" * 10_000_000, max_bytes=1000)
    assert isinstance(result, Rejection)
    assert result.code == Code.IMAGE_INVALID
    assert "larger" in result.message


def test_failure_reason_names_the_problem() -> None:
    truncated = decode_image(b64(png()[:-1]), max_bytes=MAX)
    other = decode_image(b64(b"%PDF-1.4"), max_bytes=MAX)
    assert isinstance(truncated, Rejection)
    assert "truncated" in truncated.message
    assert isinstance(other, Rejection)
    assert "not a PNG, JPEG, GIF, BMP or WebP" in other.message
