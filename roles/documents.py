"""Role description documents: which files are accepted, and tidying up the ones no role uses.

A document is accepted when its extension is one of ours, its size is within the limit, and its
first bytes are what a file of that kind starts with: an HTML page renamed `.pdf` is refused. The
same validator sits on the model field, so the browser form, the admin and any import all apply it.
"""

from __future__ import annotations

import logging
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10_000_000
KINDS = "PDF, Word (.doc, .docx), OpenDocument (.odt), RTF or plain text"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of a Word 97-2003 .doc
ZIP = b"PK\x03\x04"
ODT_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.text"


def _is_docx(upload) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # A multi-byte character may be cut at the end of what was read.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    lowered = text.lstrip().lower()
    looks_like_markup = lowered.startswith(("<!doctype", "<html", "<?xml", "<svg")) or "<script" in lowered
    return "\x00" not in text and not looks_like_markup


# What each extension's file must start with (or, for .docx and .txt, a closer look).
SIGNATURES = {
    "pdf": lambda head, upload: head.startswith(b"%PDF-"),
    "doc": lambda head, upload: head.startswith(OLE2),
    "docx": lambda head, upload: head.startswith(ZIP) and _is_docx(upload),
    "odt": lambda head, upload: head.startswith(ZIP) and head[30:].startswith(ODT_MIMETYPE),
    "rtf": lambda head, upload: head.startswith(b"{\\rtf"),
    "txt": lambda head, upload: _is_text(head),
}


def validate_document(value) -> None:
    """Refuse a new upload whose extension, size or content is not a role description's.

    A document already stored (an edit that keeps it) is not read again.
    """
    if not value or getattr(value, "_committed", True):
        return
    name = value.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in SIGNATURES:
        raise ValidationError(
            f"“{name[:80]}” is not a kind of document we accept: attach the role description as {KINDS}.",
            code="document_kind",
        )
    size = value.size or 0
    if size > MAX_DOCUMENT_BYTES:
        raise ValidationError(
            f"The document is {size / 1_000_000:.1f} MB; the limit is {MAX_DOCUMENT_BYTES // 1_000_000} MB. "
            "Save it as a smaller PDF and attach that.",
            code="document_size",
        )
    upload = value.file
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    matches = SIGNATURES[extension](head, upload)
    upload.seek(0)
    if not matches:
        raise ValidationError(
            f"“{name[:80]}” does not contain what a .{extension} file does: save the role description "
            f"as {KINDS} from the program that made it and attach that file.",
            code="document_content",
        )


def document_forget(name: str, *, still_used) -> None:
    """Delete a stored document that no role refers to any more (called after the change commits).

    `still_used(name)` says whether some role still refers to it; a missing file is not an error.
    """
    if not name or still_used(name):
        return
    try:
        default_storage.delete(name)
        log.info("role description document %s deleted: no role refers to it", name)
    except Exception as error:  # noqa: BLE001 - the file system or S3 refused: leave it, say so
        log.warning("could not delete unreferenced document %s: %s", name, error)
