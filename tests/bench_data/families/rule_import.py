import logging

import yaml
from flask import Flask, jsonify, request

app = Flask(__name__)
log = logging.getLogger("rules")


class RuleImporter:
    def __init__(self, store):
        self.store = store

    def parse(self, text):
        return yaml.load(text, Loader=yaml.Loader)

    def import_text(self, text):
        doc = self.parse(text) or {}
        rules = doc.get("rules", []) if isinstance(doc, dict) else []
        for rule in rules:
            self.store.append(rule)
        return len(rules)


importer = RuleImporter(store=[])


@app.post("/rules/import")
def import_rules():
    count = importer.import_text(request.get_data(as_text=True))
    log.info("imported %d alert rules", count)
    return jsonify(imported=count)
