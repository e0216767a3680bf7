"""Lets tenants customise their notification text with {placeholders}."""
from dataclasses import dataclass


@dataclass
class Order:
    id: int
    customer: str
    total: float


class Config:
    SECRET_KEY = "set-at-startup"
    SMTP_PASSWORD = "set-at-startup"


config = Config()


def render_notification(tenant_template: str, order: Order) -> str:
    return tenant_template.format(order=order, config=config)
