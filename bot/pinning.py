"""Keep aiogram's parametrised response models alive for the life of the process.

aiogram validates every Bot API answer with ``Response[method.__returning__]``.
pydantic caches parametrised generic models in a *weak* dictionary, so after
a garbage collection ``Response[Message]`` is rebuilt from scratch — about
10 ms of schema building, seen dozens of times per thousand updates in the
profile of bench/bot_pipeline.py. Holding one strong reference per method the
bot and the sender call keeps the cached classes, and the rebuilds, away.
"""

from __future__ import annotations

from typing import Any

_PINNED: list[Any] = []


def pin_response_models() -> None:
    """Build (once) and hold ``Response[T]`` for every Bot API method this bot calls."""
    if _PINNED:
        return
    from aiogram import methods
    from aiogram.methods import Response

    used = (
        methods.SendMessage, methods.AnswerCallbackQuery, methods.EditMessageText,
        methods.EditMessageReplyMarkup, methods.DeleteMessage, methods.DeleteMessages,
        methods.GetUpdates, methods.GetMe, methods.SetMyCommands, methods.SetWebhook,
        methods.DeleteWebhook, methods.GetChat, methods.CreateForumTopic,
    )
    _PINNED.extend(Response[method.__returning__] for method in used)  # type: ignore[name-defined]
