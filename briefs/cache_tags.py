"""Which public pages show what, so that a change purges exactly the cached pages it affects.

Every public page lists, in its ``xkey`` header (core/caching.py), a tag for
each thing it shows; a change purges the tags of what changed (core/purge.py).

=====================  ====================================================================
tag                    carried by
=====================  ====================================================================
``brief-<id>``         every page showing the brief: its own page, cards on listings, related
                       and neighbouring briefs on other brief pages, items in feeds
``author-<id>``        pages showing the author: bylines, the author's page
``series-<id>``        pages naming the series: the series page, cards' labels, brief pages
``topic-<id>``         pages naming the topic: the topic page, brief pages, feed items
``photo-<id>``         pages showing the photo: headers, cards, photos in a brief's text
``resource-<id>``      brief pages listing the organisation
``series-<id>-briefs`` pages that list the series' published briefs: the series page and its
                       feeds, and the series' brief pages (previous/next, related briefs)
``topic-<id>-briefs``  the same for a topic (topic page and feeds, related briefs)
``author-<id>-briefs`` the same for an author ("more by", the author page and feeds)
``briefs``             lists of all published briefs: dashboard, search, site feeds, sitemap
``authors``            the author filter (every author with a published brief)
``search``             search results, whose matches follow the briefs' text
``sitemap``            the sitemap, which gives each brief's last change
``nav``                every HTML page: the series and topics in the menu and footer
=====================  ====================================================================

What changes purges what:

* a brief goes live or is withdrawn: the brief, ``briefs``, ``search``,
  ``sitemap``, ``authors`` and the lists of its series, topics and authors;
* a live brief is edited (text, sections, byline, topics, resources): the brief,
  ``search``, ``sitemap`` and the lists it is (now or was) in;
* an author, series, topic, photo or resource is changed: its own tag (plus
  ``authors`` for an author, and ``nav`` when a series' or topic's name or
  address changes, since every page's menu shows it).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from core.purge import cache_purge_on_commit

from .models import Author, Brief, BriefAuthor, BriefResource, EngagementResource, Photo, Section, Series, Topic
from .signals import brief_went_live, brief_withdrawn

NAV = "nav"
ALL_BRIEFS = "briefs"
AUTHOR_FILTER = "authors"
SEARCH = "search"
SITEMAP = "sitemap"


def card_tags(briefs) -> set[str]:
    """What cards (or feed items, or links) of ``briefs`` from ``for_listing()`` show."""
    tags = set()
    for brief in briefs:
        tags |= {f"brief-{brief.pk}", f"series-{brief.series_id}"}
        tags |= {f"author-{link.author_id}" for link in brief.brief_authors.all()}
        if brief.header_photo_id:
            tags.add(f"photo-{brief.header_photo_id}")
    return tags


def listing_tags(briefs, *, lists=(ALL_BRIEFS,)) -> set[str]:
    """A page of cards: the cards, the lists it is cut from, and the navigation."""
    return card_tags(briefs) | set(lists) | {NAV}


def link_tags(briefs) -> set[str]:
    """Links to ``briefs`` with their label and title (related reading, previous and next)."""
    return {tag for brief in briefs if brief for tag in (f"brief-{brief.pk}", f"series-{brief.series_id}")}


def brief_page_tags(brief: Brief, *, linked=()) -> set[str]:
    """The brief page (from ``for_detail()``): the brief, its parts, the briefs it links to and their lists."""
    tags = card_tags([brief]) | link_tags(linked) | brief_lists(brief) | {NAV}
    tags |= {f"topic-{topic.pk}" for topic in brief.topics.all()}
    tags |= {f"resource-{link.resource_id}" for link in brief.brief_resources.all()}
    for section in brief.sections.all():
        tags |= {f"photo-{placement.photo_id}" for placement in section.text_photos.all()}
    return tags


def brief_lists(brief: Brief) -> set[str]:
    """The lists of briefs that ``brief`` is in (its topics and byline as prefetched, or as stored)."""
    return (
        {f"series-{brief.series_id}-briefs"}
        | {f"topic-{topic.pk}-briefs" for topic in brief.topics.all()}
        | {f"author-{link.author_id}-briefs" for link in brief.brief_authors.all()}
    )


TAG_NAMES = {Author: "author", Series: "series", Topic: "topic", Photo: "photo", EngagementResource: "resource"}


def subject_tag(subject) -> str:
    """The tag of an author, series, topic, photo or resource."""
    return f"{TAG_NAMES[type(subject)]}-{subject.pk}"


def subject_page_tags(subject, briefs) -> set[str]:
    """A series, topic or author page (or its feeds): the subject, its list of briefs, and the cards shown."""
    return card_tags(briefs) | {subject_tag(subject), f"{subject_tag(subject)}-briefs", NAV}


def feed_tags(subject, briefs) -> set[str]:
    """A feed of ``briefs`` (with their topics), of everything or of one series, topic or author."""
    tags = card_tags(briefs) | {f"topic-{topic.pk}" for brief in briefs for topic in brief.topics.all()}
    return tags | ({subject_tag(subject), f"{subject_tag(subject)}-briefs"} if subject else {ALL_BRIEFS})


# The sitemap lists every published brief with its last change, and every series, topic and author.
SITEMAP_TAGS = (SITEMAP, ALL_BRIEFS, AUTHOR_FILTER, NAV)


# -- what changes purge ------------------------------------------------------------------------------------------


def brief_went_or_left(sender, brief, **kwargs):
    """A brief became public or stopped being public: every list it is (or was) in changes."""
    stored = Brief.objects.filter(pk=brief.pk).first() or brief
    cache_purge_on_commit(keys={f"brief-{brief.pk}", ALL_BRIEFS, SEARCH, SITEMAP, AUTHOR_FILTER} | brief_lists(stored))


def live_brief_edited(brief_id: int, *extra: str) -> None:
    """A live brief's content changed: purge it and the lists it is in (``extra``: lists it was in or joined)."""
    brief = Brief.objects.published().filter(pk=brief_id).first()
    if brief is not None:
        cache_purge_on_commit(keys={f"brief-{brief_id}", SEARCH, SITEMAP, *extra} | brief_lists(brief))


