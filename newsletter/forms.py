"""Forms for subscribing, choosing what to receive, and importing subscribers.

The consent wording lives here, beside its version: whoever changes the text
a subscriber agrees to must bump CONSENT_WORDING_VERSION, and every confirmed
subscription records the version its subscriber saw.
"""

from django import forms
from django.conf import settings

from briefs.models import Series, Topic
from core.email_address import SendableEmailField

from .models import Subscriber

CONSENT_WORDING_VERSION = "2026-11"
CONSENT_WORDING = (
    "We will email you new briefs and occasional news from {site_name}. Every email has a link to change "
    "what you receive or to unsubscribe, and we never share your address with anyone."
)

# Sources a visitor's form may claim; imports and staff additions are set by the admin only.
PUBLIC_SOURCES = (Subscriber.Source.DASHBOARD, Subscriber.Source.BRIEF, Subscriber.Source.SUBSCRIBE_PAGE)

# Bots fill in every field they find; people never see this one. The name is
# one a form-filling bot finds tempting.
HONEYPOT_FIELD = "website"


def consent_wording() -> str:
    return CONSENT_WORDING.format(site_name=settings.SITE_NAME)


class ChoicesMixin(forms.Form):
    """Series and topic check boxes; ticking none means everything."""

    series = forms.ModelMultipleChoiceField(
        queryset=Series.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Series",
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Topics",
    )


class SubscribeForm(ChoicesMixin, forms.Form):
    email = SendableEmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": "Please enter your email address.",
            "invalid": "Please enter a complete email address, like name@example.org.",
        },
    )
    source = forms.CharField(required=False, widget=forms.HiddenInput)
    website = forms.CharField(
        required=False,
        label="Leave this field empty",
        help_text="This field is here to catch automated sign-ups. Please leave it blank.",
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, source: str = Subscriber.Source.SUBSCRIBE_PAGE, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("source", source)
        super().__init__(*args, **kwargs)

    def clean_source(self) -> str:
        # A tampered hidden field is not worth an error message: fall back.
        source = self.cleaned_data.get("source")
        return source if source in PUBLIC_SOURCES else Subscriber.Source.SUBSCRIBE_PAGE

    def is_bot(self) -> bool:
        """True when the honeypot was filled in: treat as a bot, answer as usual, send nothing."""
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())


class PreferencesForm(ChoicesMixin, forms.Form):
    """Series, topics and how often; ``alerts`` off (switched off site-wide) leaves out how often."""

    alert_frequency = forms.ChoiceField(
        label="How would you like to hear about new briefs?",
        choices=Subscriber.AlertFrequency.choices,
        required=False,  # left out, the subscriber's choice stays as it is
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args, alerts: bool = True, digest_when: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if not alerts:
            del self.fields["alert_frequency"]
        elif digest_when:
            self.fields["alert_frequency"].choices = [
                (value, f"{label} ({digest_when})" if value == Subscriber.AlertFrequency.WEEKLY else label)
                for value, label in Subscriber.AlertFrequency.choices
            ]


class SubscriberImportForm(forms.Form):
    MAX_SIZE = 5 * 1024 * 1024

    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8 CSV with a header row, separated by commas or semicolons. Required column: email. Optional "
            "columns: series and topics, each a list of slugs or names separated by ; or | (empty means "
            "everything). At most 5 MB."
        ),
    )
    consented = forms.BooleanField(
        required=False,
        label="These people already consented to receive our emails",
        help_text=(
            "Tick only if you have a record of each person's consent. They are then subscribed at once. "
            "Otherwise each is added as pending and sent a confirmation email."
        ),
    )
    consent_note = forms.CharField(
        required=False,
        max_length=200,
        label="How did they consent?",
        help_text='Required when ticking the box above, e.g. "Signed up on paper at the 2026 annual conference".',
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError("The file is larger than 5 MB. Split it into smaller files.")
        return upload

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("consented") and not (cleaned.get("consent_note") or "").strip():
            self.add_error("consent_note", "Say how these people consented, so the record can show it later.")
        return cleaned
