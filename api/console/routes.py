"""The console's HTTP edge (CONSOLE_SPEC.md): thin handlers over :class:`ConsoleService`.

Ticket ids in paths are not pattern-checked here: a forged id is an unknown
ticket (404), which the queue decides.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status

from api.console import canned
from api.console.auth import (
    CONSOLE_ROLES,
    ConsoleAdminDep,
    ConsoleDep,
    check_csrf,
    clear_cookie,
    credentials,
    set_cookie,
)
from api.console.deps import ServiceDep
from api.console.schemas import (
    CannedIn,
    CannedOut,
    CloseIn,
    Me,
    Note,
    NoteIn,
    Outcome,
    PresenceIn,
    PresenceOut,
    QueueView,
    ReplyAccepted,
    ReplyIn,
    SessionCreate,
    TicketDetail,
    TicketView,
    TransferIn,
)
from api.crud.audit import record
from api.deps import ResourcesDep, SessionDep
from api.errors import Forbidden, Unauthenticated
from api.routes.params import API_PREFIX
from api.schemas.audit import Action
from api.schemas.common import MAX_INT
from handoff.tickets import Language

router = APIRouter(prefix=API_PREFIX + "/console", tags=["console"])
canned_router = APIRouter(prefix=API_PREFIX + "/canned", tags=["console"])

TicketPath = Annotated[str, Path(max_length=200, description="A ticket id")]
CannedPath = Annotated[int, Path(ge=1, le=MAX_INT, description="A canned answer id")]
NO_CONTENT = status.HTTP_204_NO_CONTENT


# Session ---------------------------------------------------------------------------


@router.post("/session", status_code=NO_CONTENT, response_class=Response)
async def log_in(body: SessionCreate, request: Request, resources: ResourcesDep,
                 session: SessionDep) -> Response:
    """Exchange a staff token for the console cookie (advisors and admins)."""
    principal = await resources.tokens.resolve(body.token)
    if principal is None:
        raise Unauthenticated("unknown or revoked token")
    if principal.role not in CONSOLE_ROLES:
        raise Forbidden("the console is for advisors and admins")
    record(session, actor=principal, action=Action.console_login)
    await session.commit()
    response = Response(status_code=NO_CONTENT)
    set_cookie(response, request, body.token)
    return response


@router.delete("/session", status_code=NO_CONTENT, response_class=Response)
async def log_out(request: Request, resources: ResourcesDep, service: ServiceDep,
                  session: SessionDep) -> Response:
    """Clear the cookie and sign off (held chats back to the queue). A stale cookie is
    cleared too."""
    found = credentials(request)
    if found is None:
        raise Unauthenticated("not logged in")
    principal = await resources.tokens.resolve(found[0])
    if principal is not None and principal.role in CONSOLE_ROLES:
        check_csrf(request, found[1])
        await service.go_offline(session, principal, action=Action.console_logout)
    response = Response(status_code=NO_CONTENT)
    clear_cookie(response, request)
    return response


# Presence and queue -------------------------------------------------------------------


@router.get("/me", response_model=Me)
async def me(principal: ConsoleDep, service: ServiceDep) -> Me:
    return await service.me(principal)


@router.put("/presence", response_model=PresenceOut)
async def go_online(body: PresenceIn, principal: ConsoleDep, service: ServiceDep,
                    session: SessionDep) -> PresenceOut:
    """Go on duty in these languages for up to ``capacity`` chats; the socket keeps it alive."""
    return await service.go_online(session, principal, body)


@router.delete("/presence", status_code=NO_CONTENT, response_class=Response)
async def go_offline(principal: ConsoleDep, service: ServiceDep, session: SessionDep
                     ) -> Response:
    await service.go_offline(session, principal)
    return Response(status_code=NO_CONTENT)


@router.get("/queue", response_model=QueueView)
async def queue(principal: ConsoleDep, service: ServiceDep) -> QueueView:
    return await service.queue_view(principal)


@router.get("/outcomes", response_model=list[Outcome])
async def outcomes(_: ConsoleDep) -> list[Outcome]:
    return list(Outcome)


# Tickets ---------------------------------------------------------------------------


@router.post("/tickets/claim-next", response_model=TicketView,
             responses={204: {"description": "Nothing waits for this advisor"}})
async def claim_next(principal: ConsoleDep, service: ServiceDep, session: SessionDep
                     ) -> TicketView | Response:
    view = await service.claim_next(session, principal)
    return view if view is not None else Response(status_code=NO_CONTENT)


@router.post("/tickets/{ticket_id}/claim", response_model=TicketView)
async def claim(ticket_id: TicketPath, principal: ConsoleDep, service: ServiceDep,
                session: SessionDep) -> TicketView:
    return await service.claim(session, principal, ticket_id)


@router.get("/tickets/{ticket_id}", response_model=TicketDetail)
async def ticket(ticket_id: TicketPath, principal: ConsoleDep, service: ServiceDep,
                 session: SessionDep) -> TicketDetail:
    return await service.detail(session, principal, ticket_id)


@router.post("/tickets/{ticket_id}/reply", status_code=status.HTTP_202_ACCEPTED,
             response_model=ReplyAccepted)
async def reply(ticket_id: TicketPath, body: ReplyIn, principal: ConsoleDep,
                service: ServiceDep, session: SessionDep) -> ReplyAccepted:
    """Queued for the bot to deliver; it appears in the transcript once recorded."""
    return ReplyAccepted(id=await service.reply(session, principal, ticket_id, body.text))


@router.post("/tickets/{ticket_id}/notes", status_code=status.HTTP_201_CREATED,
             response_model=Note)
async def add_note(ticket_id: TicketPath, body: NoteIn, principal: ConsoleDep,
                   service: ServiceDep, session: SessionDep) -> Note:
    return await service.add_note(session, principal, ticket_id, body.text)


@router.post("/tickets/{ticket_id}/transfer", response_model=TicketView)
async def transfer(ticket_id: TicketPath, body: TransferIn, principal: ConsoleDep,
                   service: ServiceDep, session: SessionDep) -> TicketView:
    return await service.transfer(session, principal, ticket_id, body)


@router.post("/tickets/{ticket_id}/hand-back", status_code=NO_CONTENT,
             response_class=Response)
async def hand_back(ticket_id: TicketPath, principal: ConsoleDep, service: ServiceDep,
                    session: SessionDep) -> Response:
    await service.hand_back(session, principal, ticket_id)
    return Response(status_code=NO_CONTENT)


@router.post("/tickets/{ticket_id}/close", status_code=NO_CONTENT, response_class=Response)
async def close(ticket_id: TicketPath, body: CloseIn, principal: ConsoleDep,
                service: ServiceDep, session: SessionDep) -> Response:
    await service.close(session, principal, ticket_id, body)
    return Response(status_code=NO_CONTENT)


# Canned answers --------------------------------------------------------------------


@router.get("/canned", response_model=list[CannedOut])
async def list_canned(_: ConsoleDep, session: SessionDep,
                      language: Annotated[Language | None, Query()] = None) -> list[CannedOut]:
    rows = await canned.list_canned(session, language=language.value if language else None)
    return [CannedOut.model_validate(r) for r in rows]


@canned_router.post("", status_code=status.HTTP_201_CREATED, response_model=CannedOut)
async def create_canned(body: CannedIn, principal: ConsoleAdminDep, session: SessionDep
                        ) -> CannedOut:
    return CannedOut.model_validate(await canned.create_canned(session, principal, body))


@canned_router.put("/{canned_id}", response_model=CannedOut)
async def update_canned(canned_id: CannedPath, body: CannedIn, principal: ConsoleAdminDep,
                        session: SessionDep) -> CannedOut:
    return CannedOut.model_validate(
        await canned.update_canned(session, principal, canned_id, body))


@canned_router.delete("/{canned_id}", status_code=NO_CONTENT, response_class=Response)
async def delete_canned(canned_id: CannedPath, principal: ConsoleAdminDep, session: SessionDep
                        ) -> Response:
    await canned.delete_canned(session, principal, canned_id)
    return Response(status_code=NO_CONTENT)
