"""How to cite a brief: APA 7, MLA 9 and Chicago author-date as text, BibTeX and RIS as files.

A brief is cited as a report in a numbered series, published by the
organisation. The styles' rules for authors:

- APA 7: "Family, I." for up to 20 authors, the last after "&"; 21 or more: the first 19, "…", the last.
- MLA 9: one author "Family, Given."; two "Family, Given, and Given Family."; three or more "Family, Given, et al."
- Chicago author-date (17th): all names up to ten, the first inverted, the last after "and";
  more than ten: the first seven, "et al."

A corrected brief keeps its original date and adds the correction's:
"(Foreign Policy Brief No. 140; updated June 3, 2026)" in APA, ", updated 3 June 2026" after
the date in MLA, "Updated June 3, 2026." before the address in Chicago, and a note in BibTeX and RIS.

Titles are cited as the editors wrote them (a program cannot tell which words
are proper nouns, so APA's sentence case is left to the reader). Names are
split into given and family names by the last word, keeping lower-case
particles ("van der Berg") with the family name.
"""

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Brief

PARTICLES = frozenset(
    [
        "al",
        "bin",
        "da",
        "das",
        "de",
        "del",
        "della",
        "den",
        "der",
        "di",
        "do",
        "dos",
        "du",
        "la",
        "le",
        "ter",
        "van",
        "von",
        "y",
        "zu",
    ]
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
MLA_MONTHS = ["Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
BIBTEX_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
BIBTEX_SPECIAL = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)


@dataclass(frozen=True)
class PersonName:
    given: str
    family: str

    @classmethod
    def parse(cls, full_name: str) -> "PersonName":
        """ "Amara Okafor" → Okafor, Amara; "Lena van der Berg" → van der Berg, Lena; "Plato" → Plato."""
        words = full_name.split()
        if len(words) < 2:
            return cls(given="", family=full_name.strip())
        start = len(words) - 1
        while start > 1 and words[start - 1] in PARTICLES:
            start -= 1
        return cls(given=" ".join(words[:start]), family=" ".join(words[start:]))

    @property
    def initials(self) -> str:
        """ "Amara" → "A.", "Jean-Paul Marie" → "J.-P. M." """
        return " ".join("-".join(part[0] + "." for part in word.split("-") if part) for word in self.given.split())

    @property
    def natural(self) -> str:
        return f"{self.given} {self.family}".strip()

    @property
    def inverted(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


@dataclass(frozen=True)
class Citation:
    """What every style needs to know about a brief."""

    title: str
    authors: tuple[PersonName, ...]
    series: str
    number: int | None
    publisher: str
    published: datetime.date
    corrected: datetime.date | None
    url: str
    summary: str = ""
    keywords: tuple[str, ...] = ()
    slug: str = "brief"

    @classmethod
    def of(cls, brief: Brief, *, url: str) -> "Citation":
        """From a brief fetched with ``for_detail`` (authors and topics prefetched: no queries)."""
        return cls(
            title=brief.title,
            authors=tuple(PersonName.parse(author.name) for author in brief.authors),
            series=brief.series.name,
            number=brief.number,
            publisher=settings.SITE_NAME,
            published=_local_date(brief.published_at),
            corrected=_local_date(brief.corrected_at) if brief.corrected_at else None,
            url=url,
            summary=brief.summary,
            keywords=tuple(topic.name for topic in brief.topics.all()),
            slug=brief.slug,
        )

    @property
    def series_and_number(self) -> str:
        return f"{self.series} {self.number}" if self.number else self.series


@dataclass(frozen=True)
class FormattedCitation:
    style: str
    html: SafeString
    text: str


def _local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localdate(moment)


def _sentence_end(text: str) -> str:
    """The text followed by a full stop, unless it ends in punctuation of its own."""
    return text if text.endswith((".", "?", "!")) else text + "."


def _join(names: list[str], *, last: str, serial_comma: bool = True) -> str:
    if len(names) <= 1:
        return "".join(names)
    if len(names) == 2:
        return f"{names[0]}{',' if serial_comma and last == '&' else ''} {last} {names[1]}"
    return ", ".join(names[:-1]) + f", {last} {names[-1]}"


def _formatted(style: str, parts: list[tuple[str, bool]]) -> FormattedCitation:
    """Assemble (text, italic) parts into the HTML shown and the plain text copied."""
    html = "".join(f"<i>{escape(text)}</i>" if italic else escape(text) for text, italic in parts)
    return FormattedCitation(style=style, html=mark_safe(html), text="".join(text for text, _ in parts))


def _us_date(day: datetime.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"


def apa(citation: Citation) -> FormattedCitation:
    names = [f"{author.family}, {author.initials}".rstrip(", ") for author in citation.authors]
    authors = ", ".join(names[:19]) + ", . . . " + names[-1] if len(names) > 20 else _join(names, last="&")
    details = f"{citation.series} No. {citation.number}" if citation.number else citation.series
    if citation.corrected:
        details += f"; updated {_us_date(citation.corrected)}"
    lead = f"{_sentence_end(authors)} " if authors else ""
    return _formatted(
        "APA 7",
        [
            (f"{lead}({citation.published.year}). ", False),
            (citation.title.rstrip("."), True),
            (f" ({details}). {_sentence_end(citation.publisher)} {citation.url}", False),
        ],
    )


def mla(citation: Citation) -> FormattedCitation:
    authors = citation.authors
    if len(authors) == 1:
        names = authors[0].inverted
    elif len(authors) == 2:
        names = f"{authors[0].inverted}, and {authors[1].natural}"
    elif authors:
        names = f"{authors[0].inverted}, et al"
    else:
        names = ""
    day = citation.published
    date = f"{day.day} {MLA_MONTHS[day.month - 1]} {day.year}"
    if citation.corrected:
        fixed = citation.corrected
        date += f", updated {fixed.day} {MLA_MONTHS[fixed.month - 1]} {fixed.year}"
    location = re.sub(r"^https?://", "", citation.url)
    return _formatted(
        "MLA 9",
        [
            (f"{_sentence_end(names)} " if names else "", False),
            (citation.title, True),
            (_sentence_end(citation.title)[len(citation.title) :], False),
            (f" {citation.publisher}, {date}, {location}. {citation.series_and_number}.", False),
        ],
    )


def chicago(citation: Citation) -> FormattedCitation:
    authors = list(citation.authors)
    names = [authors[0].inverted, *(author.natural for author in authors[1:])] if authors else []
    if len(names) > 10:
        listed = ", ".join(names[:7]) + ", et al"
    elif len(names) == 2:
        listed = f"{names[0]}, and {names[1]}"
    else:
        listed = _join(names, last="and")
    updated = f" Updated {_us_date(citation.corrected)}." if citation.corrected else ""
    return _formatted(
        "Chicago (author-date)",
        [
            (
                f"{_sentence_end(listed)} {citation.published.year}. " if listed else f"{citation.published.year}. ",
                False,
            ),
            (citation.title, True),
            (_sentence_end(citation.title)[len(citation.title) :], False),
            (f" {citation.series_and_number}. {_sentence_end(citation.publisher)}{updated} {citation.url}.", False),
        ],
    )


def formatted_citations(citation: Citation) -> list[FormattedCitation]:
    return [apa(citation), mla(citation), chicago(citation)]


def _ascii_word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower())


def bibtex_key(citation: Citation) -> str:
    """e.g. okafor2026keeping: first author's family name, year, first long word of the title."""
    family = _ascii_word(citation.authors[0].family) if citation.authors else _ascii_word(citation.publisher)
    words = [_ascii_word(word) for word in citation.title.split()]
    first_word = next((word for word in words if len(word) > 3), words[0] if words else "")
    return f"{family or 'brief'}{citation.published.year}{first_word}"


def bibtex(citation: Citation) -> str:
    """A BibTeX @techreport entry (UTF-8, as biber and modern BibTeX read it)."""

    def braced(value: str) -> str:
        return "{" + value.translate(BIBTEX_SPECIAL) + "}"

    fields = [
        ("author", braced(" and ".join(author.inverted for author in citation.authors)) if citation.authors else ""),
        ("title", "{" + braced(citation.title) + "}"),
        ("institution", braced(citation.publisher)),
        ("type", braced(citation.series)),
        ("number", braced(str(citation.number)) if citation.number else ""),
        ("year", braced(str(citation.published.year))),
        ("month", BIBTEX_MONTHS[citation.published.month - 1]),
        ("date", braced(citation.published.isoformat())),
        ("url", "{" + citation.url + "}"),
        ("abstract", braced(citation.summary)),
        ("keywords", braced(", ".join(citation.keywords)) if citation.keywords else ""),
        ("note", braced(f"Updated {citation.corrected.isoformat()}") if citation.corrected else ""),
    ]
    lines = [f"@techreport{{{bibtex_key(citation)},"]
    lines += [f"  {name} = {value}," for name, value in fields if value]
    return "\n".join(lines) + "\n}\n"


def ris(citation: Citation) -> str:
    """An RIS record of type RPRT (report), lines ending CRLF as the format asks."""

    def line(tag: str, value: str) -> str:
        return f"{tag}  - {' '.join(value.split())}"

    lines = [line("TY", "RPRT"), line("TI", citation.title)]
    lines += [line("AU", author.inverted) for author in citation.authors]
    lines += [
        line("PY", str(citation.published.year)),
        line("DA", citation.published.strftime("%Y/%m/%d")),
        line("T3", citation.series),
    ]
    if citation.number:
        lines.append(line("SN", str(citation.number)))
    lines += [line("PB", citation.publisher), line("UR", citation.url), line("AB", citation.summary)]
    lines += [line("KW", keyword) for keyword in citation.keywords]
    if citation.corrected:
        lines.append(line("N1", f"Updated {citation.corrected.isoformat()}"))
    lines += [line("LA", settings.LANGUAGE_CODE), "ER  - "]
    return "\r\n".join(lines) + "\r\n"
