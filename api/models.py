"""The durable record of the knowledge service: flows and their versions, staff, audit log.

Typed SQLAlchemy 2 models (``Mapped[...]``). Versions are immutable: an edit
adds a row, publishing moves the flow's ``published_version`` pointer, and a
rollback moves it back. The manifest is versioned the same way (the newest
row is the one in force). ``migrations/`` takes ``Base.metadata`` from here.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    false,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Role(StrEnum):
    """What a token may do. ``service`` is for machines (bot, Rasa actions): bundle and handoffs."""

    admin = "admin"
    editor = "editor"
    advisor = "advisor"
    service = "service"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        dt.datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


def _now() -> Any:
    return func.now()


class Staff(Base):
    """A person (or machine) holding one personal token; only the token's hash is stored."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, create_constraint=True, name="role")
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    revoked_at: Mapped[dt.datetime | None]


class FlowRecord(Base):
    """A flow's identity and which of its versions the bot sees (``published_version``)."""

    __tablename__ = "flows"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    published_version: Mapped[int | None]
    published_at: Mapped[dt.datetime | None]


class FlowVersion(Base):
    """One immutable revision of a flow document, with its author and its approval."""

    __tablename__ = "flow_versions"
    __table_args__ = (
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_flow_versions_flow_hash", "flow_id", "content_hash"),
    )

    flow_id: Mapped[str] = mapped_column(ForeignKey("flows.id"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[dict[str, Any]]
    #: sha256 of the canonical JSON: import is idempotent by it.
    content_hash: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    note: Mapped[str | None] = mapped_column(String(500))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[dt.datetime | None]
    #: When this version last became the published one (rollback goes to such versions).
    last_published_at: Mapped[dt.datetime | None]

    author: Mapped[Staff | None] = relationship(foreign_keys=[author_id], lazy="joined")
    approved_by: Mapped[Staff | None] = relationship(foreign_keys=[approved_by_id], lazy="joined")


class ManifestVersion(Base):
    """One revision of the pack manifest; the highest number is in force."""

    __tablename__ = "manifest_versions"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]]
    content_hash: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    created_at: Mapped[dt.datetime] = mapped_column(server_default=_now())
    note: Mapped[str | None] = mapped_column(String(500))

    author: Mapped[Staff | None] = relationship(lazy="joined")


class AuditEntry(Base):
    """Who did what to which flow/version, when. Never message text, never a person seeking help."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_flow", "flow_id", "id"),
        Index("ix_audit_log_actor", "actor_id", "id"),
        Index("ix_audit_log_action", "action", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(server_default=_now(), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    #: Kept beside the id so the log reads on its own ("system" for the CLI without a staff).
    actor_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(32))
    flow_id: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# Conversation record (api/recorder.py) -------------------------------------------
# People are known only by their pseudonym (a keyed hash), message text only
# sealed: the key that opens it is HOTLINE_SECRET_KEY, never in the database.
# Every table with a ``pseudonym`` column is emptied for that person by an erase.


class ConversationStatus(StrEnum):
    """Where the conversation stands; the recorder opens them, handoff closing comes later."""

    open = "open"
    closed = "closed"


class Conversation(Base):
    """One person's conversation: channel, language, intents seen, first and last event."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_last_event_at", "last_event_at"),)

    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))
    #: Distinct intents in the order first seen.
    intents: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default="{}")
    status: Mapped[ConversationStatus] = mapped_column(
        Enum(ConversationStatus, native_enum=False, length=16, create_constraint=True,
             name="conversation_status"),
        server_default=ConversationStatus.open.value,
    )
    started_at: Mapped[dt.datetime]
    last_event_at: Mapped[dt.datetime]
    recorded_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class ConversationMessage(Base):
    """One message in or out, its text sealed; ``event_id`` makes recording idempotent."""

    __tablename__ = "conversation_messages"
    __table_args__ = (
        Index("ix_conversation_messages_pseudonym_at", "pseudonym", "at"),
        Index("ix_conversation_messages_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), unique=True)
    pseudonym: Mapped[str] = mapped_column(
        ForeignKey("conversations.pseudonym", ondelete="CASCADE")
    )
    direction: Mapped[str] = mapped_column(String(16))
    at: Mapped[dt.datetime]
    language: Mapped[str | None] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64))
    #: As the bot sealed it (AES-GCM, purpose "text", context = pseudonym); None: no text.
    text_sealed: Mapped[str | None] = mapped_column(Text)
    protected: Mapped[bool] = mapped_column(Boolean, server_default=false())
    recorded_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


# Advisor console (api/console/) -----------------------------------------------------


class CannedResponse(Base):
    """A ready-made answer advisors insert and edit before sending; admins maintain them."""

    __tablename__ = "canned_responses"
    __table_args__ = (Index("ix_canned_responses_language_title", "language", "title"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=_now())


class ConversationNote(Base):
    """An advisor's private note on a conversation, sealed like messages; erased with them.

    No foreign key to ``conversations``: a note may be written before the
    recorder has stored the person's first message. The ``pseudonym`` column
    puts it under the recorder's erase.
    """

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_pseudonym_at", "pseudonym", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[str] = mapped_column(String(128))
    author_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    #: Sealed (purpose "text", context = pseudonym), like message text.
    text_sealed: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(server_default=_now(), index=True)

    author: Mapped[Staff] = relationship(lazy="joined")


class HandoffClosure(Base):
    """How one handoff ended, for statistics: deliberately nothing that names the person."""

    __tablename__ = "handoff_closures"
    __table_args__ = (Index("ix_handoff_closures_closed_at", "closed_at"),)

    ticket_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    advisor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    language: Mapped[str] = mapped_column(String(16))
    priority: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]
    claimed_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime]
    #: The person's one-tap answer ("helped" / "not_helped"), when they gave one.
    satisfaction: Mapped[str | None] = mapped_column(String(16))
