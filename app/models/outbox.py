"""Notifications people see, delivered outside any request (issue 24).

- `Delivery`: the outbox. One row per message to send through one channel (an email, a Telegram
  or WhatsApp message, a webhook call, a plugin channel), written in the same transaction as the
  change that caused it, sent by `cergas worker` or `cergas tick`, retried with growing delays,
  and finally `dead` (the admin's dead-letter list, from which it can be sent again).
- `NotificationPreference`: what one person wants: which events through which channels, quiet
  hours, instant or a daily digest.
- `CardFollow`: someone follows a card (comments on it reach them), or explicitly does not
  (`following` false: the card's creator or assignee who unfollowed it).
- `ChannelLink`: a person's own address on a chat channel (a Telegram chat, a WhatsApp number),
  linked with a one-time code.
- `Webhook`: a URL an integration registered for a board's events (or every board's, by an
  admin), with the secret that signs each delivery.
- `ReminderSent`: a deadline reminder that went out (card, person, which reminder, which day):
  the periodic job sends each exactly once, whichever host runs it and however late.
"""

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.org import User, utcnow

DELIVERY_STATES = ("pending", "held", "sent", "dead")


class Delivery(db.Model):
    __tablename__ = "deliveries"
    __table_args__ = (
        # The worker's question: what is due now, oldest first.
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_webhook_id_created_at", "webhook_id", "created_at"),
        Index("ix_deliveries_user_id_state", "user_id", "state"),
        Index("ix_deliveries_notification_id", "notification_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What is sent: a notification (to its person), or a webhook's event.
    notification_id: Mapped[int | None] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE")
    )
    webhook_id: Mapped[int | None] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "email", "telegram", "whatsapp", "webhook", "plugin:<name>" (app/services/channels.py).
    channel: Mapped[str] = mapped_column(String(60))
    # A webhook event's id (sent as X-Cergas-Event-Id: receivers de-duplicate on it).
    event_id: Mapped[str | None] = mapped_column(String(64))
    # What the channel needs beyond the notification: a webhook's JSON body, a digest's items.
    payload: Mapped[dict | None] = mapped_column(JSON)
    # pending: to send at next_attempt_at; held: waits for the person's digest; sent; dead.
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A worker that claimed the row and until when (another takes it over after that).
    locked_by: Mapped[str | None] = mapped_column(String(64))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # A webhook's answer: HTTP status and the start of the body.
    last_status: Mapped[int | None]
    last_answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    notification = relationship("Notification")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class NotificationPreference(db.Model):
    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # {"events": {event: [channel, ...]}, "quiet": {"start": "21:00", "end": "06:00",
    #  "holidays": true}, "digest": "instant" | "daily", "digest_hour": 7, "unit_digest": bool}
    # (app/services/notification_preferences.py reads it with its defaults).
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardFollow(db.Model):
    __tablename__ = "card_follows"
    __table_args__ = (Index("ix_card_follows_card_id", "card_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True
    )
    following: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChannelLink(db.Model):
    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("user_id", "channel", name="uq_channel_links_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # The Telegram chat id or the WhatsApp number (E.164), once linked.
    address: Mapped[str | None] = mapped_column(String(200))
    verified_at: Mapped[datetime | None]
    # The one-time code that links it (sent to the bot, or typed back), and until when it works.
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    code_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(db.Model):
    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_board_id", "board_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: every board (registered by an admin).
    board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    url: Mapped[str] = mapped_column(String(500))
    # The events it wants ("card.created", "card.moved", ...: app/services/webhooks.py).
    events: Mapped[list] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSent(db.Model):
    __tablename__ = "reminders_sent"

    card_id: Mapped[int] = mapped_column(
        ForeignKey("cards.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # "deadline_tomorrow", "deadline_today", "deadline_passed"
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The card's due date the reminder was about (a new deadline gets its own reminders).
    due_date: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


__all__ = [
    "DELIVERY_STATES",
    "CardFollow",
    "ChannelLink",
    "Delivery",
    "NotificationPreference",
    "ReminderSent",
    "Webhook",
]
