"""Private uploads: checking a file by what it is (its first bytes), and where it is kept.

A file's name and the browser's ``Content-Type`` are the uploader's claims; only the
content decides the type. Accepted files live under ``MEDIA_ROOT/private/``, which no
URL serves: views that check who is asking hand them out.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extensions: tuple[str, ...]  # the first is used when the name has none of them


PDF = FileKind("application/pdf", (".pdf",))
PNG = FileKind("image/png", (".png",))
JPEG = FileKind("image/jpeg", (".jpg", ".jpeg"))
GIF = FileKind("image/gif", (".gif",))
WEBP = FileKind("image/webp", (".webp",))
# DOCX, XLSX, ODT and plain ZIP archives all start as a ZIP container.
ZIP = FileKind("application/zip", (".zip", ".docx", ".xlsx", ".pptx", ".odt", ".ods"))
# DOC and XLS of old Office versions (OLE compound files).
OLE = FileKind("application/x-ole-storage", (".doc", ".xls", ".ppt"))
TEXT = FileKind("text/plain", (".txt", ".csv", ".log"))

ALLOWED_LABEL = "PDF, PNG, JPEG, GIF, WebP, DOCX/XLSX/ZIP, DOC/XLS, TXT/CSV"
# A hint for the browser's file picker only; the content decides.
ACCEPT = ",".join(
    ext for kind in (PDF, PNG, JPEG, GIF, WEBP, ZIP, OLE, TEXT) for ext in kind.extensions
)


def sniff(head: bytes) -> FileKind | None:
    """The kind of a file from its first bytes, or None when it is not one we accept."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        return ZIP
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return OLE
    return TEXT if _is_text(head) else None


def _is_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end inside a multi-byte character.
        if exc.start < len(head) - 3:
            return False
        text = head[: exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return controls == 0


SAFE_NAME = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def safe_name(name: str, kind: FileKind) -> str:
    """The uploader's file name without paths or odd characters, ending as its real type."""
    base = os.path.basename(name.replace("\\", "/")).strip() or "file"
    base = SAFE_NAME.sub("_", base).strip(" .") or "file"
    stem, ext = os.path.splitext(base)
    if ext.lower() not in kind.extensions:
        stem, ext = base, kind.extensions[0]
    return f"{stem[:120]}{ext.lower()}"


@dataclass(frozen=True)
class CheckedFile:
    upload: UploadedFile
    name: str
    content_type: str
    size: int


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Refuse a file that is too large or of a type we do not accept, judged by content."""
    limit = settings.KABINET_ATTACHMENT_MAX_BYTES
    size = upload.size or 0
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); the limit is %(limit)s.")
            % {"name": upload.name, "size": filesizeformat(size), "limit": filesizeformat(limit)}
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": upload.name})
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    kind = sniff(head)
    if kind is None:
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Accepted: %(types)s.")
            % {"name": upload.name, "types": ALLOWED_LABEL}
        )
    return CheckedFile(
        upload=upload,
        name=safe_name(upload.name or "", kind),
        content_type=kind.content_type,
        size=size,
    )


def check_uploads(uploads: list[UploadedFile]) -> list[CheckedFile]:
    most = settings.KABINET_ATTACHMENT_MAX_FILES
    if len(uploads) > most:
        raise ValidationError(_("Attach at most %(n)s files.") % {"n": most})
    errors: list[str] = []
    checked: list[CheckedFile] = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return checked


class PrivateStorage(FileSystemStorage):
    """Files under MEDIA_ROOT/private. They have no URL: only views hand them out."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        # Read each time, so a changed MEDIA_ROOT (tests, settings reload) is followed.
        return os.path.join(settings.MEDIA_ROOT, "private")

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; serve them through a view.")


def private_storage() -> FileSystemStorage:
    return PrivateStorage()


def random_name(folder: str) -> str:
    """A stored file's path: a random id under the folder, never the uploader's name."""
    return f"{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


def private_file_response(stored: Any, *, name: str, content_type: str) -> FileResponse:
    """Hand out a private file as a download that the browser will not render or sniff."""
    try:
        handle = stored.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
