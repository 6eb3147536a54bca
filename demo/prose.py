"""Section text for demo briefs, woven from each brief's own sentences and a bank of general ones.

Every brief has a handful of sentences of its own (see ``content.py``). The
banks below supply openings, transitions, analysis and closings written to fit
any subject; a random generator seeded per brief picks among them, so the same
brief always reads the same and no two briefs read alike.
"""

import random
from html import escape

from .content import PLACES, BriefSpec

OPENINGS = (
    "Few questions on the policy agenda are as easy to postpone, or as costly to neglect, as {subject}.",
    "Debates about {subject} tend to swing between alarm and complacency; the evidence supports neither.",
    "For most of the past decade, questions about {subject} have been left to specialists.",
    "The case for acting on {subject} is stronger now than at any point in recent memory.",
    "Public discussion of {subject} has focused on the wrong numbers.",
    "It is tempting to treat {subject} as a problem that will fix itself once conditions improve.",
    "Few headlines are written about {subject}, though the consequences reach a great many people.",
    "Governments of every political colour have promised progress on {subject}, and most have delivered less "
    "than they hoped.",
    "Ask ten officials about {subject} and you will hear ten different diagnoses, but the same frustration.",
)

WHY_NOW = (
    "Three developments make the present moment different: budgets are tighter, expectations are higher and the "
    "tools for measuring results have improved.",
    "What has changed is not the problem itself but the cost of leaving it alone, which now falls on households "
    "and firms with little room to absorb it.",
    "The window for a measured response is narrowing; decisions taken in the next two budget cycles will set the "
    "terms for a decade.",
    "Recent pilots have shown what works at small scale, and the question is no longer whether to act but how to "
    "grow without losing what made the pilots succeed.",
    "Public confidence is fragile, and policies that look improvised will struggle to survive their first "
    "difficult winter.",
    "The old arrangements were not designed badly; they were designed for a world that no longer exists.",
)

ANALYSIS = (
    "Averages conceal as much as they reveal: the burden is concentrated in places with the least capacity to respond.",
    "Where reforms have worked, they shared three features: a clear owner, a published timetable and money that "
    "arrived when it was promised.",
    "Comparisons across jurisdictions suggest that design matters more than spending; similar budgets have "
    "produced very different results.",
    "The data are imperfect, but the direction of travel is consistent across every source we examined.",
    "Interviews with officials and practitioners point to the same bottleneck: decisions are taken far from the "
    "people who carry them out.",
    "None of this requires new institutions. It requires existing ones to share information and to be judged on "
    "outcomes rather than activity.",
    "The costs of delay compound: every year without a decision makes the eventual adjustment larger and less fair.",
    "Much of the resistance to change comes not from principled opposition but from uncertainty about who will pay.",
    "The people most affected are rarely in the room when the rules are written, and it shows in the results.",
    "Small administrative details, such as when payments arrive and which form comes first, explain more of the "
    "gap than any grand strategy.",
)

OPTIONS = (
    "Alternatives exist, but each trades one risk for another.",
    "A more ambitious option would move faster, but it would also concentrate risk in a single programme that is "
    "hard to correct.",
    "Doing nothing is also a choice, and it is the most expensive one on the table.",
    "A phased approach lets government learn from the first year before committing the full budget.",
    "The measures are designed to be reversible: if they do not work, they can be withdrawn without lasting harm.",
)

CLOSINGS = (
    "Progress on {subject} will not come from a single announcement. It will come from steady, measurable steps "
    "that outlast the political cycle that began them.",
    "The measures proposed here are modest by design. Their value lies in being adopted, evaluated and improved "
    "rather than admired.",
    "If the next review finds that these steps have not worked, the honest response is to publish the results and "
    "change course.",
    "The choice is not between acting and waiting, but between acting deliberately now and reacting expensively later.",
    "None of these steps is dramatic. Together they would make {subject} a matter of routine competence rather "
    "than recurring crisis.",
)

HEADINGS = {
    "context": ("Background", "Where things stand", "How we got here"),
    "evidence": ("What the evidence shows", "Reading the evidence", "What the numbers say"),
    "options": ("A better approach", "Options for reform", "What should change"),
    "risks": ("Risks and trade-offs", "What could go wrong", "Getting the details right"),
    "recommendations": ("Recommendations", "What we recommend", "Next steps"),
}

