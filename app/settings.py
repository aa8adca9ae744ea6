"""Configuration from environment variables (prefix MEDGRAPH_, except DATABASE_URL) and .env.

Every setting is documented in the README with its default. Secrets have development
defaults so a fresh clone runs; `check_production()` refuses them when
MEDGRAPH_ENV=production.
"""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, NonNegativeInt, PositiveFloat, PositiveInt
from pydantic_settings import BaseSettings, SettingsConfigDict

# The example operations front-end teams copy: registered as persisted documents by default.
OPERATIONS_DIR = Path(__file__).resolve().parent.parent / "graphql" / "operations"
DEV_JWT_SECRET = "dev-only-jwt-secret-change-me-0123456789abcdef"
# 32 bytes, base64: the AES-256-GCM key for PHI and the blind-index key derive from it.
DEV_PHI_KEY = base64.b64encode(b"dev-only-phi-key-change-me-32byt").decode()


class Settings(BaseSettings):
    # Limits are positive (a zero would divide by zero or refuse everything) and counts of
    # what may wait or be cached are at least zero: a bad value fails at start, not per request.
    model_config = SettingsConfigDict(env_prefix="MEDGRAPH_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "MEDGRAPH_DATABASE_URL")
    )
    api_database_url: str | None = None
    api_db_role: str = "medgraph_api"
    api_db_password: str | None = None
    data_dir: Path = Path(".medgraph")
    # Per process. A connection past the pool is opened for one use and closed after: a
    # new PostgreSQL backend, asyncpg's type introspection and cold plan caches, several
    # milliseconds each, so the pool holds what a busy process has in flight (sixteen
    # requests at once measured no overflow) and the overflow is a small margin.
    db_pool_size: int = 16
    db_max_overflow: int = 4

    host: str = "127.0.0.1"
    port: int = 8000
    workers: PositiveInt | None = None  # API processes `serve` runs; None: one per core
    forwarded_allow_ips: str = "127.0.0.1"
    log_level: str = "INFO"
    log_json: bool = True

    jwt_secret: str = DEV_JWT_SECRET
    jwt_issuer: str = "medgraph"
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 14 * 24 * 3600
    refresh_reuse_window_seconds: NonNegativeInt = 15
    phi_key: str = DEV_PHI_KEY
    login_max_failures: int = 5
    login_lockout_seconds: int = 300
    password_hash_threads: PositiveInt = 1
    password_hash_max_waiting: NonNegativeInt = 16
    signin_attempts_per_address: PositiveInt = 60
    signin_attempts_per_account: PositiveInt = 5
    signin_window_seconds: PositiveInt = 300
    signin_refusal_delay_ms: NonNegativeInt = 1000

    graphiql: bool = True
    introspection: bool = True
    max_query_depth: PositiveInt = 12
    max_aliases: NonNegativeInt = 15
    max_tokens: PositiveInt = 1000
    max_query_cost: PositiveInt = 20000
    max_fields: PositiveInt = 1000
    max_directives: NonNegativeInt = 50
    max_field_merge_checks: PositiveInt = 5000
    max_query_bytes: PositiveInt = 32 * 1024
    max_body_bytes: PositiveInt = 1024 * 1024
    document_cache_bytes: NonNegativeInt = 256 * 1024
    max_input_depth: PositiveInt = 32
    max_input_values: PositiveInt = 10000
    apq_cache_bytes: NonNegativeInt = 1024 * 1024
    persisted_only: bool = False
    persisted_documents: Path = OPERATIONS_DIR
    max_sockets_per_user: PositiveInt = 10
    max_subscriptions_per_socket: PositiveInt = 20
    event_queue_size: PositiveInt = 256
    max_page_size: PositiveInt = 100
    default_page_size: PositiveInt = 20
    compiled_reads: bool = True
    plan_cache_size: PositiveInt = 512
    compiled_reads_verify: bool = False
    execution_info: bool | None = None  # None: on in development
    # Background jobs (app/broker.py, app/jobs.py, app/job_runs.py, app/relay.py; `medgraph worker`).
    broker_url: str | None = None  # None: PostgreSQL (medgraph's database); amqp://...: RabbitMQ
    worker_processes: PositiveInt = 1
    worker_threads: PositiveInt = 4
    job_max_retries: NonNegativeInt = 5  # a job that raises is retried this often, with backoff
    job_max_deliveries: PositiveInt = 3  # takes of one attempt (its workers died) before it is parked
    job_heartbeat_seconds: PositiveFloat = 2.0  # PostgreSQL broker: a worker's sign of life
    job_dead_worker_seconds: PositiveFloat = 10.0  # silent this long: its jobs go back to the queue
    relay_poll_seconds: PositiveFloat = 5.0  # the outbox relay also looks this often, woken or not
    intake_sweep_seconds: PositiveFloat = 60.0  # how often orders stuck in `submitted` are looked for
    intake_stuck_after_seconds: PositiveFloat = 300.0  # `submitted` this long: its check is sent again
    intake_sweep_horizon_seconds: PositiveFloat = 7 * 24 * 3600.0  # older ones are a person's to look at

    def check_production(self) -> None:
        """Refuse to run in production with the development secrets or toolbox on."""
        if self.env != "production":
            return
        problems = []
        if self.jwt_secret == DEV_JWT_SECRET or len(self.jwt_secret) < 32:
            problems.append("MEDGRAPH_JWT_SECRET must be set to a secret of 32+ characters")
        if self.phi_key == DEV_PHI_KEY:
            problems.append("MEDGRAPH_PHI_KEY must be set to a base64 32-byte key")
        if problems:
            raise SystemExit("refusing to start in production: " + "; ".join(problems))

    @property
    def phi_key_bytes(self) -> bytes:
        key = base64.b64decode(self.phi_key)
        if len(key) != 32:
            raise ValueError("MEDGRAPH_PHI_KEY must decode to 32 bytes")
        return key

    @property
    def field_suggestions(self) -> bool:
        return self.env != "production"


@lru_cache
def get_settings() -> Settings:
    return Settings()
