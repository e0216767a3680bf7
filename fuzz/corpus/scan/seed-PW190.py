import _pickle  # ruleid: PW197
import base64
import pickle  # ruleid: PW197
import pickle as pkl  # ruleid: PW197
from pickle import loads  # ruleid: PW197

import dill  # ruleid: PW197
import jsonpickle  # ruleid: PW197
import pandas as pd  # ok: PW197


def restore(blob, path, text):
    a = pickle.loads(blob)  # ruleid: PW190
    with open(path, "rb") as fh:
        b = pkl.load(fh)  # ruleid: PW190
    c = loads(blob)  # ruleid: PW190
    d = dill.loads(blob)  # ruleid: PW190
    e = jsonpickle.decode(text)  # ruleid: PW190
    f = pd.read_pickle(path)  # ruleid: PW190
    g = _pickle.loads(blob)  # ruleid: PW190
    j = pickle.loads(base64.b64decode(text))  # ruleid: PW190
    h = pickle.dumps(a)  # ok: PW190
    i = pd.read_csv(path)  # ok: PW190
    return a, b, c, d, e, f, g, h, i, j
