"""Images on posts: stripped of metadata, resized, thumbnailed, refused when they are not images."""

import io

import pytest
from django.test import override_settings
from PIL import Image

from rostra.core.errors import ActionError, NotFound
from rostra.core.models import InstanceSettings
from rostra.posts import actions
from rostra.posts.models import Media, Post
from rostra.timelines import queries
from tests.images import (
    EXIF_ORIENTATION,
    GPS_IFD,
    exif_with_gps,
    jpeg_bytes,
    jpeg_upload,
    open_stored,
    png_upload,
    upload,
)
from tests.reads import fresh, reload


def stored_bytes(field):
    with field.storage.open(field.name, "rb") as f:
        return f.read()


def files_on_disk(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_exif_and_gps_are_gone_from_the_stored_file(alice):
    original = jpeg_bytes(size=(120, 80), exif=exif_with_gps())
    assert b"SpyCam" in original and Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)

    item = actions.upload_media(alice, upload(original, "holiday.jpg"))

    data = stored_bytes(reload(item).file)
    assert b"SpyCam" not in data and b"Model 9" not in data
    assert b"Exif" not in data
    image = Image.open(io.BytesIO(data))
    assert len(image.getexif()) == 0
    assert image.getexif().get_ifd(GPS_IFD) == {}
    assert "exif" not in image.info and "icc_profile" not in image.info
    assert image.size == (120, 80)


def test_metadata_is_gone_from_the_thumbnail_too(alice):
    item = reload(actions.upload_media(alice, jpeg_upload(size=(900, 900), exif=exif_with_gps())))
    data = stored_bytes(item.thumbnail)
    assert b"SpyCam" not in data and b"Exif" not in data


def test_the_picture_is_turned_upright_before_its_orientation_tag_is_dropped(alice):
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = 6  # "rotate 90° clockwise to display"
    item = reload(actions.upload_media(alice, jpeg_upload(size=(64, 48), exif=exif)))
    assert (item.width, item.height) == (48, 64)
    assert open_stored(item.file).size == (48, 64)


def test_big_images_are_resized_to_2048_on_the_long_side(alice):
    item = reload(actions.upload_media(alice, jpeg_upload(size=(4096, 1024))))
    assert (item.width, item.height) == (2048, 512)
    assert open_stored(item.file).size == (2048, 512)
    tall = reload(actions.upload_media(alice, png_upload(size=(600, 3000))))
    assert tall.height == 2048 and tall.width in (409, 410)


def test_small_images_keep_their_size(alice):
    item = reload(actions.upload_media(alice, jpeg_upload(size=(300, 200))))
    assert (item.width, item.height) == (300, 200)


def test_the_task_makes_a_thumbnail_and_a_blurhash(alice):
    item = reload(actions.upload_media(alice, jpeg_upload(size=(1600, 1200), color=(10, 120, 200))))
    assert item.state == Media.State.READY
    assert item.thumbnail and item.thumbnail.name != item.file.name
    thumb = open_stored(item.thumbnail)
    assert max(thumb.size) == 640 and thumb.size == (640, 480)
    assert item.blurhash and 6 <= len(item.blurhash) <= 100
    other = reload(actions.upload_media(alice, jpeg_upload(size=(1600, 1200), color=(250, 250, 10))))
    assert other.blurhash != item.blurhash


def test_a_png_with_transparency_stays_a_transparent_png(alice):
    item = reload(actions.upload_media(alice, png_upload(size=(40, 30), color=(0, 128, 255, 0))))
    assert item.file.name.endswith(".png")
    image = open_stored(item.file)
    assert image.format == "PNG" and image.mode == "RGBA"
    assert image.getpixel((5, 5))[3] == 0


def test_a_palette_png_with_a_transparent_colour_stays_a_png(alice):
    image = Image.new("P", (20, 20), 0)
    image.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    item = reload(actions.upload_media(alice, upload(buffer.getvalue(), "p.png", "image/png")))
    assert item.file.name.endswith(".png")
    assert open_stored(item.file).getpixel((1, 1))[3] == 0


def test_an_opaque_png_is_stored_as_jpeg(alice):
    item = reload(actions.upload_media(alice, png_upload(mode="RGB", color=(1, 2, 3, 255))))
    assert item.file.name.endswith(".jpg")
    assert open_stored(item.file).format == "JPEG"


@pytest.mark.parametrize(
    "data,name",
    [
        (b"just some text, honestly", "photo.jpg"),
        (b"", "empty.jpg"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "truncated.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.svg"),
        (b"%PDF-1.4 not an image", "doc.png"),
    ],
)
def test_files_that_are_not_images_are_refused(alice, media_root, data, name):
    with pytest.raises(ActionError) as exc:
        actions.upload_media(alice, upload(data, name))
    assert exc.value.status == 422 and exc.value.field == "media"
    assert not Media.objects.exists()
    assert files_on_disk(media_root) == []


def test_image_formats_other_than_the_four_are_refused(alice):
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, "BMP")
    with pytest.raises(ActionError) as exc:
        actions.upload_media(alice, upload(buffer.getvalue(), "old.bmp", "image/bmp"))
    assert "BMP" in exc.value.message
    assert not Media.objects.exists()


