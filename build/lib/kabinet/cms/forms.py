"""The editor cabinet's document upload form: the file is judged by its content."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from wagtail.documents.forms import BaseDocumentForm

from kabinet.lib.uploads import sniff


def check_document(upload: UploadedFile) -> None:
    """Refuse a document that is too large or whose bytes are not what its name says."""
    limit = settings.KABINET_DOCUMENT_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff(head)
    extension = os.path.splitext(upload.name or "")[1].lower()
    if kind is None or extension not in kind.extensions:
        raise ValidationError(
            _(
                "“%(name)s” is not a document type we accept, or its content does not match "
                "its name. Accepted: %(types)s."
            )
            % {"name": upload.name, "types": ", ".join(settings.WAGTAILDOCS_EXTENSIONS)}
        )


class DocumentForm(BaseDocumentForm):
    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data.get("file")
        if isinstance(upload, UploadedFile):
            check_document(upload)
        return upload
