"""Uploads: judged by their bytes, limited in size, kept outside the static root, handed
out only by views that check who asks (another company's file: see the 404 tests of
messaging, servicedesk and exchange)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image as PILImage

from kabinet.conftest import logged_in
from kabinet.lib.uploads import check_upload, private_storage

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HTML = b"<html><script>alert(document.cookie)</script></html>"


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "white").save(buffer, "PNG")
    return buffer.getvalue()


def test_media_root_is_outside_the_static_root():
    media = Path(settings.MEDIA_ROOT).resolve()
    static = Path(settings.STATIC_ROOT).resolve()
    assert not media.is_relative_to(static)
    assert not static.is_relative_to(media)
    assert Path(private_storage().location) == media / "private"


@pytest.mark.parametrize(
    ("name", "header", "content", "kind"),
    [
        ("report.pdf", "text/html", PDF, "application/pdf"),
        ("photo.txt", "text/plain", png(2, 2), "image/png"),
        ("notes", "application/octet-stream", "Привет, это текст".encode(), "text/plain"),
    ],
)
def test_type_comes_from_the_bytes_not_the_name_or_header(name, header, content, kind):
    checked = check_upload(SimpleUploadedFile(name, content, content_type=header))
    assert checked.content_type == kind


@pytest.mark.parametrize(
    "content", [b"MZ\x90\x00\x03\x00\x00\x00binary\x00", b"\x7fELF\x02\x01\x01\x00"]
)
def test_programs_are_refused_whatever_their_name(content):
    with pytest.raises(ValidationError):
        check_upload(SimpleUploadedFile("invoice.pdf", content, content_type="application/pdf"))


def test_attachment_over_the_size_limit_is_refused(settings):
    settings.KABINET_ATTACHMENT_MAX_BYTES = 100
    # In English whatever language an earlier test in this worker left active.
    with translation.override("en"), pytest.raises(ValidationError, match="is too large"):
        check_upload(SimpleUploadedFile("big.pdf", PDF + b" " * 100))


@pytest.mark.django_db
@pytest.mark.parametrize("folder", ["private/messages/x", "documents/x.pdf", "private/exchange/1"])
def test_no_url_serves_private_files_or_documents_directly(client, folder):
    target = Path(settings.MEDIA_ROOT) / folder
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(PDF)
    assert client.get(f"/media/{folder}", follow=True).status_code == 404


# --- Wagtail documents and images (the editor cabinet) ------------------------------------


def document_form(name: str, content: bytes):  # type: ignore[no-untyped-def]
    from wagtail.documents.forms import get_document_form
    from wagtail.documents.models import Document
    from wagtail.models import Collection

    form_class = get_document_form(Document)
    return form_class(
        data={"title": name, "collection": Collection.get_first_root_node().pk},
        files={"file": SimpleUploadedFile(name, content)},
        user=None,
    )


@pytest.mark.django_db
def test_document_whose_content_is_not_its_extension_is_refused():
    form = document_form("price-list.pdf", HTML)
    assert not form.is_valid()
    assert "its content does not match its name" in form.errors["file"][0]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["page.html", "logo.svg", "tool.exe"])
def test_document_types_outside_the_list_are_refused(name):
    assert not document_form(name, b"plain words").is_valid()


@pytest.mark.django_db
def test_document_over_the_size_limit_is_refused(settings):
    settings.KABINET_DOCUMENT_MAX_BYTES = 50
    form = document_form("big.pdf", PDF + b" " * 50)
    assert not form.is_valid()
    assert "is too large" in form.errors["file"][0]


@pytest.mark.django_db
def test_real_pdf_document_is_accepted():
    form = document_form("price-list.pdf", PDF)
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_documents_are_served_by_the_view_that_applies_collection_privacy(client, client_user):
    from wagtail.documents.models import Document
    from wagtail.models import Collection, CollectionViewRestriction

    assert settings.WAGTAILDOCS_SERVE_METHOD == "serve_view"
    root = Collection.get_first_root_node()
    private = root.add_child(name="Staff only")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=CollectionViewRestriction.LOGIN
    )
    public_doc = Document.objects.create(
        title="Tariffs", file=SimpleUploadedFile("tariffs.pdf", PDF), collection=root
    )
    private_doc = Document.objects.create(
        title="Internal", file=SimpleUploadedFile("internal.pdf", PDF), collection=private
    )
    public = client.get(public_doc.url)
    assert public.status_code == 200
    assert public["Content-Security-Policy"] == "default-src 'none'"
    assert public["X-Content-Type-Options"] == "nosniff"
    refused = client.get(private_doc.url)
    assert refused.status_code == 302
    assert refused["Location"].startswith("/login/?next=")
    assert logged_in(client_user).get(private_doc.url).status_code == 200


def image_form(content: bytes, name: str = "photo.png"):  # type: ignore[no-untyped-def]
    from wagtail.images import get_image_model
    from wagtail.images.forms import get_image_form
    from wagtail.models import Collection

    form_class = get_image_form(get_image_model())
    return form_class(
        data={"title": name, "collection": Collection.get_first_root_node().pk},
        files={"file": SimpleUploadedFile(name, content)},
        user=None,
    )


def test_image_limits_are_set():
    assert settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE == 10 * 1024 * 1024
    assert settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS == 40_000_000
    assert "svg" not in settings.WAGTAILIMAGES_EXTENSIONS


@pytest.mark.django_db
def test_image_with_too_many_pixels_is_refused(settings):
    settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS = 100 * 100
    assert image_form(png(100, 100)).is_valid()
    form = image_form(png(101, 100))
    assert not form.is_valid()
    assert "pixels" in form.errors["file"][0]


@pytest.mark.django_db
def test_image_over_the_size_limit_is_refused(settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 100
    form = image_form(png(50, 50) + b"\x00" * 100)
    assert not form.is_valid()


@pytest.mark.django_db
def test_image_whose_bytes_are_not_an_image_is_refused():
    assert not image_form(HTML, name="photo.png").is_valid()
    assert not image_form(PDF, name="photo.jpg").is_valid()
