import logging


def handlers(store, item):
    try:
        store.write(item)
    except:  # ruleid: PW500
        pass
    try:
        store.write(item)
    except Exception:  # ruleid: PW500
        pass
    try:
        store.write(item)
    except Exception as exc:  # ruleid: PW500
        pass
    try:
        store.write(item)
    except KeyError:  # ok: PW500
        pass
    try:
        store.write(item)
    except Exception:  # ok: PW500
        logging.exception("write failed")
    try:
        store.write(item)
    except Exception:  # ok: PW500
        # Best effort: the cache is rebuilt on the next start.
        pass
