import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
DEBUG = True  # ruleid: PW411
ALLOWED_HOSTS = ["shop.example.com"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "shop",
]


def feature_flags():
    DEBUG = True  # ok: PW411
    return DEBUG


TEMPLATE_DEBUG = True  # ok: PW411
