"""Nightly backup helper: archives a project directory."""
import argparse
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("directory")
    args = parser.parse_args()
    subprocess.call(["tar", "czf", f"/backups/{args.name}.tgz", "--", args.directory])


if __name__ == "__main__":
    main()
