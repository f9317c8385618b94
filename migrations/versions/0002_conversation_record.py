"""conversation record: conversations and their sealed messages

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 23:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column(
            "intents",
            postgresql.ARRAY(sa.String(length=64)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "closed",
                name="conversation_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            server_default="open",
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("pseudonym", name=op.f("pk_conversations")),
    )
    op.create_index(
        "ix_conversations_last_event_at", "conversations", ["last_event_at"], unique=False
    )
    op.create_table(
        "conversation_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("text_sealed", sa.Text(), nullable=True),
        sa.Column("protected", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pseudonym"],
            ["conversations.pseudonym"],
            name=op.f("fk_conversation_messages_pseudonym_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_messages")),
        sa.UniqueConstraint("event_id", name=op.f("uq_conversation_messages_event_id")),
    )
    op.create_index(
        "ix_conversation_messages_pseudonym_at",
        "conversation_messages",
        ["pseudonym", "at"],
        unique=False,
    )
    op.create_index(
        "ix_conversation_messages_at", "conversation_messages", ["at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_conversation_messages_at", table_name="conversation_messages")
    op.drop_index("ix_conversation_messages_pseudonym_at", table_name="conversation_messages")
    op.drop_table("conversation_messages")
    op.drop_index("ix_conversations_last_event_at", table_name="conversations")
    op.drop_table("conversations")
