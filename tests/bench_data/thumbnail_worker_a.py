"""Background worker: makes thumbnails for uploaded images."""
import subprocess


class Thumbnailer:
    def __init__(self, size="256x256"):
        self.size = size

    def _convert(self, src, dst):
        cmd = "convert %s -thumbnail %s %s" % (src, self.size, dst)
        return subprocess.check_output(cmd, shell=True)

    def handle(self, job):
        upload_name = job["original_filename"]
        return self._convert("/uploads/" + upload_name, "/thumbs/" + upload_name + ".png")
