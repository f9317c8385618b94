"""The advisor console's backend: session cookie, queue, chats, notes, canned answers, live socket.

:mod:`api.console.views` reads what consoles show and :mod:`api.console.service`
acts, both on top of the shared handoff contracts (:class:`handoff.queue.HandoffQueue`,
:class:`handoff.advisors.Advisors`, :class:`handoff.watch.QueueWatch`);
:mod:`api.console.routes` and :mod:`api.console.socket` are the HTTP and
WebSocket edges, :mod:`api.console.live` the hub that fans Redis out to the
sockets, :mod:`api.console.workers` the background loops the lifespan runs.
The pages (``pages.py``, ``templates/``, ``static/``) only talk to these endpoints.
"""
