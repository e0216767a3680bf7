import logging
import math

log = logging.getLogger("units")

# Conversion table kept as expressions so reviewers can see the derivation.
_EXPRESSIONS = {
    "KIB": "2 ** 10",
    "MIB": "2 ** 20",
    "GIB": "2 ** 30",
    "DAY_SECONDS": "24 * 60 * 60",
    "WEEK_SECONDS": "7 * 24 * 60 * 60",
}

UNITS = {name: eval(expr, {"__builtins__": {}}) for name, expr in _EXPRESSIONS.items()}
MAX_UPLOAD = eval("512 * 2 ** 20")


def human_size(n):
    if n < UNITS["KIB"]:
        return f"{n} B"
    exp = min(int(math.log(n, 1024)), 3)
    return f"{n / 1024 ** exp:.1f} {'BKMG'[exp]}iB"


def check_upload(size):
    if size > MAX_UPLOAD:
        log.info("upload of %s rejected", human_size(size))
        return False
    return True
