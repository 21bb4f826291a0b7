"""PDFs for tests, built with pikepdf: a plain one, and ones with active content."""

import io

import pikepdf
from pikepdf import Array, Dictionary, Name, String


def _pdf(change=None) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    if change:
        change(pdf)
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def plain_pdf() -> bytes:
    """One blank A4 page: what a scan looks like to the checks."""
    return _pdf()


def javascript_on_open() -> bytes:
    """Runs a script when the document is opened: /OpenAction /JavaScript."""

    def change(pdf):
        pdf.Root.OpenAction = pdf.make_indirect(
            Dictionary(Type=Name.Action, S=Name.JavaScript, JS=String("app.alert(1)"))
        )

    return _pdf(change)


def javascript_in_a_link() -> bytes:
    """Runs a script when a link on the page is clicked: a JavaScript action in an annotation,
    written directly in the annotation (not as an object of its own)."""

    def change(pdf):
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([0, 0, 595, 842]),
            A=Dictionary(S=Name.JavaScript, JS=String("this.submitForm('http://x')")),
        )
        pdf.pages[0].Annots = pdf.make_indirect(Array([pdf.make_indirect(link)]))

    return _pdf(change)


def launch_on_page_open() -> bytes:
    """Starts a program when the page is shown: /AA /O /Launch on the page."""

    def change(pdf):
        pdf.pages[0].AA = Dictionary(O=Dictionary(S=Name.Launch, F=String("cmd.exe")))

    return _pdf(change)


def embedded_file() -> bytes:
    """Carries a file inside it: /Names /EmbeddedFiles."""

    def change(pdf):
        pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ\x90\x00")

    return _pdf(change)


def link_to_a_website() -> bytes:
    """A link to a web page and a go-to-page action on opening: common and harmless."""

    def change(pdf):
        pdf.Root.OpenAction = Array([pdf.pages[0].obj, Name.Fit])
        link = Dictionary(
            Type=Name.Annot,
            Subtype=Name.Link,
            Rect=Array([0, 0, 100, 20]),
            A=Dictionary(S=Name.URI, URI=String("https://ssa.gov.ge/")),
        )
        pdf.pages[0].Annots = Array([pdf.make_indirect(link)])

    return _pdf(change)


def html_polyglot() -> bytes:
    """A valid PDF that is also an HTML page with a script, if a browser is made to sniff it."""
    return plain_pdf().replace(b"\n", b"\n<html><script>alert(document.cookie)</script>\n", 1)
