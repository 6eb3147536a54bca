"""System checks for the newsletter: a DKIM key that cannot be used stops start-up, not the first send."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .dkim import dkim_signer


@register()
def dkim_key_check(app_configs, **kwargs):
    try:
        dkim_signer()
    except ImproperlyConfigured as error:
        return [Error(str(error), hint="Set DKIM_PRIVATE_KEY to an RSA private key in PEM form.", id="newsletter.E001")]
    return []
