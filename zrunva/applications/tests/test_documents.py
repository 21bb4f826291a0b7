"""Issue 9, finding 15: a PDF with active content is refused at every entry point (the portal's
form and API, the staff page), and every document is served under a name of ours with the
extension and type of the kind its content was found to be, never under the sender's name."""

import io

import pikepdf
import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from zrunva.accounts.choices import Role
from zrunva.applications.documents import document_check
from zrunva.applications.models import Application, Document
from zrunva.applications.tests import pdfs
from zrunva.grievances.tests.factories import PERSONAL_NUMBER, application

pytestmark = pytest.mark.django_db

ACTIVE = "contains active content (JavaScript, launch actions or embedded files); send a plain "
ACTIVE += "PDF or a scan."


def compressed(data: bytes) -> bytes:
    """The same PDF with its objects packed into compressed object streams, where no byte
    search finds "/JavaScript"."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    assert b"JavaScript" not in out.getvalue()
    return out.getvalue()


def upload(name: str, data: bytes, content_type="application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type)


@pytest.mark.parametrize(
    "data",
    [
        pdfs.javascript_on_open(),
        pdfs.javascript_in_a_link(),
        compressed(pdfs.javascript_in_a_link()),
        pdfs.launch_on_page_open(),
        pdfs.embedded_file(),
        # Names may be written with #-escapes: /J#61vaScript is /JavaScript.
        pdfs.plain_pdf().replace(
            b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript >>"
        ),
    ],
    ids=["open-action", "link-action", "object-stream", "launch", "embedded-file", "escaped"],
)
def test_a_pdf_with_active_content_is_refused(data):
    with pytest.raises(ValidationError) as error:
        document_check(upload("certificate.pdf", data))
    assert error.value.messages == [f"certificate.pdf {ACTIVE}"]


def test_plain_pdfs_with_page_links_and_web_links_are_accepted():
    for data in (pdfs.plain_pdf(), pdfs.link_to_a_website()):
        assert document_check(upload("certificate.pdf", data)).kind == "pdf"


def test_words_in_the_text_are_not_active_content():
    def titled(pdf):
        pdf.docinfo["/Title"] = "Why /JavaScript and /Launch are refused"

    assert document_check(upload("note.pdf", pdfs._pdf(titled))).kind == "pdf"


def test_a_pdf_with_too_many_objects_to_check_is_refused(monkeypatch):
    monkeypatch.setattr("zrunva.applications.documents._PDF_MAX_OBJECTS", 3)
    with pytest.raises(ValidationError) as error:
        document_check(upload("big.pdf", pdfs.plain_pdf()))  # four objects
    assert error.value.messages == [
        "big.pdf has too many parts to check; send a scan or a simpler PDF."
    ]


def test_a_pdf_that_needs_a_password_is_refused():
    with pikepdf.open(io.BytesIO(pdfs.plain_pdf())) as pdf:
        out = io.BytesIO()
        pdf.save(out, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    with pytest.raises(ValidationError) as error:
        document_check(upload("locked.pdf", out.getvalue()))
    assert error.value.messages == ["locked.pdf is protected by a password; send it without one."]


def test_a_pdf_that_does_not_open_is_refused():
    with pytest.raises(ValidationError) as error:
        document_check(upload("scan.pdf", b"%PDF-1.4\n<html><script>x</script>\n%%EOF\n"))
    assert error.value.messages == ["scan.pdf cannot be read as a PDF file."]


def test_every_entry_point_refuses_active_content(login_as):
    found = application()
    # The portal's form.
    from zrunva.portal.tests.factories import application_form

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    data = application_form() | {"documents": [upload("a.pdf", pdfs.javascript_on_open())]}
    html = client.post(reverse("portal:apply"), data).content.decode()
    assert f"a.pdf {ACTIVE}" in html and Application.objects.count() == 1
    # The portal's API.
    response = Client().post(
        "/api/v1/portal/applications/documents",
        {
            "number": found.number,
            "personal_number": PERSONAL_NUMBER,
            "file": upload("b.pdf", pdfs.javascript_in_a_link()),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == [{"loc": ["body", "file"], "msg": f"b.pdf {ACTIVE}"}]
    # The staff page.
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    html = officer.post(
        reverse("applications:document_upload", args=[found.pk]),
        {"file": upload("c.pdf", pdfs.launch_on_page_open())},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert f"c.pdf {ACTIVE}" in html
    assert not Document.objects.exists()


def test_a_pdf_named_html_is_served_as_a_pdf_under_our_name(login_as):
    found = application()
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    response = officer.post(
        reverse("applications:document_upload", args=[found.pk]),
        {"file": upload("poly.html", pdfs.html_polyglot(), "text/html")},
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.kind == "pdf" and document.name == "poly.html"
    assert "poly" not in document.file.name and not document.file.name.endswith(".html")
    served = officer.get(reverse("applications:document", args=[found.pk, document.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == (
        f'attachment; filename="{found.number}-{document.pk}.pdf"'
    )
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"]
    assert b"".join(served.streaming_content) == pdfs.html_polyglot()


def test_the_senders_name_is_only_shown_as_text(login_as):
    found = application()
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    name = '<img src=x onerror="alert(1)">.pdf'
    officer.post(
        reverse("applications:document_upload", args=[found.pk]),
        {"file": upload(name, pdfs.plain_pdf())},
    )
    page = officer.get(reverse("applications:detail", args=[found.pk])).content.decode()
    assert "&lt;img src=x" in page and "<img src=x" not in page


def test_documents_stored_before_are_served_under_the_name_of_their_kind(login_as):
    # A row from before this change: the sender's name kept, a JPEG that says it is HTML.
    found = application()
    image = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(image, "JPEG")
    document = Document(
        application=found, name="photo.html", kind="jpeg", size=len(image.getvalue())
    )
    document.file.save("photo.html", ContentFile(image.getvalue()), save=False)
    document.sha256 = "0" * 64
    document.save()
    officer = login_as(Role.SSA_OFFICER, office="ssa-kutaisi")
    served = officer.get(reverse("applications:document", args=[found.pk, document.pk]))
    assert served["Content-Type"] == "image/jpeg"
    assert served["Content-Disposition"] == (
        f'attachment; filename="{found.number}-{document.pk}.jpg"'
    )
