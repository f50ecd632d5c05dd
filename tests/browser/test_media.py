"""Story 2: a photo with its description, and no trace of where it was taken once served."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.steps import log_in, reload_until
from tests.helpers import make_user
from tests.images import GPS_IFD, exif_with_gps, jpeg_bytes

pytestmark = pytest.mark.browser

ALT = "A red square on a white table, seen from above"


def exif_of(data):
    image = Image.open(io.BytesIO(data))
    return image.getexif(), image.info


def test_image_with_alt_text_is_shown_and_served_without_exif(page, shot):
    make_user("photographer")
    photo = jpeg_bytes(size=(320, 240), exif=exif_with_gps())
    exif, _ = exif_of(photo)
    assert exif.get_ifd(GPS_IFD), "the test photo should carry GPS data to begin with"

    log_in(page, "photographer")
    compose = page.locator("#compose")
    compose.get_by_text("Options: content warning, who can see it, images").click()
    compose.get_by_label("Image 1", exact=True).set_input_files(
        {"name": "holiday.jpg", "mimeType": "image/jpeg", "buffer": photo}
    )
    compose.get_by_label("Description of image 1").fill(ALT)
    compose.get_by_label("What do you want to say?").fill("Look at this square.")
    shot(page, "compose")
    compose.get_by_role("button", name="Post", exact=True).click()

    post = page.locator("article[data-post]").filter(has_text="Look at this square.")
    image = post.get_by_role("img", name=ALT)
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0, "the image did not load"
    shot(page, "posted")

    # The worker makes a thumbnail a moment later; the page then shows it, linking the full image.
    reload_until(
        page,
        lambda: image.get_attribute("src") != post.get_by_role("link", name=ALT).get_attribute("href"),
        message="the thumbnail never replaced the full image",
    )
    served = {image.get_attribute("src"), post.get_by_role("link", name=ALT).get_attribute("href")}
    assert len(served) == 2
    for url in served:
        response = page.request.get(url)
        assert response.ok, url
        exif, info = exif_of(response.body())
        assert not exif.get_ifd(GPS_IFD), f"{url} still has GPS data"
        assert len(exif) == 0, f"{url} still has EXIF: {dict(exif)}"
        assert "exif" not in info
