"""Loads a deployment manifest supplied on the command line."""
import sys

import yaml


def load_manifest(path):
    with open(path) as fh:
        return yaml.safe_load(fh)


if __name__ == "__main__":
    manifest = load_manifest(sys.argv[1])
    print(f"deploying {manifest['service']} x{manifest.get('replicas', 1)}")
