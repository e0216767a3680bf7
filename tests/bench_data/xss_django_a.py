from django.shortcuts import render
from django.utils.safestring import mark_safe

from .models import Comment


def comment_list(request):
    comments = Comment.objects.order_by("-created")[:50]
    rendered = [mark_safe(f"<p><b>{c.author}</b>: {c.text}</p>") for c in comments]
    return render(request, "comments.html", {"comments": rendered})
