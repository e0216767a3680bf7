import numpy
import numpy as np
from numpy import load


def read(upload, path):
    a = np.load(upload, allow_pickle=True)  # ruleid: PW198
    b = load(path, None, True)  # ruleid: PW198
    c = np.load(path)  # ok: PW198
    d = numpy.load(path, allow_pickle=False)  # ok: PW198
    e = np.loadtxt(path)  # ok: PW198
    return a, b, c, d, e
