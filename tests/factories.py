"""factory_boy factories with real image files made by Pillow."""

import io

import factory
from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image

from briefs.models import Author, Brief, BriefAuthor, BriefResource, EngagementResource, Photo, Section, Series, Topic


def image_bytes(*, size=(64, 48), color=(40, 90, 160), format="JPEG", **save_kwargs) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=format, **save_kwargs)
    return buffer.getvalue()


def image_file(name="photo.jpg", **kwargs) -> ContentFile:
    return ContentFile(image_bytes(**kwargs), name=name)


class SeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Series
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Series {n} Policy Brief")
    slug = factory.Sequence(lambda n: f"series-{n}")
    description = "A series of briefs."


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Topic {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")


class PhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Photo

    image = factory.LazyFunction(image_file)
    alt_text = factory.Sequence(lambda n: f"A photo numbered {n}")
    caption = "Delegates arrive for the talks."
    credit = "Example Photo Agency"
    source_url = "https://photos.example.org/1"


class AuthorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Author

    name = factory.Sequence(lambda n: f"Author {n}")
    slug = factory.Sequence(lambda n: f"author-{n}")
    role = "Fellow"
    bio = "Writes about policy."


class EngagementResourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EngagementResource

    name = factory.Sequence(lambda n: f"Organisation {n}")
    url = factory.Sequence(lambda n: f"https://org{n}.example.org/")
    description = "Works on the issue."
    logo = factory.LazyFunction(lambda: image_file("logo.png", format="PNG"))


class BriefFactory(factory.django.DjangoModelFactory):
    """A draft brief; use ``published_brief`` for one the public can see."""

    class Meta:
        model = Brief

    title = factory.Sequence(lambda n: f"Brief number {n}")
    slug = factory.Sequence(lambda n: f"brief-{n}")
    series = factory.SubFactory(SeriesFactory)
    summary = "A short summary of the brief."


def published_brief(
    *, authors=None, topics=(), sections=2, resources=(), header_photo=None, published_at=None, **kwargs
):
    """A complete, published brief as an editor would make it."""
    brief = BriefFactory(header_photo=header_photo, published_at=published_at, **kwargs)
    for position, author in enumerate(authors or [AuthorFactory()]):
        BriefAuthor.objects.create(brief=brief, author=author, sort_order=position)
    brief.topics.set(topics)
    for position in range(sections):
        Section.objects.create(
            brief=brief,
            heading=f"Section {position + 1}",
            body="<p>Some analysis of the question.</p>",
            sort_order=position,
        )
    for position, resource in enumerate(resources):
        BriefResource.objects.create(brief=brief, resource=resource, sort_order=position)
    if published_at is not None and published_at > timezone.now():
        # A brief dated in the future is scheduled; it goes live (and is numbered) when its time comes.
        brief.schedule(by=None, at=published_at)
    else:
        brief.publish(by=None)
    return brief
