import smtplib
import ssl
from email.message import EmailMessage


def send_alert(subject: str, body: str) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = "alerts@example.com"
    msg["To"] = "ops@example.com"
    msg.set_content(body)
    with smtplib.SMTP("mail.example.com", 587) as smtp:
        smtp.starttls(context=ctx)
        smtp.send_message(msg)
