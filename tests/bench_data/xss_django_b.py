from django.shortcuts import render
from django.utils.html import format_html

from .models import Comment


def comment_list(request):
    comments = Comment.objects.order_by("-created")[:50]
    rendered = [format_html("<p><b>{}</b>: {}</p>", c.author, c.text) for c in comments]
    return render(request, "comments.html", {"comments": rendered})
