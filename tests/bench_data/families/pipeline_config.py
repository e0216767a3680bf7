import logging

import yaml
from flask import Flask, jsonify, request

app = Flask(__name__)
log = logging.getLogger(__name__)
REQUIRED = ("name", "stages")


@app.post("/pipelines/validate")
def validate_pipeline():
    try:
        doc = yaml.safe_load(request.get_data(as_text=True))
    except yaml.YAMLError as exc:
        log.info("invalid pipeline yaml: %s", exc)
        return jsonify(valid=False, error="not valid YAML"), 400
    if not isinstance(doc, dict):
        return jsonify(valid=False, error="top level must be a mapping"), 400
    missing = [k for k in REQUIRED if k not in doc]
    if missing:
        return jsonify(valid=False, missing=missing), 400
    stages = doc.get("stages") or []
    return jsonify(valid=True, stages=[s.get("name") for s in stages if isinstance(s, dict)])


def load_defaults(path="pipeline.defaults.yml"):
    with open(path) as fh:
        return yaml.load(fh, Loader=yaml.SafeLoader)
