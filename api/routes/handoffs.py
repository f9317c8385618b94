"""``POST /api/v1/handoffs``: put a conversation in the advisors' queue (Redis stream)."""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import APIRouter, Header, status

from api.crud.audit import record
from api.deps import AnyRoleDep, ResourcesDep, SessionDep
from api.models import Role
from api.routes.params import API_PREFIX
from api.schemas.audit import Action
from api.schemas.handoffs import HandoffAccepted, HandoffCreate
from handoff import keys

router = APIRouter(prefix=API_PREFIX, tags=["handoffs"])


@router.post("/handoffs", status_code=status.HTTP_202_ACCEPTED, response_model=HandoffAccepted)
async def open_handoff(
    body: HandoffCreate,
    principal: AnyRoleDep,
    resources: ResourcesDep,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None, Header(pattern=r"^[A-Za-z0-9_-]{8,100}$", max_length=100)
    ] = None,
) -> HandoffAccepted:
    """Queue a ticket. Retrying with the same ``Idempotency-Key`` yields the same ``ticket_id``,
    and the queue drops a ticket id it has seen. Keys are scoped to the caller, so one
    token cannot suppress another's tickets by reusing its keys.
    """
    ticket_id = f"{principal.id}-{idempotency_key}" if idempotency_key else uuid.uuid4().hex
    await resources.redis.xadd(keys.HANDOFF_STREAM, {
        "ticket_id": ticket_id,
        "conversation": body.conversation,
        "language": body.language.value,
        "intent": body.intent or "",
        "reason": body.reason,
        "priority": body.priority.value,
        "source": principal.role.value,
        "created_at": f"{time.time():.3f}",
    })
    if principal.role is not Role.service:
        # Staff writes are audited; the conversation is not named (it identifies a person).
        record(session, actor=principal, action=Action.handoff_open,
               detail={"priority": body.priority.value})
        await session.commit()
    return HandoffAccepted(ticket_id=ticket_id)
