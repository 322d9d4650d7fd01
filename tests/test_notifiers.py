"""Notification channels against stand-ins for the outside services we do not run."""

from __future__ import annotations

import asyncio
import email
from email.header import decode_header, make_header

from seaLink.services.events import EventBus
from seaLink.services.notifiers import ConsoleChannel, EmailChannel, Notice, Recipient
from tests.brokers import free_port


class SmtpSink:
    """Just enough SMTP (RFC 5321) to accept a message: the county's mail server, faked."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ESMTP\r\n")
        sender, rcpts = "", []
        while line := await reader.readline():
            cmd = line.decode().strip()
            verb = cmd.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                writer.write(b"250 sink\r\n")
            elif verb == "MAIL":
                sender = cmd.split(":", 1)[1].strip(" <>")
                writer.write(b"250 ok\r\n")
            elif verb == "RCPT":
                rcpts.append(cmd.split(":", 1)[1].strip(" <>"))
                writer.write(b"250 ok\r\n")
            elif verb == "DATA":
                writer.write(b"354 go on\r\n")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                self.messages.append((sender, rcpts, data[:-5]))
                writer.write(b"250 queued\r\n")
            elif verb == "QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


async def test_alert_email_goes_out_over_smtp_with_chinese_text() -> None:
    sink = SmtpSink()
    server = await asyncio.start_server(sink.handle, "127.0.0.1", sink.port)
    try:
        ch = EmailChannel("127.0.0.1", sink.port, "sealink@nanao.example.cn")
        notice = Notice(
            7,
            "G01",
            "V1",
            "distress",
            "critical",
            0,
            "【遇险】粤南澳渔00001 进水，6人，请立即处置",
            {},
        )
        person = Recipient("C01W", "黄志明", "13900000011", "huang@example.cn")
        assert ch.addresses(person) == "huang@example.cn"
        assert ch.addresses(Recipient("x", "无邮箱")) is None
        await ch.send(notice, person, "huang@example.cn")
    finally:
        server.close()
        await server.wait_closed()
    [(sender, rcpts, data)] = sink.messages
    assert sender == "sealink@nanao.example.cn" and rcpts == ["huang@example.cn"]
    msg = email.message_from_bytes(data)
    assert str(make_header(decode_header(msg["Subject"]))).startswith("【遇险】粤南澳渔00001")
    assert "请立即处置" in msg.get_payload(decode=True).decode()


async def test_the_console_channel_publishes_a_grid_scoped_event_with_sound_for_critical() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    ch = ConsoleChannel(bus)
    await ch.send(
        Notice(1, "G02", "V4", "distress", "critical", 1, "text", {}),
        Recipient("C02L", "林建国"),
        "C02L",
    )
    ev = sub.queue.get_nowait()
    assert (
        ev.type == "alert_notify"
        and ev.grid_id == "G02"
        and ev.data["sound"] is True
        and ev.data["level"] == 1
    )
