"""The AIS gateway end to end: a simulator on a pty, the gateway, a real broker, a subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from gateway.app import GatewayConfig, GatewayProcess
from seaLink.wire.gateway import AIS_BATCH, GatewayKind, GatewayStatus
from simulators.ais_pty import AisPtySimulator, Faults, nanao_targets
from tests.brokers import ShippedMosquitto
from tests.gateway.conftest import DATA, Collector, eventually

ROOT = Path(__file__).resolve().parents[2]


@contextlib.asynccontextmanager
async def running(config: GatewayConfig) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(config)
    task = asyncio.create_task(process.run(), name=f"test-gateway-{config.gateway_id}")
    try:
        yield process
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def statuses(collector: Collector, topic: str) -> list[GatewayStatus]:
    return [GatewayStatus.model_validate_json(p) for p in collector.payloads(topic) if p]


def events(collector: Collector, topic: str) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for payload in collector.payloads(topic):
        AIS_BATCH.validate_json(payload)
        out.extend(json.loads(payload))
    return out


async def test_a_gateway_publishes_decoded_traffic_and_its_status(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    sub = collector(f"{prefix}/gateways/#")
    sim = AisPtySimulator(nanao_targets(15), Faults(tag_blocks=True))
    config = GatewayConfig(
        GatewayKind.AIS, "ais-test", broker.url, prefix, port=sim.path, status_interval_s=0.2
    )
    ais_topic, status_topic = (
        f"{prefix}/gateways/ais-test/ais",
        f"{prefix}/gateways/ais-test/status",
    )
    try:
        async with running(config) as process:
            await eventually(
                lambda: any(s.port_open for s in statuses(sub, status_topic)), what="online"
            )
            for _ in range(4):
                await sim.write_lines(sim.next_round())
            expected = sim.traffic.stats.messages
            await eventually(lambda: len(events(sub, ais_topic)) == expected, what="all events")
            await eventually(
                lambda: statuses(sub, status_topic)[-1].counters.get("events") == expected
            )
            assert process.counters.rejections() == {}
        # a clean stop says offline before disconnecting
        await eventually(lambda: statuses(sub, status_topic)[-1].state == "offline", what="offline")
    finally:
        sim.close()
    got = events(sub, ais_topic)
    assert {e["class"] for e in got} >= {"vessel", "sart", "net_buoy", "base_station", "aton"}
    assert len(sub.payloads(ais_topic)) < expected  # several events per MQTT message
    online = next(s for s in statuses(sub, status_topic) if s.state == "online")
    assert (online.kind, online.gateway_id, online.port) == ("ais", "ais-test", sim.path)


async def test_with_its_own_account_on_the_shipped_broker_it_does_all_it_must(
    tmp_path: Path,
) -> None:
    """`gw-ais-1` may post only its status and its AIS (the broker refuses it the Beidou topics):
    that is all an AIS gateway needs, from online through traffic to offline."""
    broker = ShippedMosquitto(tmp_path / "broker")
    broker.start()
    prefix = "sealink/v1"  # the accounts' topics are under the configured prefix
    sim = AisPtySimulator(nanao_targets(6))
    sub: Collector | None = None
    try:
        gw, hub = broker.credentials("gateway", "ais-1", "--link", "ais"), broker.credentials("hub")
        sub = Collector(f"mqtt://sealink-hub:{hub}@127.0.0.1:{broker.port}", f"{prefix}/gateways/#")
        url = f"mqtt://gw-ais-1:{gw}@127.0.0.1:{broker.port}"
        config = GatewayConfig(
            GatewayKind.AIS, "ais-1", url, prefix, port=sim.path, status_interval_s=0.2
        )
        ais_topic, status_topic = f"{prefix}/gateways/ais-1/ais", f"{prefix}/gateways/ais-1/status"
        async with running(config):
            await eventually(
                lambda: any(s.port_open for s in statuses(sub, status_topic)), what="online"
            )
            await sim.write_lines(sim.next_round())
            expected = sim.traffic.stats.messages
            await eventually(lambda: len(events(sub, ais_topic)) == expected, what="all events")
        await eventually(lambda: statuses(sub, status_topic)[-1].state == "offline", what="offline")
    finally:
        sim.close()
        if sub is not None:
            sub.close()
        broker.stop()


async def test_several_gateways_run_at_once(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    sub = collector(f"{prefix}/gateways/+/ais")
    sims = [AisPtySimulator(nanao_targets(8, seed=s), seed=s) for s in (1, 2)]
    configs = [
        GatewayConfig(GatewayKind.AIS, f"ais-{i}", broker.url, prefix, port=sim.path)
        for i, sim in enumerate(sims)
    ]
    try:
        async with running(configs[0]) as one, running(configs[1]) as two:
            await eventually(lambda: one.mqtt is not None and one.mqtt.connected.is_set())
            await eventually(lambda: two.mqtt is not None and two.mqtt.connected.is_set())
            await asyncio.sleep(0.2)  # both ports open
            for sim in sims:
                await sim.write_lines(sim.next_round())
            for i, sim in enumerate(sims):
                topic = f"{prefix}/gateways/ais-{i}/ais"
                n = sim.traffic.stats.messages
                await eventually(lambda t=topic, n=n: len(events(sub, t)) == n, what=f"gateway {i}")
    finally:
        for sim in sims:
            sim.close()


def _gateway_cli(prefix: str, url: str, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gateway.cli",
            "--prefix",
            prefix,
            "--log-level",
            "WARNING",
            *args,
            "--broker",
            url,
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_the_will_says_offline_when_a_gateway_process_dies(broker, collector, prefix) -> None:  # type: ignore[no-untyped-def]
    sub = collector(f"{prefix}/gateways/#")
    sim = AisPtySimulator([])
    status_topic = f"{prefix}/gateways/ais-will/status"
    proc = _gateway_cli(prefix, broker.url, "ais", "--port", sim.path, "--gateway-id", "ais-will")
    try:
        await eventually(
            lambda: any(s.state == "online" for s in statuses(sub, status_topic)), timeout=15
        )
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(5)
        await eventually(lambda: statuses(sub, status_topic)[-1].state == "offline", timeout=10)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(5)
        sim.close()
    # the will is retained: a newcomer learns the gateway is offline
    late = collector(status_topic)
    await eventually(lambda: bool(late.payloads(status_topic)))
    assert statuses(late, status_topic)[-1].state == "offline"


async def test_a_replay_file_runs_to_its_end_through_the_command_line(
    broker, collector, prefix
) -> None:  # type: ignore[no-untyped-def]
    sub = collector(f"{prefix}/gateways/#")
    capture = DATA / "ais" / "libais" / "typeexamples.nmea"
    proc = _gateway_cli(
        prefix, broker.url, "ais", "--replay", str(capture), "--gateway-id", "ais-replay"
    )
    code = await asyncio.to_thread(proc.wait, 30)
    assert code == 0, proc.stderr.read() if proc.stderr else b""
    topic = f"{prefix}/gateways/ais-replay/ais"
    await eventually(lambda: len(events(sub, topic)) == 14, what="the 14 supported examples")
    final = statuses(sub, f"{prefix}/gateways/ais-replay/status")
    assert final[-1].state == "offline"
    assert any(s.counters.get("rejected.unsupported_type") == 12 for s in final)
