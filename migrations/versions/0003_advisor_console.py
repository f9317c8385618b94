"""advisor console: canned responses, sealed notes, handoff closures

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "canned_responses",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["staff.id"], name=op.f("fk_canned_responses_created_by_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_responses")),
    )
    op.create_index(
        "ix_canned_responses_language_title", "canned_responses", ["language", "title"],
        unique=False,
    )
    op.create_table(
        "conversation_notes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("ticket_id", sa.String(length=128), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text_sealed", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["staff.id"], name=op.f("fk_conversation_notes_author_id_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_notes")),
    )
    op.create_index(
        "ix_conversation_notes_pseudonym_at", "conversation_notes", ["pseudonym", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversation_notes_at"), "conversation_notes", ["at"], unique=False
    )
    op.create_table(
        "handoff_closures",
        sa.Column("ticket_id", sa.String(length=128), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("satisfaction", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["advisor_id"], ["staff.id"], name=op.f("fk_handoff_closures_advisor_id_staff")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_handoff_closures")),
    )
    op.create_index(
        "ix_handoff_closures_closed_at", "handoff_closures", ["closed_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_handoff_closures_closed_at", table_name="handoff_closures")
    op.drop_table("handoff_closures")
    op.drop_index(op.f("ix_conversation_notes_at"), table_name="conversation_notes")
    op.drop_index("ix_conversation_notes_pseudonym_at", table_name="conversation_notes")
    op.drop_table("conversation_notes")
    op.drop_index("ix_canned_responses_language_title", table_name="canned_responses")
    op.drop_table("canned_responses")
