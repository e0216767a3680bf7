from django.utils.html import escape, format_html
from django.utils.html import mark_safe as html_mark_safe
from django.utils.safestring import mark_safe


def render_badge(user, comment):
    a = mark_safe(f"<span class='badge'>{user.display_name}</span>")  # ruleid: PW140
    b = html_mark_safe("<p>" + comment + "</p>")  # ruleid: PW140
    c = mark_safe(comment)  # ruleid: PW140
    d = mark_safe("<hr>")  # ok: PW140
    e = format_html("<span>{}</span>", user.display_name)  # ok: PW140
    f = escape(comment)  # ok: PW140
    return a, b, c, d, e, f
