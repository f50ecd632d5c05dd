"""Images people upload: checked, stripped of metadata, resized.

Parler kept its users' photos as uploaded, GPS tags and all. Rostra decodes every upload
with Pillow and writes a new file from the pixels alone, so no EXIF, GPS, XMP or comment
block can survive, whatever the original format said about itself.
"""

import io
import logging
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from rostra.core.errors import ActionError

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
MAX_SIDE = 2048
THUMBNAIL_SIDE = 640
MAX_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS


def _read_upload(upload):
    size = getattr(upload, "size", None)
    limit = settings.ROSTRA_MEDIA_MAX_BYTES
    if size is not None and size > limit:
        raise ActionError(
            f"That file is {size / 1048576:.1f} MB; images can be at most {limit / 1048576:.0f} MB.",
            status=413,
            field="media",
        )
    data = upload.read(limit + 1) if hasattr(upload, "read") else bytes(upload)
    if len(data) > limit:
        raise ActionError(f"Images can be at most {limit / 1048576:.0f} MB.", status=413, field="media")
    if not data:
        raise ActionError("That file is empty.", status=422, field="media")
    return data


def open_image(upload):
    """Decode an upload as an image, or refuse it with a message a person understands."""
    data = _read_upload(upload)
    try:
        probe = Image.open(io.BytesIO(data))
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that; refuse before decoding.
        if probe.width * probe.height > MAX_PIXELS:
            raise ActionError(
                f"That image has more than {MAX_PIXELS // 1_000_000} million pixels.", status=422, field="media"
            )
        probe.verify()
        image = Image.open(io.BytesIO(data))
        if image.format not in ALLOWED_FORMATS:
            raise ActionError(
                f"{image.format} images are not accepted; use JPEG, PNG, GIF or WebP.", status=422, field="media"
            )
        image.load()
    except ActionError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as exc:
        raise ActionError(
            "That file is not an image Rostra can read (JPEG, PNG, GIF or WebP).", status=422, field="media"
        ) from exc
    return image


def _flatten(image):
    """The pixels only, upright, in a mode JPEG or PNG can hold."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    # A new image from the pixel data: no info dict, no EXIF, no ICC, nothing else carried.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _encode(image):
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "PNG", optimize=True)
        return buffer.getvalue(), "png"
    image.save(buffer, "JPEG", quality=85, optimize=True, progressive=True)
    return buffer.getvalue(), "jpg"


def strip_and_resize(upload, max_side=MAX_SIDE):
    """(bytes, extension, width, height) of a clean copy of the upload."""
    image = _flatten(open_image(upload))
    image.thumbnail((max_side, max_side), Image.LANCZOS)
    data, ext = _encode(image)
    return data, ext, image.width, image.height


def process_profile_image(upload, box, kind):
    """(name, ContentFile) for an avatar or header, cropped to fill ``box``."""
    image = _flatten(open_image(upload))
    image = ImageOps.fit(image, box, Image.LANCZOS)
    data, ext = _encode(image)
    return f"{kind}-{uuid.uuid4().hex}.{ext}", ContentFile(data)


def thumbnail_and_blurhash(path):
    """(thumbnail bytes, blurhash) for a stored, already clean image file."""
    import blurhash

    with Image.open(path) as image:
        image = image.convert("RGB")
        thumb = image.copy()
        thumb.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.LANCZOS)
        small = image.copy()
        small.thumbnail((64, 64))
        hash_ = blurhash.encode(small, x_components=4, y_components=3)
    buffer = io.BytesIO()
    thumb.save(buffer, "JPEG", quality=80, optimize=True)
    return buffer.getvalue(), hash_
