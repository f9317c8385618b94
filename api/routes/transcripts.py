"""A person's transcript, for admins (advisors get theirs with the console): text stays sealed.

The api never opens message text: the reader holds the key. Reads are not
logged with the pseudonym.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy import select

from api.deps import AdminDep, SessionDep
from api.errors import NotFound
from api.models import Conversation, ConversationMessage
from api.routes.params import API_PREFIX
from api.schemas.transcripts import Transcript, TranscriptMessage

router = APIRouter(prefix=API_PREFIX, tags=["transcripts"])

PseudonymPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", max_length=64, description="A pseudonym")
]


@router.get("/conversations/{pseudonym}/transcript", response_model=Transcript)
async def read_transcript(pseudonym: PseudonymPath, session: SessionDep, _: AdminDep
                          ) -> Transcript:
    conversation = await session.get(Conversation, pseudonym)
    if conversation is None:
        raise NotFound("no conversation recorded under this pseudonym")
    rows = await session.scalars(
        select(ConversationMessage).where(ConversationMessage.pseudonym == pseudonym)
        .order_by(ConversationMessage.at, ConversationMessage.id))
    return Transcript(
        pseudonym=conversation.pseudonym, channel=conversation.channel,
        language=conversation.language, intents=list(conversation.intents),
        status=conversation.status, started_at=conversation.started_at,
        last_event_at=conversation.last_event_at,
        messages=[TranscriptMessage.model_validate(r) for r in rows],
    )
