import numpy as np
from flask import Flask, request, jsonify

app = Flask(__name__)


@app.route("/embeddings", methods=["POST"])
def upload_embeddings():
    upload = request.files["file"]
    vectors = np.load(upload, allow_pickle=False)
    return jsonify({"shape": list(vectors.shape)})
