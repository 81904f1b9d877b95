"""Messages sent to the society with the contact form, and the staff's replies to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.core.db import Base, utcnow


class ContactMessage(Base):
    """One message from the form. Linked to its sender by email address only, never to an account."""

    __tablename__ = "contact_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    consented_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # Shared by the staff: the first colleague to open a message marks it read for everyone.
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    replies: Mapped[list[ContactReply]] = relationship(
        back_populates="contact_message", order_by="ContactReply.id", passive_deletes=True
    )

    @property
    def is_handled(self) -> bool:
        return self.handled_at is not None


class ContactReply(Base):
    """A staff member's answer to a message, as it was emailed to the sender."""

    __tablename__ = "contact_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("contact_message.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    contact_message: Mapped[ContactMessage] = relationship(back_populates="replies")
    author: Mapped[User | None] = relationship()
