"""Email addresses we can actually send to, checked where they are typed or imported.

Django's ``EmailValidator`` accepts some addresses that its SMTP backend then
cannot encode: an invisible direction mark (U+200E, U+202E) after the domain
passes the validator and makes the IDNA encoding of the domain fail, so the
confirmation email raised instead of being sent. ``validate_sendable_email``
refuses what the SMTP backend would refuse, with a message that names the
offending character, so a reader who pasted an address with a hidden mark is
told what to fix, and a CSV import reports the line.
"""

import unicodedata
from email.headerregistry import AddressHeader

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.encoding import punycode

# Control and formatting characters, separators other than a plain space, private-use and unassigned code
# points: none of them belongs in an address, and most are invisible on screen.
_REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}


def character_name(character: str) -> str:
    """e.g. "U+202E RIGHT-TO-LEFT OVERRIDE"."""
    name = unicodedata.name(character, "")
    return f"U+{ord(character):04X} {name}".strip()


def refused_character(address: str) -> str | None:
    """The first character no address may contain (most are invisible), or None."""
    for character in address:
        # The category lookup only for what is not plain printable ASCII: this runs on every subscribe.
        if not (character.isascii() and character.isprintable()) and (
            unicodedata.category(character) in _REFUSED_CATEGORIES
        ):
            return character
    return None


def visible_address(address: str) -> str:
    """The address with each refused character shown as its code, e.g. "a@b.c[U+202E]", for staff to read.

    Shown as it is, a direction mark would turn the rest of the line around.
    """
    return "".join(f"[U+{ord(character):04X}]" if refused_character(character) else character for character in address)


def invisible_character_problem(address: str) -> str:
    """The first character no address may contain, explained; "" if there is none."""
    character = refused_character(address)
    if character is None:
        return ""
    return (
        f"This address contains a character that cannot be sent by email ({character_name(character)}), "
        "often invisible after copying and pasting. Please type the address again."
    )


def sendable_email_problem(address: str) -> str:
    """Why an email to ``address`` could not be sent through SMTP, or "" if it can (its syntax checked elsewhere)."""
    if problem := invisible_character_problem(address):
        return problem
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return (
            "The part before the @ has letters our mail server cannot send to (only unaccented Latin letters, "
            "digits and . _ + - work there). Please check the address."
        )
    try:
        # What Django's SMTP backend does to every recipient (EmailBackend.prep_address): parse the address as
        # a mail header would, and encode an international domain with IDNA.
        parsed = AddressHeader.value_parser(address)
        if not domain.isascii():
            punycode(domain)
    except (UnicodeError, ValueError, IndexError):
        parsed = None
    if parsed is None or parsed.all_defects or len(parsed.all_mailboxes) != 1:
        return "The part after the @ is not a domain name email can be sent to. Please check the address."
    return ""


def validate_sendable_email(value: str) -> None:
    """Django's email syntax check, then the SMTP one (``sendable_email_problem``); raises ValidationError.

    A hidden character is named first, since it is what makes the syntax look wrong to the reader too.
    """
    if problem := invisible_character_problem(value):
        raise ValidationError(problem, code="unsendable")
    validate_email(value)
    if problem := sendable_email_problem(value):
        raise ValidationError(problem, code="unsendable")


class SendableEmailField(forms.EmailField):
    """An email field whose address our SMTP backend can encode (see the module)."""

    def run_validators(self, value):
        if value in self.empty_values:
            return super().run_validators(value)
        if problem := invisible_character_problem(value):  # named first: it is what makes the syntax look wrong
            raise ValidationError(problem, code="unsendable")
        super().run_validators(value)  # the syntax, with the form's own message
        if problem := sendable_email_problem(value):
            raise ValidationError(problem, code="unsendable")
        return None
