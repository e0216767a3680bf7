import torch
from torch import load as torch_load


def load(path):
    a = torch.load(path, map_location="cpu")  # ruleid: PW193
    b = torch_load(path, weights_only=False)  # ruleid: PW193
    c = torch.load(path, map_location="cpu", weights_only=True)  # ok: PW193
    d = torch.jit.load(path)  # ok: PW193
    return a, b, c, d
