import pickle
pickle.loads(data)  # nosec
