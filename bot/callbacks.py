"""Telegram callback data: aiogram CallbackData factories, one per kind of button.

``ActionCb`` carries an engine action compacted by :mod:`bot.refs`
(``a:o:Xk3_9Q:p0Lr2A:1``, about 20 of Telegram's 64 bytes). Data that does
not parse matches no factory's filter and reaches the catch-all callback
handler, which feeds the engine a forged action — a polite "please choose
again", never an exception.
"""

from __future__ import annotations

from functools import lru_cache

from aiogram.filters.callback_data import CallbackData

from bot.refs import Compact, Refs
from flows.outcome import Action, ActionKind
from flows.schema import Lang


class ActionCb(CallbackData, prefix="a"):
    """An engine action: kind, flow reference, step reference, option index."""

    k: ActionKind
    f: str = ""
    s: str = ""
    i: int | None = None

    @classmethod
    def of(cls, action: Action) -> str:
        """The callback data of a button doing ``action`` (cached: a menu repeats its buttons,
        and building a pydantic model per button per reply showed in the profile)."""
        return _packed(action)

    def action(self, refs: Refs) -> Action:
        return refs.expand(Compact(self.k.value, self.f, self.s, self.i))


@lru_cache(maxsize=8192)
def _packed(action: Action) -> str:
    k, f, s, i = Refs.compact(action)
    return ActionCb(k=ActionKind(k), f=f, s=s, i=i).pack()


class LanguageCb(CallbackData, prefix="l"):
    lang: Lang


class AutoDeleteCb(CallbackData, prefix="d"):
    hours: int


class ForgetCb(CallbackData, prefix="x"):
    confirm: bool


class HandoffCb(CallbackData, prefix="h"):
    """The person's own moves around the queue: ``withdraw`` (the button under a queue note),
    ``leave`` (confirmed /start or /menu while queued or held; ``then`` is that command),
    ``stay`` (not confirmed)."""

    a: str
    then: str = ""


class SurveyCb(CallbackData, prefix="s"):
    """The closing question: ticket id, ``y``/``n``, and a MAC binding both to the person's
    pseudonym, so nobody can answer for someone else's ticket (bot/queueing.py)."""

    t: str
    v: str
    m: str
