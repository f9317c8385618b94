"""The action server: rasa-sdk's Sanic app with our actions, guarded, on loopback by default.

``create_action_app`` builds the app (tests inject an HTTP client that reaches
a real api in-process); ``run_action_server`` serves it in one process. We do
not use ``rasa_sdk.endpoint.run``: it binds 0.0.0.0 unless ``SANIC_HOST`` says
otherwise and re-creates the app in worker processes, where a client built at
start-up could not follow. One process is enough — the actions wait on the
api, not on the CPU — and more replicas can run side by side, since all
per-conversation state travels in the tracker.
"""

from __future__ import annotations

import logging
from typing import Final

import httpx
from rasa_sdk.endpoint import create_app
from rasa_sdk.executor import ActionExecutor
from sanic import Sanic

from actions import webhook_guard
from actions.api_client import DEFAULT_TIMEOUT, HotlineApi
from actions.flow_source import DEFAULT_MAX_AGE, FlowSource
from actions.hotline_actions import ActionHotlineFlow, ActionHotlineHandoff
from actions.services import Services
from hotline.crypto import Pseudonymizer
from hotline.settings import ActionsSettings

log = logging.getLogger(__name__)

#: rasa-sdk's own keep-alive: the Rasa server reuses its connection between turns.
KEEP_ALIVE_SECONDS: Final = 120


def build_services(
    settings: ActionsSettings, *, http_client: httpx.AsyncClient | None = None,
    bundle_max_age: float = DEFAULT_MAX_AGE,
) -> Services:
    """What the actions share; the secret key must already be resolved (``ensure_secret``)."""
    token = settings.api_token.get_secret_value() if settings.api_token else None
    api = HotlineApi(settings.api_url, token, http_client)
    return Services(
        api=api,
        flows=FlowSource(api, max_age=bundle_max_age),
        pseudonymize=Pseudonymizer(settings.secret_key.get_secret_value()),
    )


def create_action_app(
    settings: ActionsSettings, *, http_client: httpx.AsyncClient | None = None,
    bundle_max_age: float = DEFAULT_MAX_AGE,
    max_body_bytes: int = webhook_guard.DEFAULT_MAX_BODY_BYTES,
) -> Sanic:
    """rasa-sdk's app serving ``action_hotline_flow`` and ``action_hotline_handoff``.

    An ``http_client`` given here is used as it is and not closed; without one,
    the app opens its own when the server starts and closes it when it stops.
    """
    if not settings.secret_key.get_secret_value():
        raise ValueError("HOTLINE_SECRET_KEY is empty: call settings.ensure_secret() first")
    services = build_services(settings, http_client=http_client, bundle_max_age=bundle_max_age)
    executor = ActionExecutor()
    for action in (ActionHotlineFlow(services), ActionHotlineHandoff(services)):
        executor.register_action(action)
    # No browser calls an action server: cross-origin requests stay disabled.
    app = create_app(executor, cors_origins="")
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    app.config.FALLBACK_ERROR_FORMAT = "json"
    webhook_guard.install(app, list(executor.actions), max_body_bytes=max_body_bytes)
    if http_client is None:

        async def open_client(_: Sanic) -> None:
            services.api.attach(httpx.AsyncClient(timeout=DEFAULT_TIMEOUT))

        async def close_client(_: Sanic) -> None:
            client = services.api.detach()
            if client is not None:
                await client.aclose()

        app.register_listener(open_client, "before_server_start")
        app.register_listener(close_client, "after_server_stop")
    return app


def run_action_server(settings: ActionsSettings, host: str | None = None,
                      port: int | None = None) -> None:
    """Serve the actions until SIGINT/SIGTERM; loopback unless ``host`` says otherwise."""
    settings.ensure_secret()
    app = create_action_app(settings)
    host = host or settings.host
    port = port or settings.port
    log.info("action server on http://%s:%s/webhook (api %s)", host, port, settings.api_url)
    app.run(host=host, port=port, single_process=True, access_log=False, motd=False,
            auto_reload=False)
