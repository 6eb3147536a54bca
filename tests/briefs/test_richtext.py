"""Rich text: editors keep their formatting, nobody can smuggle script into a brief."""

import pytest
from django.db.models import ProtectedError

from briefs.models import Section
from core.richtext import sanitise_html
from tests.factories import PhotoFactory, published_brief


@pytest.mark.parametrize(
    "dirty",
    [
        '<p>Hello</p><script>alert("x")</script>',
        "<p>Hello</p><SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
        '<p>Hello</p><script type="module">import("https://evil.example")</script>',
    ],
)
def test_script_elements_are_removed_with_their_content(dirty):
    """A <script> pasted into a section disappears, code and all."""
    clean = sanitise_html(dirty)

    assert clean == "<p>Hello</p>"


@pytest.mark.parametrize(
    "dirty",
    [
        '<p onclick="steal()">Hello</p>',
        '<p><strong onmouseover="steal()">Hello</strong></p>',
        '<p><img src="x" onerror="steal()">Hello</p>',
        '<p><a href="https://example.org/" onfocus="steal()">Hello</a></p>',
        '<p><svg onload="steal()"></svg>Hello</p>',
    ],
)
def test_event_handler_attributes_are_removed(dirty):
    """onclick, onerror and friends never survive, whichever tag carries them."""
    clean = sanitise_html(dirty)

    assert "steal" not in clean
    assert " on" not in clean
    assert "Hello" in clean


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "&#106;avascript:alert(1)",
        "&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1)",
        "javascript&colon;alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
    ],
)
def test_dangerous_link_addresses_are_removed_however_they_are_spelt(href):
    """A link to javascript: (in any case, with entities or tabs) loses its address but keeps its text."""
    clean = sanitise_html(f'<p><a href="{href}">Read more</a></p>')

    assert "href" not in clean
    assert "script" not in clean.lower()
    assert "Read more" in clean


def test_styles_and_iframes_are_removed():
    """Embedded styles and frames from other sites are dropped; the text around them stays."""
    clean = sanitise_html(
        "<style>body { display: none }</style>"
        '<p style="position:fixed">Before</p>'
        '<iframe src="https://evil.example/"></iframe>'
        '<object data="https://evil.example/x.swf"></object>'
        "<p>After</p>"
    )

    assert clean == "<p>Before</p><p>After</p>"


def test_script_hidden_inside_an_iframe_is_only_text():
    """Markup inside a removed iframe comes out as harmless escaped text, never as a tag."""
    clean = sanitise_html("<iframe><script>alert(1)</script></iframe>")

    assert "<script" not in clean


def test_allowed_formatting_and_links_are_kept():
    """Bold, italics, headings, lists, quotes and ordinary links look as the editor wrote them."""
    html = (
        "<h3>Context</h3>"
        "<p><strong>Bold</strong>, <em>italic</em>, CO<sub>2</sub> and m<sup>2</sup>.<br>New line.</p>"
        "<h4>Options</h4>"
        '<ol start="3"><li>Third</li><li>Fourth</li></ol>'
        "<ul><li>One</li></ul>"
        "<blockquote><p>A quotation.</p></blockquote>"
        '<p><a href="https://example.org/report" title="The report">report</a> '
        '<a href="mailto:press@example.org">press office</a></p>'
    )

    clean = sanitise_html(html)

    for fragment in [
        "<h3>Context</h3>",
        "<strong>Bold</strong>",
        "<em>italic</em>",
        "<sub>2</sub>",
        "<sup>2</sup>",
        "<br>",
        "<h4>Options</h4>",
        '<ol start="3"><li>Third</li><li>Fourth</li></ol>',
        "<ul><li>One</li></ul>",
        "<blockquote><p>A quotation.</p></blockquote>",
        'href="https://example.org/report"',
        'title="The report"',
        'href="mailto:press@example.org"',
    ]:
        assert fragment in clean


def test_links_cannot_open_a_window_that_controls_the_site():
    """Every kept link gets rel="noopener noreferrer"."""
    clean = sanitise_html('<p><a href="https://example.org/" target="_blank">x</a></p>')

    assert 'rel="noopener noreferrer"' in clean
    assert "target" not in clean


def test_an_empty_editor_paragraph_counts_as_no_text():
    """An editor's empty paragraph is stored as nothing, so no blank section appears."""
    assert sanitise_html("<p></p>") == ""
    assert sanitise_html("<p><br></p>") == ""
    assert sanitise_html(None) == ""


