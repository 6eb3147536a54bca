from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class BriefsConfig(AppConfig):
    name = "briefs"
    verbose_name = "Briefs"

    def ready(self):
        import reversion

        from . import cache_tags, search
        from .models import Author, Brief, BriefAuthor, BriefResource, Section

        # A revision of a brief holds its sections, byline and resources as they were, together.
        reversion.register(Section)
        reversion.register(BriefAuthor)
        reversion.register(BriefResource)
        reversion.register(
            Brief,
            exclude=["live_fingerprint"],
            follow=["sections", "brief_authors", "brief_resources"],
        )

        # The full-text index follows every change to what it covers, in the same transaction.
        post_save.connect(search.brief_saved, sender=Brief, dispatch_uid="search-brief-saved")
        post_delete.connect(search.brief_deleted, sender=Brief, dispatch_uid="search-brief-deleted")
        for model in (Section, BriefAuthor):
            for signal in (post_save, post_delete):
                signal.connect(search.part_of_brief_changed, sender=model, dispatch_uid=f"search-{model.__name__}")
        post_save.connect(search.author_saved, sender=Author, dispatch_uid="search-author-saved")

        # Cached public pages are purged when what they show changes (core/purge.py).
        cache_tags.connect()
