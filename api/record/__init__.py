"""The conversation record: the bot's conversation events become PostgreSQL rows.

:mod:`api.record.store` turns a batch of events into one transaction of Core
statements, :mod:`api.record.consumer` reads them from the events stream with
a consumer group, :mod:`api.record.retention` deletes transcripts after the
retention period. Message text arrives sealed and is stored sealed.
"""
