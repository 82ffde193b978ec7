"""What a file must be to be kept: its type read from its bytes (never from a name or a header the sender
chose), a size limit per kind, and images re-encoded without their EXIF (GPS position, camera serial) unless
the centre opted to keep it.

``inspect(kind, data, limits)`` returns the bytes to store and their content type, or raises ``Refused``
with a reason code the handlers turn into a Chinese reply.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

import filetype

MiB = 1024 * 1024

# content types accepted per kind (from the bytes)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
AUDIO_TYPES = frozenset({"audio/amr", "audio/mpeg", "audio/mp4", "audio/x-m4a", "audio/m4a", "audio/ogg",
                         "audio/x-wav", "audio/wav", "audio/aac", "audio/x-aac", "audio/silk"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime", "video/3gpp", "video/x-m4v", "video/webm"})
DOCUMENT_TYPES = frozenset({
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
    "application/x-ole-storage",  # .doc/.xls/.ppt as filetype sees them
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
})
ACCEPTED: dict[str, frozenset[str]] = {
    "image": IMAGE_TYPES,
    "voice": AUDIO_TYPES,
    "video": VIDEO_TYPES,
    "file": DOCUMENT_TYPES | IMAGE_TYPES | AUDIO_TYPES | VIDEO_TYPES,
}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
              "audio/amr": "amr", "audio/silk": "silk", "audio/mpeg": "mp3", "video/mp4": "mp4",
              "application/pdf": "pdf"}


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: dict[str, int] = field(default_factory=lambda: {
        "image": 10 * MiB, "voice": 2 * MiB, "video": 20 * MiB, "file": 20 * MiB})
    keep_exif: bool = False
    max_pixels: int = 50_000_000  # a larger image is a decompression bomb, not a photo

    def limit(self, kind: str) -> int:
        return self.max_bytes.get(kind, 20 * MiB)


class Refused(Exception):
    """The file is not kept: ``code`` is one of too_large, bad_type, broken_image, empty."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Inspected:
    data: bytes
    content_type: str
    stripped: bool  # EXIF removed by re-encoding


def sniff(data: bytes) -> str | None:
    """The content type from the first bytes; AMR and WeChat's SILK voice by their magic numbers."""
    if data.startswith(b"#!AMR"):
        return "audio/amr"
    if data.startswith(b"\x02#!SILK_V3") or data.startswith(b"#!SILK_V3"):
        return "audio/silk"
    kind = filetype.guess(data)
    return kind.mime if kind is not None else None


def inspect(kind: str, data: bytes, limits: Limits) -> Inspected:
    if not data:
        raise Refused("empty")
    if len(data) > limits.limit(kind):
        raise Refused("too_large", f"{len(data)} bytes over {limits.limit(kind)}")
    content_type = sniff(data)
    accepted = ACCEPTED.get(kind, frozenset())
    if content_type is None or content_type not in accepted:
        raise Refused("bad_type", content_type or "unknown")
    if content_type in IMAGE_TYPES and not limits.keep_exif:
        return Inspected(strip_metadata(data, content_type, limits.max_pixels), content_type, True)
    return Inspected(data, content_type, False)


def strip_metadata(data: bytes, content_type: str, max_pixels: int) -> bytes:
    """Re-encode an image without EXIF/XMP/comments (turned upright first, as the EXIF orientation said).

    The same input gives the same output, so a photo sent twice still has one blob."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            if img.width * img.height > max_pixels:
                raise Refused("broken_image", f"{img.width}x{img.height} pixels")
            if content_type == "image/gif" and getattr(img, "is_animated", False):
                return _strip_gif(img)
            img.load()
            img = ImageOps.exif_transpose(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as e:
        raise Refused("broken_image", type(e).__name__) from None
    out = io.BytesIO()
    if content_type == "image/jpeg":
        if img.mode not in ("RGB", "L", "CMYK"):
            img = img.convert("RGB")
        img.save(out, "JPEG", quality=90, optimize=True)
    elif content_type == "image/png":
        img.save(out, "PNG", optimize=True)
    elif content_type == "image/webp":
        img.save(out, "WEBP", quality=90)
    else:
        img.save(out, "GIF")
    return out.getvalue()


def _strip_gif(img) -> bytes:
    """An animated GIF: frames kept, comments and extensions dropped."""
    from PIL import ImageSequence

    frames = [f.copy() for f in ImageSequence.Iterator(img)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], loop=img.info.get("loop", 0),
                   duration=img.info.get("duration", 100))
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    """Whether a JPEG/PNG/WebP carries an EXIF GPS block (for tests and `gridbot tickets show`)."""
    from PIL import Image

    try:
        exif = Image.open(io.BytesIO(data)).getexif()
    except Exception:  # noqa: BLE001 - not an image: no GPS
        return False
    return bool(exif.get_ifd(0x8825))


def extension(content_type: str | None, name: str | None = None) -> str:
    if name and "." in name:
        return name.rsplit(".", 1)[1].lower()[:8]
    return EXTENSIONS.get(content_type or "", "bin")
