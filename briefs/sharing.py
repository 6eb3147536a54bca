"""Share links as plain URLs: no third-party scripts, no tracking."""

from urllib.parse import quote, urlencode


def share_links(*, url: str, title: str, image_url: str = "") -> list[dict]:
    """The share targets shown on a brief page, each a label and an address."""
    return [
        {"network": "x", "label": "X", "url": "https://x.com/intent/post?" + urlencode({"url": url, "text": title})},
        {
            "network": "facebook",
            "label": "Facebook",
            "url": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        },
        {
            "network": "linkedin",
            "label": "LinkedIn",
            "url": "https://www.linkedin.com/sharing/share-offsite/?" + urlencode({"url": url}),
        },
        {
            "network": "pinterest",
            "label": "Pinterest",
            "url": "https://www.pinterest.com/pin/create/button/?"
            + urlencode({"url": url, "media": image_url, "description": title}),
        },
        {"network": "email", "label": "Email", "url": f"mailto:?subject={quote(title)}&body={quote(url)}"},
    ]