def brief_saved(sender, instance, update_fields=None, **kwargs):
    # Workflow steps save the status; going live or being withdrawn is announced by the signals above.
    if update_fields and "status" in update_fields:
        return
    if instance.is_live:
        live_brief_edited(instance.pk)


def brief_deleting(sender, instance, **kwargs):
    if instance.is_live:
        brief_went_or_left(sender, instance)


def brief_part_changed(sender, instance, **kwargs):
    """A section, byline entry or resource of a brief was saved or removed."""
    extra = [f"author-{instance.author_id}-briefs", AUTHOR_FILTER] if isinstance(instance, BriefAuthor) else []
    live_brief_edited(instance.brief_id, *extra)


def brief_topics_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:
        # topic.briefs.add(...): ``instance`` is the topic, ``pk_set`` the briefs.
        for brief_id in pk_set or instance.briefs.values_list("pk", flat=True):
            live_brief_edited(brief_id, f"topic-{instance.pk}-briefs")
        return
    topic_ids = pk_set if pk_set is not None else instance.topics.values_list("pk", flat=True)
    live_brief_edited(instance.pk, *(f"topic-{topic_id}-briefs" for topic_id in topic_ids))


def shown_object_saved(sender, instance, created=False, **kwargs):
    """An author, photo or resource changed: the pages that show it (none yet, when it was just created)."""
    if created or (isinstance(instance, Photo) and not photo_shown(instance.pk)):
        return
    tags = {subject_tag(instance)}
    if isinstance(instance, Author):
        tags.add(AUTHOR_FILTER)
    cache_purge_on_commit(keys=tags)


NAVIGATION_FIELDS = ("name", "slug")


def navigation_item_saving(sender, instance, **kwargs):
    """Remember a series' or topic's name and address before a save, to know whether the menu changes."""
    instance.navigation_before = (
        sender.objects.filter(pk=instance.pk).values_list(*NAVIGATION_FIELDS).first() if instance.pk else None
    )


def navigation_item_changed(sender, instance, **kwargs):
    """A series or topic changed: its own pages, and every page if the menu shows it differently."""
    tags = {subject_tag(instance)}
    before = getattr(instance, "navigation_before", None)
    if before != tuple(getattr(instance, field) for field in NAVIGATION_FIELDS):
        tags.add(NAV)
    cache_purge_on_commit(keys=tags)


def photo_shown(photo_id: int) -> bool:
    """Whether any brief uses the photo (a library photo nobody uses yet is on no page)."""
    return Photo.objects.in_use().filter(pk=photo_id).exists()


def photo_renditions_ready(photo_id: int) -> None:
    """A photo's renditions were made: pages switch from its thumbnail to them."""
    if photo_shown(photo_id):
        cache_purge_on_commit(keys={f"photo-{photo_id}"})


def connect() -> None:
    """Connect the receivers above (BriefsConfig.ready)."""
    brief_went_live.connect(brief_went_or_left, dispatch_uid="cache-brief-went-live")
    brief_withdrawn.connect(brief_went_or_left, dispatch_uid="cache-brief-withdrawn")
    post_save.connect(brief_saved, sender=Brief, dispatch_uid="cache-brief-saved")
    pre_delete.connect(brief_deleting, sender=Brief, dispatch_uid="cache-brief-deleting")
    for model in (Section, BriefAuthor, BriefResource):
        for signal in (post_save, post_delete):
            signal.connect(brief_part_changed, sender=model, dispatch_uid=f"cache-{model.__name__}")
    m2m_changed.connect(brief_topics_changed, sender=Brief.topics.through, dispatch_uid="cache-brief-topics")
    for model in (Author, Photo, EngagementResource):
        for signal in (post_save, post_delete):
            signal.connect(shown_object_saved, sender=model, dispatch_uid=f"cache-{model.__name__}")
    for model in (Series, Topic):
        pre_save.connect(navigation_item_saving, sender=model, dispatch_uid=f"cache-before-{model.__name__}")
        for signal in (post_save, post_delete):
            signal.connect(navigation_item_changed, sender=model, dispatch_uid=f"cache-{model.__name__}")
