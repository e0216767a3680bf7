import os

AWS_KEY_ID = os.environ["AWS_KEY_ID"]  # ruleid: PW303
GH = os.environ["GH"]  # ruleid: PW303
HOOK = os.environ["HOOK"]  # ruleid: PW303
STRIPE = os.environ["STRIPE"]  # ruleid: PW303
GOOGLE = os.environ["GOOGLE"]  # ruleid: PW303
DOCS_KEY = "AKIAIOSFODNN7EXAMPLE"  # ok: PW303
STRIPE_TEST = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # ok: PW303
PREFIX = "AKIA"  # ok: PW303
NOT_A_KEY = "XAKIAZ3MHQ2XU5T7RBN4KZZ"  # ok: PW303
