import ssl
import urllib.request
from ssl import _create_unverified_context

ctx = ssl._create_unverified_context()  # ruleid: PW351
ctx = _create_unverified_context()  # ruleid: PW351
ssl._create_default_https_context = ssl._create_unverified_context  # ruleid: PW351
ctx = ssl.create_default_context()  # ok: PW351
urllib.request.urlopen("https://example.com", context=ctx)  # ok: PW351
