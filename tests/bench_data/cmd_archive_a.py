"""Nightly backup helper: archives a project directory."""
import argparse
import subprocess


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("name")
    parser.add_argument("directory")
    args = parser.parse_args()
    subprocess.call(f"tar czf /backups/{args.name}.tgz {args.directory}", shell=True)


if __name__ == "__main__":
    main()