@pytest.mark.django_db
def test_html_saved_through_the_orm_is_cleaned_too():
    """A section written by a script or an import is sanitised just like one typed in the admin."""
    brief = published_brief(sections=0)

    section = Section.objects.create(
        brief=brief,
        heading="Imported",
        body='<p onclick="steal()">Imported text</p><script>steal()</script><a href="javascript:steal()">x</a>',
    )

    section.refresh_from_db()
    assert "steal" not in section.body
    assert "<script" not in section.body
    assert "Imported text" in section.body


@pytest.mark.django_db
def test_the_brief_page_never_shows_a_script_that_was_saved(client):
    """Readers of a brief whose section once held a script get the text and no script."""
    brief = published_brief(sections=0)
    Section.objects.create(
        brief=brief,
        heading="Analysis",
        body='<p>Real analysis.</p><script>window.pwned = 1</script><p><img src=x onerror="window.pwned = 2"></p>',
    )

    response = client.get(brief.get_absolute_url())

    assert response.status_code == 200
    body = response.content.decode()
    assert "Real analysis." in body
    assert "window.pwned" not in body


# Photos inside the text ------------------------------------------------------------------------------------------


PLACEHOLDER = '<figure data-photo-id="12"></figure>'


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        (f"<p>a</p>{PLACEHOLDER}<p>b</p>", f"<p>a</p>{PLACEHOLDER}<p>b</p>"),
        ('<figure data-photo-id="12"><img src="x" onerror="steal()"><p>Caption</p></figure>', PLACEHOLDER),
        ('<figure data-photo-id="12" class="big" style="width:9999px" onload="steal()"></figure>', PLACEHOLDER),
        ('<figure data-photo-id="1 OR 1=1"></figure><p>x</p>', "<p>x</p>"),
        ('<figure data-photo-id="-3"></figure>', ""),
        ("<figure><p>Just text</p></figure>", "<p>Just text</p>"),
        ('<img src="https://elsewhere.example/tracker.png" alt="x">', ""),
    ],
)
def test_a_photo_in_the_text_is_only_ever_an_empty_placeholder_with_a_numeric_id(dirty, clean):
    """The editor's photo block survives as exactly <figure data-photo-id="N"></figure>; nothing else gets in."""
    assert sanitise_html(dirty) == clean


@pytest.mark.django_db
def test_a_photo_placed_between_paragraphs_renders_from_the_library_record(client):
    """Readers see the library photo's own alt text, caption and credit where the editor put it."""
    photo = PhotoFactory(alt_text="Delegates at the table", caption="Talks resumed.", credit="Example Agency")
    brief = published_brief(sections=0)
    Section.objects.create(
        brief=brief,
        heading="Policy Analysis",
        body=f'<p>Third paragraph.</p><figure data-photo-id="{photo.pk}"></figure><p>Fourth paragraph.</p>',
    )

    page = client.get(brief.get_absolute_url()).content.decode()

    third, figure, fourth = (
        page.index(text) for text in ("Third paragraph.", 'alt="Delegates at the table"', "Fourth")
    )
    assert third < figure < fourth
    assert "Talks resumed." in page and "Example Agency" in page
    assert "data-photo-id" not in page
    assert page.count("data-lightbox") == 1


@pytest.mark.django_db
def test_a_placeholder_for_a_photo_that_no_longer_exists_renders_nothing(client):
    """A block naming a missing photo leaves the text as it is, without an empty frame or an error."""
    brief = published_brief(sections=0)
    Section.objects.create(
        brief=brief, heading="Analysis", body='<p>Before.</p><figure data-photo-id="999999"></figure>'
    )

    response = client.get(brief.get_absolute_url())

    assert response.status_code == 200
    page = response.content.decode()
    assert "Before." in page and "data-photo-id" not in page and "photo-figure--inline" not in page


@pytest.mark.django_db
def test_a_photo_placed_in_a_text_cannot_be_deleted_from_the_library():
    """Deleting a photo a section's text uses is refused, so a published brief never loses it silently."""
    photo = PhotoFactory()
    section = Section.objects.create(
        brief=published_brief(sections=0), heading="A", body=f'<figure data-photo-id="{photo.pk}"></figure>'
    )
    assert list(section.text_photos.values_list("photo_id", flat=True)) == [photo.pk]

    with pytest.raises(ProtectedError):
        photo.delete()

    section.body = "<p>The photo is gone from the text.</p>"
    section.save()
    assert not section.text_photos.exists()
    photo.delete()
