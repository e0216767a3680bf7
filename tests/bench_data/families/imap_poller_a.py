import email
import imaplib
import os
import ssl

IMAP_HOST = os.environ.get("IMAP_HOST", "imap.mail.example")
MAILBOX = "INBOX"


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    return ctx


def unread_subjects(limit=20):
    client = imaplib.IMAP4_SSL(IMAP_HOST, 993, ssl_context=tls_context())
    client.login(os.environ["IMAP_USER"], os.environ["IMAP_PASSWORD"])
    try:
        client.select(MAILBOX, readonly=True)
        _typ, data = client.search(None, "UNSEEN")
        ids = data[0].split()[-limit:]
        subjects = []
        for msg_id in ids:
            _typ, parts = client.fetch(msg_id, "(RFC822.HEADER)")
            msg = email.message_from_bytes(parts[0][1])
            subjects.append(msg.get("Subject", ""))
        return subjects
    finally:
        client.logout()
