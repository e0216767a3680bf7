import random

from django import template
from django.conf import settings
from django.templatetags.static import static

register = template.Library()

_BUILD = None


def build_marker():
    global _BUILD
    if _BUILD is None:
        _BUILD = getattr(settings, "BUILD_ID", None) or str(random.randint(10**5, 10**6))
    return _BUILD


@register.simple_tag
def versioned_static(path):
    """Cache-busting query string for static assets."""
    url = static(path)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}v={build_marker()}"


@register.simple_tag
def placeholder_color():
    palette = ["#e0f2f1", "#fce4ec", "#ede7f6", "#fff8e1"]
    return random.choice(palette)
