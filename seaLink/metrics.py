"""Prometheus metrics of the hub, served at /metrics. One registry per hub (tests run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class HubMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.uplinks = Counter(
            "sealink_uplinks_total", "Uplinks received, by kind", ["kind"], registry=r
        )
        self.rejected = Counter(
            "sealink_uplink_rejected_total", "Uplinks refused, by reason", ["reason"], registry=r
        )
        self.retained_cleared = Counter(
            "sealink_uplink_retained_cleared_total",
            "Uplinks other than status published retained: taken, and cleared from the broker",
            registry=r,
        )
        self.refusal_notices = Counter(
            "sealink_refusal_notices_total",
            "Refusal notices to vessels: sent, suppressed (over the rate), offline (not sent)",
            ["outcome"],
            registry=r,
        )
        self.stale_fixes = Counter(
            "sealink_fixes_stale_total",
            "Live fixes stamped older than ingest.live_max_age_s, stored as history",
            registry=r,
        )
        self.duplicates = Counter(
            "sealink_uplink_duplicates_total", "Redelivered uplinks already stored", registry=r
        )
        self.positions = Counter(
            "sealink_positions_stored_total", "Position fixes committed", ["backfill"], registry=r
        )
        self.batch_size = Histogram(
            "sealink_ingest_batch_size",
            "Uplinks per committed batch",
            buckets=(1, 10, 50, 100, 500, 1000, 2000, 5000),
            registry=r,
        )
        self.commit_seconds = Histogram(
            "sealink_ingest_commit_seconds",
            "Time to commit one ingest batch",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )
        self.ingest_latency = Histogram(
            "sealink_ingest_latency_seconds",
            "From the hub receiving an uplink to its commit (oldest of each batch)",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
            registry=r,
        )
        self.contact_states = Gauge(
            "sealink_vessels_contact", "Vessels by contact state", ["state"], registry=r
        )
        self.alerts_raised = Counter(
            "sealink_alerts_raised_total", "Alerts raised, by type", ["type"], registry=r
        )
        self.mqtt_connected = Gauge(
            "sealink_mqtt_connected", "1 while the hub is connected to the broker", registry=r
        )
        self.mqtt_urgent_connected = Gauge(
            "sealink_mqtt_urgent_connected",
            "1 while the hub's distress session (client id <client_id>-urgent) is connected",
            registry=r,
        )
        self.mqtt_subscriptions_refused = Counter(
            "sealink_mqtt_subscriptions_refused_total",
            "Subscriptions the broker refused the hub (SUBACK 0x80 or above: its roles or ACL)",
            registry=r,
        )
        self.cluster_leader = Gauge(
            "sealink_cluster_scheduler",
            "1 while this hub holds the scheduler lease (several hubs); a single hub always does",
            registry=r,
        )
        self.cluster_news = Counter(
            "sealink_cluster_news_total",
            "Batch news between hubs: sent to the scheduler, applied there, unreadable",
            ["direction"],
            registry=r,
        )
        self.alerts_open = Gauge(
            "sealink_alerts_open",
            "Alerts not yet resolved, by type and state (raised = nobody has acknowledged it)",
            ["type", "state"],
            registry=r,
        )
        self.outbox_pending = Gauge(
            "sealink_outbox_pending",
            "Down messages not yet delivered to the boat, by state (queued, sent)",
            ["state"],
            registry=r,
        )
        self.outbox_sent = Counter(
            "sealink_outbox_sent_total", "Down messages handed to a link", ["link"], registry=r
        )
        self.outbox_expired = Counter(
            "sealink_outbox_expired_total", "Down messages expired before delivery", registry=r
        )
        self.outbox_link_switches = Counter(
            "sealink_outbox_link_switches_total",
            "Vessels whose waiting messages moved from a quiet MQTT link to Beidou",
            registry=r,
        )
        self.outbox_failed = Counter(
            "sealink_outbox_failed_total",
            "Down messages given up after too many attempts",
            registry=r,
        )
        self.notifications = Counter(
            "sealink_notifications_total",
            "Alert notification attempts by channel and result (sent, failed, held)",
            ["channel", "result"],
            registry=r,
        )
        self.acks = Counter(
            "sealink_acks_total", "Acknowledgements applied, by state", ["state"], registry=r
        )
        self.loop_lag = Histogram(
            "sealink_event_loop_lag_seconds",
            "How much later than due the event loop woke a 50 ms sleep (every 50 ms)",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=r,
        )
        self.store_errors = Counter(
            "sealink_store_errors_total", "Failed store transactions (retried)", registry=r
        )
