"""Update middlewares, in the order :func:`bot.app.build_dispatcher` installs them.

identity (who, as a pseudonym) → gate (duplicate updates, flood control, the
conversation record: one Redis call) → language (explicit choice, detected
language, interface language).
"""
