"""Supporting documents: their type is read from their content, never from their name or the
browser's word, and an image must decode as what it claims to be."""

import hashlib
from dataclasses import dataclass

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


def _read(upload) -> bytes:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data


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
