"""The PDF of a brief (/briefs/<slug>/pdf/), made by WeasyPrint from the printed page.

Needs WeasyPrint's system libraries (Pango, HarfBuzz): skipped where they
are missing, failed instead under REQUIRE_PDF=1 (CI sets it; .ci/run and the
Makefile install them).
"""

import io
import os

import pytest
from django.core.files.storage import default_storage

from briefs.pdf import pdf_available
from tests.factories import AuthorFactory, BriefFactory, PhotoFactory, SeriesFactory, published_brief

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _weasyprint():
    if not pdf_available():
        reason = "WeasyPrint cannot load here (apt-get install -y libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)"
        if os.environ.get("REQUIRE_PDF") == "1":
            pytest.fail(f"REQUIRE_PDF=1 but {reason}")
        pytest.skip(reason)


@pytest.fixture
def brief():
    return published_brief(
        title="Keeping the grain corridor open",
        series=SeriesFactory(name="Foreign Policy Brief", last_number=139),
        authors=[AuthorFactory(name="Lena Fischer")],
        header_photo=PhotoFactory(alt_text="Harbour cranes", caption="Cranes wait.", credit="Port Archive"),
    )


def pdf_of(client, brief):
    from pypdf import PdfReader

    response = client.get(brief.get_pdf_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    return content, PdfReader(io.BytesIO(content))


def test_the_pdf_has_the_title_number_authors_and_address(client, brief):
    """The PDF is a real PDF whose text names the brief, its series and number, its author and its web address."""
    content, reader = pdf_of(client, brief)

    assert content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in reader.pages)
    # The series label is set in capitals, so compare without case.
    first_page = reader.pages[0].extract_text().casefold()
    for expected in ["Keeping the grain corridor open", "Foreign Policy Brief #140", "Lena Fischer"]:
        assert expected.casefold() in first_page, expected
    assert f"http://testserver{brief.get_absolute_url()}" in " ".join(text.split())
    assert "Cranes wait." in text and "Port Archive" in text
    # What is for the screen only stays off paper.
    assert "Subscribe to our news service" not in text
    assert "Share this brief" not in text


def test_the_pdf_embeds_its_fonts(client, brief):
    _, reader = pdf_of(client, brief)

    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            fonts[font["/BaseFont"]] = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts
    assert any("SourceSerif" in name or "Source" in name for name in fonts), fonts


def test_the_pdf_is_made_once_until_the_brief_changes(client, brief):
    """A second download reuses the stored file; editing the brief makes a new one and removes the old."""
    pdf_of(client, brief)
    folder = f"pdf/{brief.pk}"
    [first] = default_storage.listdir(folder)[1]
    first_made = default_storage.get_modified_time(f"{folder}/{first}")

    pdf_of(client, brief)
    assert default_storage.listdir(folder)[1] == [first]
    assert default_storage.get_modified_time(f"{folder}/{first}") == first_made

    brief.title = "Keeping the grain corridor open through winter"
    brief.save_edits()
    _, reader = pdf_of(client, brief)

    [second] = default_storage.listdir(folder)[1]
    assert second != first
    assert "through winter" in reader.pages[0].extract_text()


def test_a_draft_has_no_pdf(client):
    assert client.get(BriefFactory(slug="draft").get_pdf_url()).status_code == 404


def test_the_brief_page_links_its_pdf_and_names_it_for_reference_managers(client, brief):
    page = client.get(brief.get_absolute_url()).content.decode()

    assert f'href="http://testserver{brief.get_pdf_url()}"' in page
    assert f'<meta name="citation_pdf_url" content="http://testserver{brief.get_pdf_url()}">' in page