def test_oversized_files_are_refused(alice, media_root):
    data = jpeg_bytes(size=(200, 200), quality=100)
    with override_settings(ROSTRA_MEDIA_MAX_BYTES=len(data) - 1):
        with pytest.raises(ActionError) as exc:
            actions.upload_media(alice, upload(data))
        assert exc.value.status == 413
        # A stream that does not say its size is cut off at the limit all the same.
        with pytest.raises(ActionError) as exc:
            actions.upload_media(alice, io.BytesIO(data))
        assert exc.value.status == 413
    assert not Media.objects.exists() and files_on_disk(media_root) == []
    with override_settings(ROSTRA_MEDIA_MAX_BYTES=len(data)):
        actions.upload_media(alice, upload(data))
    assert Media.objects.count() == 1


def test_images_with_too_many_pixels_are_refused_before_they_are_decoded(alice):
    """A few kilobytes of PNG can claim billions of pixels; decoding them would eat the server."""
    for size in ((10_000, 9_000), (7_000, 6_000)):
        buffer = io.BytesIO()
        Image.new("1", size).save(buffer, "PNG")
        assert len(buffer.getvalue()) < 200_000
        with pytest.raises(ActionError) as exc:
            actions.upload_media(alice, upload(buffer.getvalue(), "bomb.png", "image/png"))
        assert exc.value.status == 422
    assert not Media.objects.exists()


def test_alt_text_is_stored_cleaned_and_can_be_changed_by_its_owner_only(alice, bob):
    item = actions.upload_media(alice, jpeg_upload(), "  A red square\x00 on white  ")
    assert reload(item).description == "A red square on white"
    actions.describe_media(alice, item.pk, "A red rectangle")
    assert reload(item).description == "A red rectangle"
    with pytest.raises(NotFound):
        actions.describe_media(bob, item.pk, "mine now")
    with pytest.raises(ActionError) as exc:
        actions.describe_media(alice, item.pk, "x" * 1501)
    assert exc.value.field == "description"
    with pytest.raises(ActionError):
        actions.upload_media(alice, jpeg_upload(), "x" * 1501)
    assert reload(item).description == "A red rectangle"
    assert Media.objects.count() == 1


def test_a_post_carries_up_to_four_images_in_the_order_given(alice, bob):
    from rostra.accounts.actions import follow

    follow(bob, alice)
    items = [actions.upload_media(alice, jpeg_upload(), f"image {i}") for i in range(5)]
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "five", media_ids=[m.pk for m in items])
    assert exc.value.field == "media" and "4" in exc.value.message
    assert not Post.objects.exists()
    assert not Media.objects.filter(post__isnull=False).exists()

    chosen = [items[3].pk, items[0].pk, items[2].pk, items[1].pk]
    post = actions.create_post(alice, "", media_ids=chosen)  # pictures need no words
    assert reload(post).has_media
    shown = queries.home_feed(fresh(bob)).items[0]
    assert shown.pk == post.pk
    assert [m.pk for m in shown.media_list] == chosen
    assert [m.description for m in shown.media_list] == ["image 3", "image 0", "image 2", "image 1"]
    assert post.pk in [p.pk for p in queries.profile_posts(fresh(bob), fresh(alice), tab="media").items]


def test_the_instance_sets_the_number_of_images(alice):
    settings = InstanceSettings.current()
    settings.max_media_per_post = 2
    settings.save()
    items = [actions.upload_media(alice, jpeg_upload()).pk for _ in range(3)]
    with pytest.raises(ActionError):
        actions.create_post(alice, "three", media_ids=items)
    actions.create_post(alice, "two", media_ids=items[:2])


@pytest.mark.parametrize("bad", ["abc", None, 2**70, "-5", 1.5j])
def test_image_ids_that_are_not_ids_are_refused_cleanly(alice, bad):
    with pytest.raises(ActionError) as exc:
        actions.create_post(alice, "with a strange image", media_ids=[bad])
    assert exc.value.field == "media"
    assert not Post.objects.exists()


def test_an_image_is_used_once_and_only_by_its_uploader(alice, bob):
    item = actions.upload_media(alice, jpeg_upload())
    with pytest.raises(ActionError):
        actions.create_post(bob, "stolen", media_ids=[item.pk])
    actions.create_post(alice, "mine", media_ids=[item.pk])
    with pytest.raises(ActionError):
        actions.create_post(alice, "again", media_ids=[item.pk])
    assert Post.objects.count() == 1


def test_discarded_uploads_leave_no_files(alice, bob, media_root):
    kept = actions.upload_media(alice, jpeg_upload())
    used = actions.upload_media(alice, jpeg_upload())
    actions.create_post(alice, "with a picture", media_ids=[used.pk])
    dropped = actions.upload_media(alice, jpeg_upload())
    before = files_on_disk(media_root)
    actions.discard_media(bob, [dropped.pk])  # not Bob's
    actions.discard_media(alice, [dropped.pk, used.pk])  # the used one stays with its post
    assert set(Media.objects.values_list("pk", flat=True)) == {kept.pk, used.pk}
    after = files_on_disk(media_root)
    assert len(before) - len(after) == 2
    assert reload(used).file.name in after
