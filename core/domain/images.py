"""Signature documents (S1; spec 6.10 ProofImage / CommissionImage): base64 without a `data:` prefix, decoded,
size-checked and recognised as a real PNG, JPEG, GIF, BMP or WebP by its magic number and minimal structure.
Pure: no image library, the structure checks are done here on the bytes."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from core.domain.errors import Code, Rejection

# Base64 may be wrapped (MIME 76, PEM 64 characters a line): ASCII whitespace is removed before decoding.
_B64_WHITESPACE = re.compile(rb"[ \t\r\n]+")
_DATA_URL = re.compile(r"\s*data:", re.IGNORECASE)


@dataclass(frozen=True)
class Image:
    content_type: str
    data: bytes
    sha256: str


def decode_image(b64: str, *, max_bytes: int) -> Image | Rejection:
    """Decode and recognise an uploaded image. Strict base64 (standard alphabet, correct padding); line breaks
    and spaces between the characters are tolerated; a `data:image/...;base64,` prefix is refused, as the spec
    says. Every failure is IMAGE_INVALID with a reason."""
    encoded_max = 4 * ((max_bytes + 2) // 3)
    # Cheap guard before any work: allows for a line break every 64 characters.
    if len(b64) > encoded_max + encoded_max // 32 + 4:
        return _invalid(f"The image is larger than {max_bytes} bytes.")
    if _DATA_URL.match(b64):
        return _invalid("Send the base64 data alone, without a 'data:image/...;base64,' prefix.")
    try:
        raw = b64.encode("ascii")
    except UnicodeEncodeError:
        return _invalid("The image is not valid base64.")
    compact = _B64_WHITESPACE.sub(b"", raw)
    if not compact:
        return _invalid("The image is empty.")
    if len(compact) > encoded_max:
        return _invalid(f"The image is larger than {max_bytes} bytes.")
    try:
        data = base64.b64decode(compact, validate=True)
    except binascii.Error:
        return _invalid("The image is not valid base64.")
    if not data:
        return _invalid("The image is empty.")
    if len(data) > max_bytes:
        return _invalid(f"The image is larger than {max_bytes} bytes.")
    for content_type, check in _FORMATS:
        verdict = check(data)
        if verdict is None:
            continue
        if verdict:
            return _invalid(f"The {content_type.removeprefix('image/').upper()} image is {verdict}.")
        return Image(content_type=content_type, data=data, sha256=hashlib.sha256(data).hexdigest())
    return _invalid("The data is not a PNG, JPEG, GIF, BMP or WebP image.")


def _invalid(reason: str) -> Rejection:
    return Rejection(Code.IMAGE_INVALID, reason)


# Each format check: None if the magic number is not this format's, "" if the image is well formed, else what is
# wrong with it ("truncated", "corrupt (...)").
_Check = Callable[[bytes], str | None]

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(data: bytes) -> str | None:
    """Walk the chunks: IHDR first (13 bytes, non-zero size), at least one IDAT, IEND last and at the very end;
    every chunk's CRC must match."""
    if not data.startswith(_PNG_MAGIC):
        return None
    pos = len(_PNG_MAGIC)
    seen: list[bytes] = []
    while pos < len(data):
        if pos + 12 > len(data):
            return "truncated"
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > len(data):
            return "truncated"
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(data[pos + 4 : end - 4]) & 0xFFFFFFFF != crc:
            return f"corrupt (bad CRC in the {kind.decode('latin-1')!r} chunk)"
        if not seen:
            if kind != b"IHDR" or length != 13:
                return "corrupt (no IHDR header)"
            width, height = struct.unpack_from(">II", data, pos + 8)
            if width == 0 or height == 0:
                return "corrupt (zero width or height)"
        seen.append(kind)
        pos = end
        if kind == b"IEND":
            break
    if not seen or seen[-1] != b"IEND":
        return "truncated"
    if pos != len(data):
        return "corrupt (data after IEND)"
    if b"IDAT" not in seen:
        return "corrupt (no image data)"
    return ""


_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # frame headers; C4 DHT, C8 JPG, CC DAC are not
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM, RST0-7: no length field


