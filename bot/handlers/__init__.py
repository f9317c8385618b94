"""Handlers, one router per module; :func:`bot.app.build_dispatcher` includes them in order.

groups (anything outside a private chat) → commands → language → privacy →
buttons → text → media (what the bot does not read, edits) → fallback (the
catch-all, last).
"""
