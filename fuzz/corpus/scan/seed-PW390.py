import tempfile
from tempfile import mktemp

path = tempfile.mktemp()  # ruleid: PW390
path = mktemp(suffix=".csv")  # ruleid: PW390
fd, path = tempfile.mkstemp()  # ok: PW390
handle = tempfile.NamedTemporaryFile()  # ok: PW390
