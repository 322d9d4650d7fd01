"""Typed settings, read once at start from a TOML file and `SEALINK_*` environment variables.

Precedence (highest first): explicit arguments, environment (`SEALINK_MQTT__URL=...`), the TOML
file named by `SEALINK_CONFIG` (or passed to `load_settings`), then the defaults below.
`deploy/sealink.example.toml` lists every setting; a test keeps the two in step.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from seaLink.errors import ConfigError


class _Section(BaseModel):
    # A misspelt setting is an error, not a silently ignored line.
    model_config = ConfigDict(extra="forbid")


class MqttSettings(_Section):
    url: str = Field("mqtt://127.0.0.1:1883", description="broker URL (mqtt://user:pass@host:port)")
    client_id: str = Field(
        "sealink-hub", description="the hub's MQTT client id (its persistent session)"
    )
    protocol: Literal["5", "3.1.1"] = Field("5", description="MQTT protocol version the hub speaks")
    prefix: str = Field("sealink/v1", description="topic prefix of the vessel protocol")
    shared_group: str = Field(
        "", description="if set, subscribe via $share/<group>/ (several hubs)"
    )
    keepalive_s: int = Field(30, description="MQTT keepalive in seconds")
    receive_maximum: int = Field(
        4000, description="uplinks the broker may have in flight to the hub before it acks (MQTT 5)"
    )
    session_expiry_s: int = Field(
        7 * 24 * 3600, description="how long the broker keeps the hub's session while it is away"
    )
    sender_property: str = Field(
        "",
        description="MQTT 5 user property a trusted broker stamps with the sender's client id",
    )


class StoreSettings(_Section):
    url: str = Field(
        "sqlite+aiosqlite:///var/sealink.db",
        description="database URL: sqlite+aiosqlite:///path or postgresql+asyncpg://...",
    )
    echo: bool = Field(False, description="log every SQL statement (debugging only)")
    start_timeout_s: float = Field(
        60.0, description="at start, how long the hub waits for an unreachable database (backoff)"
    )
    retention_days: int = Field(
        0,
        ge=0,
        description="fixes older than this many days leave the position table (0: keep all); "
        "PostgreSQL drops whole months, once every fix of the month is past",
    )
    archive_every_s: int = Field(
        0,
        ge=0,
        description="when retention removes fixes, keep one per vessel per this many seconds "
        "in position_archive (0: keep none, e.g. 600)",
    )
    archive_days: int = Field(
        0, ge=0, description="archived fixes older than this many days are deleted (0: keep all)"
    )
    retention_interval_s: float = Field(
        3600.0,
        gt=0,
        description="how often retention runs (and the next months' partitions are made)",
    )
    retention_batch: int = Field(
        2000, gt=0, description="fixes deleted per transaction (SQLite): ingest waits at most one"
    )
    pool_size: int = Field(
        10, ge=1, description="PostgreSQL: connections the hub keeps open (its writer, API readers)"
    )
    max_overflow: int = Field(
        10, ge=0, description="PostgreSQL: extra connections opened in a burst and closed after"
    )


# The fix size the byte limit is sized for: every field, 7-decimal degrees and a timestamp with
# milliseconds and an offset take 135 bytes; 4-decimal fixes without speed, about 60.
FIX_BYTES = 160


class IngestSettings(_Section):
    max_payload_bytes: int = Field(64 * 1024, description="uplinks larger than this are rejected")
    max_fixes_per_message: int = Field(
        400,
        description="largest position array accepted; max_payload_bytes must hold this many "
        "fixes of 160 bytes",
    )
    batch_max: int = Field(5000, description="most uplinks committed in one transaction")
    future_skew_s: int = Field(
        300, description="uplinks stamped further ahead of the hub's clock than this are rejected"
    )
    live_max_age_s: int = Field(
        3600,
        description="a live fix older than this is stored as history (backfill); a distress "
        "stamped outside this window is taken at the time the hub received it",
    )
    max_age_days: int = Field(
        90, description="uplinks stamped further back than this are rejected (ts_too_old)"
    )
    refusal_notices_per_min: int = Field(
        10, description="refusal notices sent to one vessel a minute at most (the rest: counted)"
    )
    dead_letter_payload_bytes: int = Field(
        4096, description="how much of a rejected payload the dead-letter table keeps"
    )
    port_report_near_nmi: float = Field(
        3.0,
        ge=0.0,
        description="a port report without a port name is of the harbour its position is in, "
        "or the nearest whose edge is this close (else refused: unknown_port)",
    )

    @model_validator(mode="after")
    def _fixes_fit(self) -> IngestSettings:
        """The documented largest array must fit the byte limit: else a terminal sending the
        allowed number of fixes is refused as `oversized` (issue 15.6)."""
        need = self.max_fixes_per_message * FIX_BYTES
        if self.max_payload_bytes < need:
            raise ValueError(
                f"max_payload_bytes {self.max_payload_bytes} cannot hold max_fixes_per_message "
                f"{self.max_fixes_per_message} fixes of {FIX_BYTES} bytes ({need} bytes)"
            )
        return self


class ContactSettings(_Section):
    interval_at_sea_s: int = Field(600, description="expected report interval at sea")
    overdue_missed: int = Field(2, description="missed intervals before a vessel is overdue")
    lost_missed: int = Field(4, description="missed intervals before a lost-contact alert")
    alert_after_s: int = Field(7200, description="silence before the alert phase (ALERFA)")
    distress_after_s: int = Field(14400, description="silence before the distress phase (DETRESFA)")
    in_port_maintenance_after_s: int = Field(
        86400, description="silence in port before a maintenance notice"
    )
    port_radius_nmi: float = Field(
        0.5, description="default radius of a port zone given as a point"
    )
    startup_grace_s: int = Field(
        120, description="after a hub start, no new alert until the broker's backlog is in"
    )
    zone_confirm_fixes: int = Field(
        3, ge=1, description="a zone alert is raised (or cleared) after this many fixes in a row"
    )
    zone_confirm_s: int = Field(
        600,
        ge=0,
        description="... or once the boat has been inside (outside) this long: 10-minute reports "
        "alert at their second fix, so one bad GNSS fix neither raises nor clears an alert",
    )
    port_report_match_min: int = Field(
        30,
        ge=0,
        description="a track entry (exit) this close in time to the terminal's report of an "
        "entry (exit) of the same port is the same passage: listed and counted once",
    )


class MessagingSettings(_Section):
    beidou_after_s: int = Field(
        600, description="a vessel unreachable on MQTT this long gets its messages by Beidou"
    )
    replay_grace_s: int = Field(
        20, description="after a hello, how long to wait for the broker's own redelivery first"
    )
    online_window_s: int = Field(
        1200, description="with no status known, a vessel heard this recently counts as online"
    )
    dispatch_batch: int = Field(2000, description="most messages handed to the links per round")
    max_attempts: int = Field(
        20, description="sent this often without being delivered, a message is marked failed"
    )
    default_expiry_s: int = Field(86400, description="expiry of a broadcast that names none")
    beidou_groups: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Beidou group broadcast (通播/组播): a broadcast address a shore command card can"
        " send to -> the boat cards it reaches. A broadcast due by Beidou to two or more of them"
        " goes as one send to the address; each boat's acknowledgement still counts on its own",
    )
    recall_resend_s: int = Field(
        900,
        description="a typhoon recall order is repeated this often to boats that have not answered",
    )
    recall_track_window_s: int = Field(
        1800,
        description="a recalled boat is judged closing on its harbour over its fixes of this span",
    )
    recall_judge_s: int = Field(
        30, description="recalled boats are judged against their tracks at most this often"
    )


class RobotSettings(_Section):
    """A group robot of WeCom, DingTalk or Feishu: one per grid, or per escalation level."""

    kind: Literal["wecom", "dingtalk", "feishu"]
    url: str = Field(description="the robot's webhook URL (its key or access token included)")
    secret: str = Field("", description="signing secret (DingTalk 加签 / Feishu 签名校验)")
    grids: list[str] = Field(
        default_factory=list, description="only these grids' alerts (empty: all)"
    )
    levels: list[int] = Field(
        default_factory=lambda: [0, 1, 2], description="escalation levels it is told of"
    )


class AlertingSettings(_Section):
    distress_leader_after_s: int = Field(
        120, description="unacknowledged distress: escalate to the grid leader after this"
    )
    distress_county_after_s: int = Field(
        240, description="unacknowledged distress: escalate to the county emergency desk after this"
    )
    lost_contact_leader_after_s: int = Field(
        1800, description="unacknowledged lost contact: escalate to the grid leader after this"
    )
    lost_contact_county_after_s: int = Field(
        3600, description="unacknowledged lost contact: escalate to the county desk after this"
    )
    zone_leader_after_s: int = Field(
        1800, description="unacknowledged zone alert: escalate to the grid leader after this"
    )
    zone_county_after_s: int = Field(
        7200, description="unacknowledged zone alert: escalate to the county desk after this"
    )
    separation_leader_after_s: int = Field(
        1800, description="unacknowledged separation: escalate to the grid leader after this"
    )
    separation_county_after_s: int = Field(
        7200, description="unacknowledged separation: escalate to the county desk after this"
    )
    recall_leader_after_s: int = Field(
        600, description="a boat unaccounted at a recall deadline: the grid leader after this"
    )
    recall_county_after_s: int = Field(
        1800, description="a boat unaccounted at a recall deadline: the county desk after this"
    )
    robots: list[RobotSettings] = Field(
        default_factory=list, description="group robots (WeCom, DingTalk, Feishu) told of alerts"
    )
    retry_failed_s: list[int] = Field(
        default_factory=lambda: [30, 120, 600],
        description="a failed notification is sent again after each of these waits",
    )
    storm_window_s: int = Field(
        120,
        ge=1,
        description="alerts other than distress, of one grid, kind and level, arriving within"
        " this window, go out as one notification (a distress is never held)",
    )
    notify_max_per_hour: int = Field(
        12,
        ge=1,
        description="at most this many SMS / e-mails an hour to one person; the rest in a digest",
    )
    digest_every_s: int = Field(1800, ge=60, description="how often the held-back digest goes out")
    nearest_stale_fix_s: int = Field(
        3600,
        gt=0,
        description="an incident's nearest boats: a fix older than this is listed apart,"
        " never tasked by 'nearest N'",
    )
    county_desk_name: str = Field("县渔业应急办", description="the county emergency desk")
    language: Literal["zh-CN", "en"] = Field(
        "zh-CN", description="language of SMS, e-mail and webhook notifications"
    )
    county_desk_email: str = Field("", description="e-mail of the county emergency desk")
    county_desk_phone: str = Field("", description="phone (SMS) of the county emergency desk")
    webhook_url: str = Field("", description="POST every alert notification as JSON here")
    sms_webhook_url: str = Field("", description="SMS gateway: POST {to, text} here")
    smtp_host: str = Field("", description="SMTP server for alert e-mail (empty: no e-mail)")
    smtp_port: int = Field(25, description="SMTP port")
    smtp_from: str = Field("sealink@localhost", description="sender address of alert e-mail")
    channel_timeout_s: float = Field(5.0, description="a notification channel gets this long")


class RequestSettings(_Section):
    answer_within_s: int = Field(
        3600, description="a request unanswered this long reminds its coordinator"
    )
    leader_after_s: int = Field(
        7200,
        description="still unanswered this long after arrival: the grid leader is reminded too",
    )


class ApiSettings(_Section):
    host: str = Field("127.0.0.1", description="address the REST/WebSocket API listens on")
    port: int = Field(8080, description="port of the REST/WebSocket API")
    track_max_points: int = Field(5000, description="most fixes returned by a track request")
    token_ttl_s: int = Field(12 * 3600, description="how long a login token stays valid")
    login_max_failures: int = Field(
        5,
        description="failed logins in a row for one name from one address before each further"
        " try waits (1 s, doubling)",
    )
    login_address_max_failures: int = Field(
        20, description="failed logins from one address, any names, before that address waits"
    )
    lockout_s: int = Field(900, description="the longest wait after failed logins, in seconds")
    login_rate_per_min: int = Field(20, description="login attempts per minute per client address")
    public_url: str = Field(
        "", description="the console's address as people reach it (links in robot messages)"
    )
    link_secret: str = Field(
        "", description="signs alert links (empty: a new one each start, older links die)"
    )
    link_ttl_s: int = Field(86400, description="how long an alert link in a message stays valid")
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For names"
        " the client; from any other address the header is ignored",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {item!r}") from None
        return value


class GatewaySettings(_Section):
    ais_ids: list[str] = Field(
        default_factory=list,
        description="ids of the AIS gateways: only they may publish AIS (empty: a gateway's own"
        " retained status says what it is)",
    )
    beidou_ids: list[str] = Field(
        default_factory=list,
        description="ids of the Beidou gateways: only they may publish beidou/* (empty: a"
        " gateway's own retained status says what it is)",
    )


def gateway_kinds(settings: GatewaySettings) -> dict[str, Any]:
    """Gateway id -> GatewayKind, from the lists of the settings."""
    from seaLink.wire.gateway import GatewayKind

    kinds = {gid: GatewayKind.AIS for gid in settings.ais_ids}
    both = [gid for gid in settings.beidou_ids if gid in kinds]
    if both:
        raise ConfigError(f"gateways both AIS and Beidou: {', '.join(both)}")
    return kinds | {gid: GatewayKind.BEIDOU for gid in settings.beidou_ids}


class ClusterSettings(_Section):
    enabled: bool = Field(
        False,
        description="several hubs on one broker and PostgreSQL (shared subscriptions, leases)",
    )
    hub_id: str = Field(
        "", description="this hub's stable id in the cluster (default: host name); keep it per slot"
    )
    lease_s: float = Field(
        15.0, description="how long the scheduler lease lasts; a dead holder is replaced after this"
    )
    heartbeat_s: float = Field(1.0, description="how often a hub renews its membership and leases")
    dead_after_s: float = Field(
        3.0, description="a hub silent this long is dead: another hub adopts its MQTT session"
    )
    refresh_s: float = Field(
        5.0, description="how often the scheduler re-reads work that other hubs' API calls created"
    )


class DemoSettings(_Section):
    vessels: int = Field(300, description="simulated boats in `sealink demo`")
    seed: int = Field(7, description="seed of the demo fleet and its movements")
    report_interval_s: float = Field(10.0, description="simulated report interval in the demo")
    embedded_broker_port: int = Field(1884, description="port of the demo's embedded broker")
    embedded_broker_ws_port: int = Field(
        1885, description="MQTT-over-WebSocket port of the embedded broker (the demo terminal's)"
    )
    terminal_port: int = Field(
        8090, description="port of the demo's reference vessel terminal page (0: no terminal)"
    )
    terminal_broker_ws: str = Field(
        "", description="broker WebSocket URL for the demo terminal when the broker is not embedded"
    )


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SEALINK_", env_nested_delimiter="__", extra="forbid"
    )

    log_level: str = Field("INFO", description="logging level")
    admin_password: str = Field("", description="password of the first admin (created at start)")
    mqtt: MqttSettings = Field(default_factory=MqttSettings)  # type: ignore[arg-type]
    store: StoreSettings = Field(default_factory=StoreSettings)  # type: ignore[arg-type]
    ingest: IngestSettings = Field(default_factory=IngestSettings)  # type: ignore[arg-type]
    contact: ContactSettings = Field(default_factory=ContactSettings)  # type: ignore[arg-type]
    messaging: MessagingSettings = Field(default_factory=MessagingSettings)
    alerting: AlertingSettings = Field(default_factory=AlertingSettings)
    requests: RequestSettings = Field(default_factory=RequestSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)  # type: ignore[arg-type]
    gateways: GatewaySettings = Field(default_factory=GatewaySettings)  # type: ignore[arg-type]
    demo: DemoSettings = Field(default_factory=DemoSettings)  # type: ignore[arg-type]
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)  # type: ignore[arg-type]

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The TOML file comes from `model_config["toml_file"]`, set by `load_settings`.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read settings once; `config_file` wins over the `SEALINK_CONFIG` environment variable."""
    path = config_file or os.environ.get("SEALINK_CONFIG")
    if not path:
        return Settings(**overrides)
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"settings file not found: {path}")

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=path)

    return _FromFile(**overrides)
