from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from . import checks, receivers  # noqa: F401 - registers the system checks, connects the receivers
