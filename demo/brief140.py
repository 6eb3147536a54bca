"""A demo brief shaped like the group's "Foreign Policy Brief #140", with original, fictional text.

The shape follows the page the group publishes today (shared notes: header
photo with its credit, a "Policy Summary" of two paragraphs with a photo, a
"Policy Analysis" of five paragraphs with a library photo between the third
and fourth, two engagement resources with logos). Every word, name, place
and organisation here is invented; it is the brief the page-weight test and
the screenshots measure.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class PhotoSpec:
    scene: str  # a scene from artwork.SCENES, or "captioned" for the header
    caption: str
    credit: str
    source_url: str
    licence: str = ""
    licence_url: str = ""


TITLE = "Update on Arvenian–Kostrel Diplomatic Talks on the Saltmarsh Strait Crisis"
SLUG = "update-on-arvenian-kostrel-talks-saltmarsh-strait"
SERIES = "foreign-policy"
AUTHOR = "amara-okafor"
TOPICS = ("security-defence", "trade-investment")
RESOURCES = ("Northern Treaty Alliance", "Arvenian Ministry of Foreign Affairs")
# The newest foreign-policy brief: after the eight demo briefs (#132-#139) it becomes #140.
DAYS_AGO = 3
HEADER_CAPTION = "LINDHAVEN TALKS · DAY TWO"

SUMMARY = (
    "Negotiators from Arvenia and Kostrel met for a second day in Lindhaven to ease the standoff over shipping in "
    "the Saltmarsh Strait. Neither side moved on the core dispute, but both agreed to a hotline and a pause in "
    "naval exercises. We set out what was agreed, what was not, and what partners should press for next."
)

HEADER_PHOTO = PhotoSpec(
    scene="captioned",
    caption="",
    credit="The Harbour Courier",
    source_url="https://harbourcourier.example.org/photos/lindhaven-day-two",
    licence="Used with permission",
)
SUMMARY_PHOTO = PhotoSpec(
    scene="civic building",
    caption="“The line will be open day and night,” a spokesperson for the Arvenian delegation told reporters "
    "after the session.",
    credit="Northgate Press Agency",
    source_url="https://northgatepress.example.net/lindhaven/briefing",
    licence="CC BY 4.0",
    licence_url="https://creativecommons.org/licenses/by/4.0/",
)
ANALYSIS_PHOTO = PhotoSpec(
    scene="harbour",
    caption="Ferries wait outside the strait while the talks continue.",
    credit="The Morning Ledger",
    source_url="https://morningledger.example.org/pictures/strait-ferries",
    licence="All rights reserved",
)

SUMMARY_PARAGRAPHS = (
    "Two days of talks in Lindhaven ended without a settlement of the Saltmarsh Strait dispute, but they did end "
    "with both delegations still at the table. Arvenia and Kostrel agreed to open a direct line between their naval "
    "commands, to pause live-fire exercises near the shipping lanes for thirty days, and to meet again before the "
    "end of next month.",
    "The harder questions were left for later. Kostrel still insists that foreign warships give notice before "
    "entering the strait, a demand Arvenia calls a breach of free passage, and Arvenia wants the fishing exclusion "
    "zone declared last spring withdrawn before any wider deal. Shipping companies have already rerouted about a "
    "fifth of their traffic around the northern cape, adding four days to the journey and raising insurance costs "
    "for everyone who still uses the strait. This brief argues that the hotline and the exercise pause are worth "
    "protecting in their own right, that partners should fund an independent monitoring mission, and that the next "
    "round should start with the fishing zone, where a compromise is closest.",
)

ANALYSIS_PARAGRAPHS = (
    "The Lindhaven meeting was the first time senior officials from both capitals had sat in one room since a "
    "Kostrel patrol boat collided with an Arvenian ferry in March. That it happened at all owes much to quiet work "
    "by the host government, which offered a venue, a neutral chair and an agenda short enough that neither side "
    "could claim to have been ambushed. Both delegations called the atmosphere businesslike, which in this dispute "
    "counts as progress.",
    "The hotline is the most concrete result. Until now, a near miss at sea had to travel up one chain of command, "
    "across by diplomatic note and down the other, a process that took a day at best. A direct line between duty "
    "officers cuts that to minutes. It will not prevent a deliberate provocation, but it makes an accidental one "
    "much less likely to spiral.",
    "The thirty-day pause in exercises is more fragile. It was announced as a gesture rather than a commitment, "
    "nobody will verify it, and Kostrel's defence ministry has said it may resume drills if circumstances require. "
    "Partners should treat the pause as a test: if it holds, it can be extended; if it breaks, the hotline will face "
    "its first real use.",
    "On the core dispute the gap remains wide. Notice rules for warships touch principles both governments have "
    "defended for decades, and neither leader can be seen to give ground before next year's elections. The fishing "
    "zone is different: it is recent, its economic stakes are modest, and both sides have hinted at flexibility.",
    "The next round should bank the hotline, extend the pause under monitors, and start where agreement is nearest.",
)
