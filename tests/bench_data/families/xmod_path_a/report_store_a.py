import os

REPORT_ROOT = "/var/lib/reports/out"


def report_path(relative):
    return os.path.join(REPORT_ROOT, relative)


def read_report(relative):
    path = report_path(relative)
    with open(path, "rb") as fh:
        return fh.read()


def list_reports():
    return sorted(
        name for name in os.listdir(REPORT_ROOT)
        if name.endswith((".pdf", ".csv"))
    )
