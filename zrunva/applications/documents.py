"""Supporting documents: their type is read from their content, never from their name or the
browser's word; an image must decode as what it claims to be, and a PDF must open and hold no
active content. They are served under a name of ours (`served_name`), never the sender's."""

import hashlib
import io
import re
from dataclasses import dataclass

import pikepdf
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from zrunva.applications.choices import DocumentKind

_SIGNATURES = (
    (b"%PDF-", DocumentKind.PDF),
    (b"\x89PNG\r\n\x1a\n", DocumentKind.PNG),
    (b"\xff\xd8\xff", DocumentKind.JPEG),
)
_PIL_FORMATS = {DocumentKind.PNG: "PNG", DocumentKind.JPEG: "JPEG"}


@dataclass(frozen=True)
class Checked:
    kind: str
    size: int
    sha256: str


# Each kind's extension and content type, for serving.
_SERVED = {
    DocumentKind.PDF: ("pdf", "application/pdf"),
    DocumentKind.JPEG: ("jpg", "image/jpeg"),
    DocumentKind.PNG: ("png", "image/png"),
}


def served_as(document) -> tuple[str, str]:
    """The file name and content type a document is served under: its application's number,
    its id and the extension of the kind its content was found to be ("ZR-…-12.pdf"). Never the
    sender's name, which is only shown as text: "poly.html" holding a PDF is served as a PDF."""
    extension, content_type = _SERVED[document.kind]
    return f"{document.application.number}-{document.pk}.{extension}", content_type


def _read(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


# Actions that run something, send something or open another file (a script, a program, a
# form submission, a file on a share, which leaks the viewer's Windows credentials); go-to-page
# and web links stay. PDF 2.0 (ISO 32000-2), 12.6.4.
_ACTIVE_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/SubmitForm",
    "/ImportData",
    "/GoToR",
    "/GoToE",
    "/RichMediaExecute",
    "/Rendition",
    "/Movie",
    "/Sound",
}
# Keys that hold a script, an embedded file or an XFA form wherever they appear.
_ACTIVE_KEYS = {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/XFA", "/RichMediaContent"}
_ACTIVE_SUBTYPES = {"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen", "/3D"}
_LINK_SCHEMES = ("http://", "https://", "mailto:")


_SCANNED = {"/Type", "/Subtype", "/S"}


def _active(obj) -> bool:
    """Whether one dictionary of a PDF (an object of its own or written inside another) holds
    active content."""
    keys = set(obj.keys())
    if keys & _ACTIVE_KEYS:
        return True
    if not keys & _SCANNED:
        return False
    names = {k: str(v) for k in keys & _SCANNED if isinstance(v := obj[k], pikepdf.Name)}
    if names.get("/Type") == "/EmbeddedFile" or names.get("/Subtype") in _ACTIVE_SUBTYPES:
        return True
    action = names.get("/S")
    if action in _ACTIVE_ACTIONS:
        return True
    if action == "/URI":
        uri = obj.get("/URI")
        return not (isinstance(uri, pikepdf.String) and str(uri).lower().startswith(_LINK_SCHEMES))
    return False


# A scan has a few objects a page; a long born-digital certificate a few thousand.
_PDF_MAX_OBJECTS = 100_000
_MENTIONS = re.compile(
    rb"/(%s)(?=[\s()<>\[\]{}/%%]|$)"
    % b"|".join(
        re.escape(n[1:].encode())
        for n in sorted(
            _ACTIVE_KEYS | _ACTIVE_ACTIONS | _ACTIVE_SUBTYPES | {"/EmbeddedFile", "/URI"}
        )
    )
)


def _walk_finds_active(obj) -> bool:
    """Whether a dictionary or array, or one written inside it, holds active content. Objects of
    their own (references) are checked on their own turn."""
    pending = [obj]
    while pending:
        obj = pending.pop()
        if isinstance(obj, pikepdf.Dictionary):
            if _active(obj):
                return True
            children = obj.values()
        else:
            children = list(obj)
        pending.extend(
            c
            for c in children
            if isinstance(c, (pikepdf.Dictionary, pikepdf.Array)) and not c.is_indirect
        )
    return False


def _pdf_check(data: bytes, name: str) -> None:
    """A PDF must open with pikepdf (qpdf), need no password and hold no active content:
    scripts, launch or submit actions, embedded files, XFA forms or multimedia, wherever they
    are (the document, a page, a link, a form field, inside a compressed object stream).
    Refused rather than cleaned: a document is evidence, kept as the applicant sent it, and a
    scan or a printed certificate has none of these."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            # Every object of the file, including those in object streams. qpdf writes an
            # object out with its names decoded ("/J#61vaScript" is "/JavaScript"); only one
            # that names something active anywhere in it (a word in a string too) is walked.
            for count, obj in enumerate(pdf.objects):
                if count >= _PDF_MAX_OBJECTS:
                    # Checking costs time per object: a small file can pack a million.
                    raise ValidationError(
                        _("%(name)s has too many parts to check; send a scan or a simpler PDF.")
                        % {"name": name}
                    )
                if isinstance(obj, pikepdf.Stream):
                    obj = obj.stream_dict
                if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Array)):
                    continue
                if _MENTIONS.search(obj.unparse(resolved=True)) and _walk_finds_active(obj):
                    raise ValidationError(
                        _(
                            "%(name)s contains active content (JavaScript, launch actions or "
                            "embedded files); send a plain PDF or a scan."
                        )
                        % {"name": name}
                    )
    except pikepdf.PasswordError as error:
        raise ValidationError(
            _("%(name)s is protected by a password; send it without one.") % {"name": name}
        ) from error
    except pikepdf.PdfError as error:
        raise ValidationError(
            _("%(name)s cannot be read as a PDF file.") % {"name": name}
        ) from error


def document_check(upload) -> Checked:
    """A PDF, JPEG or PNG file of at most DOCUMENT_MAX_BYTES, whatever its name says; raises a
    ValidationError naming the file and the reason otherwise."""
    name = getattr(upload, "name", "") or _("the file")
    limit = settings.DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("%(name)s is %(size)s; a document may be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(upload.size), "limit": filesizeformat(limit)}
        )
    if upload.size == 0:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    data = _read(upload)
    kind = next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError(
            _("%(name)s is not a PDF, JPEG or PNG file (its content says so, whatever its name).")
            % {"name": name}
        )
    if kind == DocumentKind.PDF:
        # A whole PDF ends with its end-of-file marker; a renamed or cut file does not.
        if b"%%EOF" not in data[-1024:]:
            raise ValidationError(_("%(name)s is not a complete PDF file.") % {"name": name})
        _pdf_check(data, name)
    else:
        try:
            with Image.open(upload) as image:
                if image.format != _PIL_FORMATS[kind]:
                    raise UnidentifiedImageError(image.format)
                image.verify()
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            OSError,
            SyntaxError,
            ValueError,
        ) as error:
            raise ValidationError(
                _("%(name)s cannot be read as a %(kind)s image.")
                % {"name": name, "kind": DocumentKind(kind).label}
            ) from error
        finally:
            upload.seek(0)
    return Checked(kind, upload.size, hashlib.sha256(data).hexdigest())
