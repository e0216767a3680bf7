def build(field, snippet):
    namespace = {}
    exec(f"def setter(obj, value):\n    obj.{field} = value", namespace)  # ruleid: PW121
    exec(snippet)  # ruleid: PW121
    exec("import math", namespace)  # ok: PW121
    return namespace
