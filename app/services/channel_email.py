"""The `email` channel: sends an outbox delivery to the person's address over SMTP_URL
(app/services/mail.py).

Email is on when the email plugin (plugins/email) is loaded and SMTP_URL is set: the plugin is
the admin's switch and documents the settings; this module is the sender the worker calls.
`notify()` queues no email for a person without an address, or while email is off.
"""

from app.services import mail
from app.services.channels import DeliveryFailed, sender
from app.services.outbox import message_text, recipient


@sender("email")
def send(delivery) -> None:
    user = recipient(delivery)
    address = (user.email or "").strip() if user is not None else ""
    if not address:
        raise DeliveryFailed("the person has no email address", retry=False)
    if not mail.configured():
        raise DeliveryFailed("SMTP_URL is not set")
    subject, body = message_text(delivery)
    mail.send_email(address, subject, body)
