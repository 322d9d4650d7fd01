"""Port entry and exit reports from the terminal (进出港报告, protocol §2.10): which harbour a
report is of. A named port must be one the hub knows (its Chinese or English name); a report
without a name is of the harbour its position is in, or the nearest one whose edge is within
`ingest.port_report_near_nmi` (a boat reporting its exit is often just outside already). Anything
else is refused as `unknown_port`, so that the skipper is told and the report is not filed under
a harbour nobody keeps a list of."""

from __future__ import annotations

from seaLink.domain.ports import PortIndex
from seaLink.wire.codec import Rejection, RejectReason
from seaLink.wire.payloads import PortReportPayload


def resolve(
    report: PortReportPayload, ports: PortIndex, near_nmi: float
) -> PortReportPayload | Rejection:
    """The report with `port` set to the harbour's (Chinese) name, or its refusal."""
    if report.port is not None:
        found = ports.named(report.port)
        if found is None:
            known = ", ".join(p.name for p in ports.ports[:10]) or "none"
            return Rejection(
                RejectReason.UNKNOWN_PORT,
                f"port: no harbour named {report.port!r} (known: {known})",
            )
    else:
        assert report.lat is not None and report.lon is not None  # the payload's own rule
        found = ports.near(report.lat, report.lon, near_nmi)
        if found is None:
            return Rejection(
                RejectReason.UNKNOWN_PORT,
                f"no harbour within {near_nmi:g} nmi of {report.lat:.4f}, {report.lon:.4f}; "
                "name the port",
            )
    return report.model_copy(update={"port": found.name})
