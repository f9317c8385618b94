"""Settings from the environment (and ``.env``), one class per deployable.

The names are a contract (ARCHITECTURE.md): ``BOT_TOKEN``, ``TELEGRAM_API_URL``,
``WEBHOOK_URL``, ``WEBHOOK_SECRET``, ``DATABASE_URL``, ``REDIS_URL``,
``API_URL``, ``HOTLINE_DATA_DIR``, ``HOTLINE_SECRET_KEY``. An unset
``DATABASE_URL`` / ``REDIS_URL`` means "start the embedded server"; the
composition root (``hotline.cli``) fills them in before building resources,
so the rest of the code only ever sees real URLs.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Values that must never protect real people's data.
PLACEHOLDER_SECRETS = frozenset(
    {"", "change-me", "changeme", "secret", "CHANGE_ME", "please-change", "xxx", "test"}
)
MIN_SECRET_LENGTH = 32
SECRET_FILE = "secret.key"


class InsecureSecretError(RuntimeError):
    """Raised at start-up when a production deployment has no real secret key."""


class CommonSettings(BaseSettings):
    """What every deployable reads: where the data lives and the secret key."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    data_dir: Path = Field(default=Path("./.hotline"), alias="HOTLINE_DATA_DIR")
    secret_key: SecretStr = Field(default=SecretStr(""), alias="HOTLINE_SECRET_KEY")
    log_level: str = Field(default="INFO", alias="HOTLINE_LOG_LEVEL")
    #: How people are told who answers them ("Hotline advisor:"), never an advisor's name.
    service_name: str = Field(default="Hotline", min_length=1, max_length=64,
                              alias="HOTLINE_SERVICE_NAME")
    #: When advisors are on duty, e.g. "mon-fri 09:00-21:00; sat,sun 10:00-16:00"
    #: (handoff/hours.py); empty = always.
    service_hours: str = Field(default="", max_length=1000, alias="HOTLINE_SERVICE_HOURS")
    #: The IANA time zone of the service hours (named to the person with the time).
    service_tz: str = Field(default="UTC", max_length=64, alias="HOTLINE_SERVICE_TZ")

    @property
    def embedded(self) -> bool:
        """True when at least one server is embedded: a single-machine install."""
        return self.database_url is None or self.redis_url is None

    def ensure_secret(self) -> None:
        """Refuse placeholder secrets in production; in embedded mode keep one in the data dir.

        The secret keys the pseudonymous hashes and the encryption of message
        text: losing it makes stored transcripts unreadable, leaking it undoes
        the pseudonymisation. Hence no default that could reach production.
        """
        value = self.secret_key.get_secret_value()
        if value and value not in PLACEHOLDER_SECRETS and len(value) >= MIN_SECRET_LENGTH:
            return
        if not self.embedded:
            raise InsecureSecretError(
                "HOTLINE_SECRET_KEY is missing or a placeholder; set a random value of at least "
                f"{MIN_SECRET_LENGTH} characters (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        path = self.data_dir / SECRET_FILE
        if path.exists():
            value = path.read_text().strip()
        else:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            value = secrets.token_urlsafe(48)
            path.write_text(value + "\n")
            path.chmod(0o600)
        self.secret_key = SecretStr(value)


class ApiSettings(CommonSettings):
    """The knowledge service and the staff side."""

    host: str = Field(default="127.0.0.1", alias="API_HOST")
    port: int = Field(default=8000, alias="API_PORT")
    #: Publishing needs a second editor's approval (two-person rule for legal content).
    require_approval: bool = Field(default=True, alias="HOTLINE_REQUIRE_APPROVAL")
    #: Requests with a bigger body are refused with 413.
    max_body_bytes: int = Field(default=1_000_000, alias="HOTLINE_MAX_BODY_BYTES")
    #: Content older than this many days is flagged by validation.
    content_max_age_days: int = Field(default=180, alias="HOTLINE_CONTENT_MAX_AGE_DAYS")
    #: Transcripts are deleted after this many days.
    retention_days: int = Field(default=30, alias="HOTLINE_RETENTION_DAYS")
    #: Run the conversation recorder and the retention job in this process (off: tests, replicas).
    record_events: bool = Field(default=True, alias="HOTLINE_RECORD_EVENTS")
    #: Run the handoff queue's workers in this process: ticket intake, overdue alerts, the
    #: reaper of vanished advisors' chats, closures and satisfaction (safe on every replica;
    #: off: tests that drive the queue themselves).
    run_queue: bool = Field(default=True, alias="HOTLINE_RUN_QUEUE")


class BotSettings(CommonSettings):
    """The gateway for people seeking help (Telegram and the web chat)."""

    bot_token: SecretStr | None = Field(default=None, alias="BOT_TOKEN")
    telegram_api_url: str = Field(default="https://api.telegram.org", alias="TELEGRAM_API_URL")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    api_url: str = Field(default="http://127.0.0.1:8000", alias="API_URL")
    #: A ``service`` staff token the bot uses to read the bundle and open handoffs.
    api_token: SecretStr | None = Field(default=None, alias="HOTLINE_API_TOKEN")
    #: Telegram's global limit, shared by all replicas.
    global_rate: float = Field(default=30.0, alias="HOTLINE_GLOBAL_RATE")
    per_chat_rate: float = Field(default=1.0, alias="HOTLINE_PER_CHAT_RATE")
    #: While queued, at most one "you are waiting" answer per this many seconds.
    queue_note_every: float = Field(default=300.0, ge=0, alias="HOTLINE_QUEUE_NOTE_EVERY")
    #: How often the queue notifier sweeps without a queue change (seconds).
    queue_sweep_every: float = Field(default=60.0, gt=0, alias="HOTLINE_QUEUE_SWEEP_EVERY")
    #: Place-in-queue updates sent per second at most, out of Telegram's ~30 for the whole
    #: bot: news for a thousand waiting people must not hold up an advisor's reply.
    queue_notes_per_second: float = Field(default=5.0, gt=0, le=30,
                                          alias="HOTLINE_QUEUE_NOTES_PER_SECOND")


class ActionsSettings(CommonSettings):
    """The rasa-sdk action server."""

    host: str = Field(default="127.0.0.1", alias="ACTIONS_HOST")
    port: int = Field(default=5055, alias="ACTIONS_PORT")
    api_url: str = Field(default="http://127.0.0.1:8000", alias="API_URL")
    api_token: SecretStr | None = Field(default=None, alias="HOTLINE_API_TOKEN")
