"""Builds the documentation in a scratch directory and copies the result."""
import shutil
import subprocess
import tempfile
from pathlib import Path


def build(source: Path, output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="docs-") as scratch:
        subprocess.run(["sphinx-build", "-q", "-b", "html", str(source), scratch], check=True)
        if output.exists():
            shutil.rmtree(output)
        shutil.copytree(scratch, output)
