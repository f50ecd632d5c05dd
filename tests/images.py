"""Small images made with Pillow, wrapped as uploads, for media and profile tests."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_ORIENTATION = 0x0112


def jpeg_bytes(size=(64, 48), color=(200, 40, 40), exif=None, **save_kwargs):
    image = Image.new("RGB", size, color)
    buffer = io.BytesIO()
    if exif is not None:
        save_kwargs["exif"] = exif
    image.save(buffer, "JPEG", **save_kwargs)
    return buffer.getvalue()


def exif_with_gps():
    """EXIF naming a camera and a place (GPS IFD: 48.8584 N, 2.2945 E, the Eiffel tower)."""
    exif = Image.Exif()
    exif[EXIF_MAKE] = "SpyCam"
    exif[EXIF_MODEL] = "Model 9"
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 30.24)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.2)
    return exif


def png_bytes(size=(32, 32), mode="RGBA", color=(0, 128, 255, 0)):
    image = Image.new(mode, size, color if mode == "RGBA" else color[:3])
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def jpeg_upload(name="photo.jpg", **kwargs):
    return upload(jpeg_bytes(**kwargs), name)


def png_upload(name="picture.png", **kwargs):
    return upload(png_bytes(**kwargs), name, "image/png")


def open_stored(field):
    """The Pillow image of a stored file field, read back from storage."""
    with field.storage.open(field.name, "rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image
