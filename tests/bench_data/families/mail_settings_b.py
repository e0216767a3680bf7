import os
import smtplib
import ssl
from email.message import EmailMessage


class MailConfig:
    MAIL_SERVER = "smtp.mailhost.example"
    MAIL_PORT = 465
    MAIL_USERNAME = "notifications@shop.example"
    MAIL_PASSWORD = ""
    MAIL_SENDER = "Shop <notifications@shop.example>"


def load_config():
    cfg = MailConfig()
    cfg.MAIL_PASSWORD = os.environ["MAIL_PASSWORD"]
    return cfg


def send_receipt(to_addr, order_id, total):
    cfg = load_config()
    msg = EmailMessage()
    msg["From"] = cfg.MAIL_SENDER
    msg["To"] = to_addr
    msg["Subject"] = f"Receipt for order #{order_id}"
    msg.set_content(f"Thanks for your order. Total charged: {total:.2f} EUR")
    context = ssl.create_default_context()
    with smtplib.SMTP_SSL(cfg.MAIL_SERVER, cfg.MAIL_PORT, context=context) as smtp:
        smtp.login(cfg.MAIL_USERNAME, cfg.MAIL_PASSWORD)
        smtp.send_message(msg)