def _jpeg(data: bytes) -> str | None:
    """SOI FFD8FF; marker segments with consistent lengths up to the start of scan, a frame header (SOF)
    before it; EOI FFD9 at the end (trailing zero padding tolerated)."""
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    if not data.rstrip(b"\x00").endswith(b"\xff\xd9"):
        return "truncated"
    pos = 2
    seen_frame = False
    while True:
        while pos + 1 < len(data) and data[pos] == 0xFF and data[pos + 1] == 0xFF:
            pos += 1  # fill bytes
        if pos + 2 > len(data):
            return "truncated"
        if data[pos] != 0xFF:
            return "corrupt (bad marker)"
        marker = data[pos + 1]
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0x00, 0xD8, 0xD9):
            return "corrupt (no image data before the end)"
        if pos + 4 > len(data):
            return "truncated"
        (length,) = struct.unpack_from(">H", data, pos + 2)
        if length < 2 or pos + 2 + length > len(data):
            return "truncated" if length >= 2 else "corrupt (bad segment length)"
        if marker in _JPEG_SOF:
            if length < 8:
                return "corrupt (short frame header)"
            _height, width = struct.unpack_from(">HH", data, pos + 5)
            if width == 0:  # height 0 is legal (defined later by DNL); width is not
                return "corrupt (zero width)"
            seen_frame = True
        if marker == 0xDA:  # start of scan: entropy-coded data follows up to EOI
            if not seen_frame:
                return "corrupt (no frame header before the scan)"
            if pos + 2 + length > len(data) - 2:
                return "truncated"
            return ""
        pos += 2 + length


def _gif(data: bytes) -> str | None:
    """GIF87a / GIF89a, a logical screen descriptor with a non-zero size, and the trailer byte at the end."""
    if not data.startswith((b"GIF87a", b"GIF89a")):
        return None
    if len(data) < 14:
        return "truncated"
    width, height = struct.unpack_from("<HH", data, 6)
    if width == 0 or height == 0:
        return "corrupt (zero width or height)"
    if not data.endswith(b";"):
        return "truncated"
    return ""


_BMP_DIB_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})


def _bmp(data: bytes) -> str | None:
    """'BM', a known DIB header size, non-zero dimensions, a pixel offset inside the file past the headers, and
    a declared file size (when given) that the data covers."""
    if not data.startswith(b"BM"):
        return None
    if len(data) < 18:
        return None
    file_size, pixel_offset, dib_size = struct.unpack_from("<I4xII", data, 2)
    if dib_size not in _BMP_DIB_SIZES:
        return None  # "BM" alone is no BMP (a text may start so)
    if len(data) < 14 + dib_size or len(data) < 26:
        return "truncated"
    if dib_size == 12:
        width, height = struct.unpack_from("<HH", data, 18)
    else:
        width, height = struct.unpack_from("<ii", data, 18)
    if width <= 0 or height == 0:
        return "corrupt (zero width or height)"
    if file_size > len(data):
        return "truncated"
    if not 14 + dib_size <= pixel_offset < len(data):
        return "truncated" if pixel_offset >= len(data) else "corrupt (bad pixel offset)"
    return ""


_WEBP_CHUNKS = frozenset({b"VP8 ", b"VP8L", b"VP8X"})


def _webp(data: bytes) -> str | None:
    """RIFF....WEBP, a VP8 / VP8L / VP8X first chunk, and a RIFF size the data covers."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        return None
    if len(data) < 20:
        return "truncated"
    (riff_size,) = struct.unpack_from("<I", data, 4)
    kind, chunk_size = struct.unpack_from("<4sI", data, 12)
    if kind not in _WEBP_CHUNKS:
        return "corrupt (unknown first chunk)"
    if riff_size + 8 > len(data) or 20 + chunk_size > len(data):
        return "truncated"
    if riff_size < 12 + chunk_size:
        return "corrupt (bad RIFF size)"
    return ""


_FORMATS: tuple[tuple[str, _Check], ...] = (
    ("image/png", _png),
    ("image/jpeg", _jpeg),
    ("image/gif", _gif),
    ("image/bmp", _bmp),
    ("image/webp", _webp),
)