TITLE_PATTERNS = (
    "{Subject}: Lessons from {Place}",
    "Rethinking {Subject}",
    "What {Place} Can Teach Us About {Subject}",
    "{Subject} After the Next Election",
    "Five Questions About {Subject}",
    "A Practical Agenda for {Subject}",
    "{Subject}: The Case for Patience",
    "Measuring What Matters in {Subject}",
    "{Subject} in {Place}: A Progress Report",
    "Getting {Subject} Right",
)

SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"}


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def title_case(text: str) -> str:
    """Capitalise every word but short joining words after the first ("What the Calder Basin Can Teach Us")."""

    def capitalise(word: str) -> str:
        return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))

    words = text.split()
    return " ".join(word if index and word in SMALL_WORDS else capitalise(word) for index, word in enumerate(words))


def fill(template: str, spec: BriefSpec) -> str:
    return template.format(subject=spec.subject, Subject=sentence_case(spec.subject))


def paragraph(*sentences: str) -> str:
    return "<p>" + " ".join(escape(sentence, quote=False) for sentence in sentences) + "</p>"


def bullet_list(items, *, ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    return f"<{tag}>" + "".join(f"<li>{escape(item, quote=False)}</li>" for item in items) + f"</{tag}>"


def summary_html(spec: BriefSpec, rng: random.Random) -> str:
    """The "Policy Summary" section: the problem, the finding and the recommendations in brief."""
    opening = fill(rng.choice(OPENINGS), spec)
    return "".join(
        (
            paragraph(opening, spec.problem),
            paragraph(spec.evidence, spec.proposal),
            "<p><strong>In brief, we recommend:</strong></p>",
            bullet_list(spec.recommendations),
        )
    )


def analysis_html(spec: BriefSpec, rng: random.Random, *, site_name: str, resource: tuple[str, str] | None) -> str:
    """The "Policy Analysis" section: context, evidence, options, risks and numbered recommendations."""
    analysis = rng.sample(ANALYSIS, 4)
    options = rng.sample(OPTIONS, 2)
    parts = [
        f"<h3>{rng.choice(HEADINGS['context'])}</h3>",
        paragraph(spec.context, rng.choice(WHY_NOW)),
        f"<h3>{rng.choice(HEADINGS['evidence'])}</h3>",
        paragraph(spec.evidence, analysis[0], analysis[1]),
        paragraph(analysis[2], analysis[3]),
        f"<h3>{rng.choice(HEADINGS['options'])}</h3>",
        paragraph(spec.proposal, options[0]),
        f"<h3>{rng.choice(HEADINGS['risks'])}</h3>",
        "<p>" + escape(spec.risk, quote=False) + " <em>" + escape(options[1], quote=False) + "</em></p>",
        f"<h3>{rng.choice(HEADINGS['recommendations'])}</h3>",
        bullet_list((f"{item}." for item in spec.recommendations), ordered=True),
        paragraph(fill(rng.choice(CLOSINGS), spec)),
    ]
    if resource:
        name, url = resource
        parts.append(
            f"<p>{escape(site_name)} will return to {escape(spec.subject)} as new evidence appears. Readers who want "
            f'to get involved can start with <a href="{escape(url)}">{escape(name)}</a> and the other organisations '
            "listed below.</p>"
        )
    return "".join(parts)


def caption(spec: BriefSpec) -> str:
    return f"“{spec.quote}” — {spec.speaker}"


def generated_title(spec: BriefSpec, rng: random.Random) -> str:
    """A title for a benchmark brief on the same subject as ``spec``."""
    pattern = rng.choice(TITLE_PATTERNS)
    return title_case(pattern.format(Subject=spec.subject, Place=rng.choice(PLACES)))


def generated_summary(spec: BriefSpec, rng: random.Random) -> str:
    text = f"{fill(rng.choice(OPENINGS), spec)} {spec.proposal}"
    return text if len(text) <= 400 else text[:397].rsplit(" ", 1)[0] + "…"
