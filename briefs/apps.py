from django.apps import AppConfig


class BriefsConfig(AppConfig):
    name = "briefs"
    verbose_name = "Briefs"

    def ready(self):
        import reversion

        from .models import Brief, BriefAuthor, BriefResource, Section

        # A revision of a brief holds its sections, byline and resources as they were, together.
        reversion.register(Section)
        reversion.register(BriefAuthor)
        reversion.register(BriefResource)
        reversion.register(
            Brief,
            exclude=["live_fingerprint"],
            follow=["sections", "brief_authors", "brief_resources"],
        )
