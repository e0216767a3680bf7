"""Reads feature flags from an environment variable like FLAGS="{'beta': True}"."""
import ast
import os


def load_flags() -> dict[str, bool]:
    raw = os.environ.get("FLAGS", "{}")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): bool(v) for k, v in value.items()}
