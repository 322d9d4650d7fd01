"""Rescue coordination for an incident: the nearest boats, tasking them, SITREPs, CAP export.

Grids and a distress (docs/operations.md, section 9): in a distress every boat nearby matters,
whatever its grid, and its master is bound to help (SOLAS V/33). So the nearest list of an open
incident ranks the boats of every grid, and whoever may act on the incident may task his own
grids' boats and any boat the list shows. The list shows a boat's position only to those who may
read its grid; of another grid's boat it gives distance, bearing and ETA to the scene, which is
what the decision needs. Once the incident is closed, the list keeps to the reader's own grids.
The incident itself stays visible only to its own grid's people (and admins).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from seaLink.clock import Clock
from seaLink.domain.cap import CapFacts, cap_alert
from seaLink.domain.messaging import DISTRESS_PRIORITY
from seaLink.domain.rescue import (
    Candidate,
    Ranked,
    SitrepFacts,
    SurpicRules,
    rank,
    sitrep,
)
from seaLink.domain.roles import Principal
from seaLink.errors import Refused
from seaLink.services.outbox import Outbox
from seaLink.settings import AlertingSettings
from seaLink.store.db import Database
from seaLink.store.phrases import BOAT_LANG, log_columns
from seaLink.store.tables import (
    AckEvent,
    Alert,
    Delivery,
    Incident,
    IncidentLog,
    Vessel,
    VesselState,
)
from seaLink.store.users import audit
from seaLink.texts import DEFAULT_LANG, Phrase, render, word
from seaLink.wire.payloads import DownKind, DownMessage

_a: Any = Alert.__table__  # type: ignore[attr-defined]
_ack: Any = AckEvent.__table__  # type: ignore[attr-defined]
_d: Any = Delivery.__table__  # type: ignore[attr-defined]
_inc: Any = Incident.__table__  # type: ignore[attr-defined]
_log: Any = IncidentLog.__table__  # type: ignore[attr-defined]
_v: Any = Vessel.__table__  # type: ignore[attr-defined]
_vs: Any = VesselState.__table__  # type: ignore[attr-defined]
_ANSWERS = ("accepted", "declined")
# A SITREP is one text for every reader: Chinese values in a frame that gives each field in both
# languages. The CAP builder writes one `info` block, in Chinese, the county's language.
SITREP_LANG = DEFAULT_LANG
CAP_LANG = DEFAULT_LANG


class RescueService:
    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        outbox: Outbox,
        settings: AlertingSettings,
        traffic: dict[str, Candidate] | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._settings = settings
        # AIS targets without a SeaLink terminal, by MMSI (the gateways' live table)
        self.traffic: dict[str, Candidate] = {} if traffic is None else traffic
        self.incident_grids: dict[int, str] = {}
        self.rules = SurpicRules(stale_after_min=settings.nearest_stale_fix_s / 60)

    async def record(self, incident_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The incident's row and its log, oldest entry first (`not_found` if there is none)."""
        async with self._db.engine.connect() as conn:
            row = (
                (await conn.execute(select(_inc).where(_inc.c.id == incident_id)))
                .mappings()
                .first()
            )
            entries = (await conn.execute(
                select(_log).where(_log.c.incident_id == incident_id).order_by(_log.c.ts, _log.c.id)
            )).mappings().all()  # fmt: skip
        if row is None:
            raise Refused("not_found", f"no incident {incident_id}")
        return dict(row), [dict(e) for e in entries]

    async def case(self, incident_id: int) -> dict[str, Any]:
        q = (
            select(
                _inc.c.id,
                _inc.c.vessel_id,
                _inc.c.grid_id,
                _inc.c.persons_at_risk,
                _inc.c.sitrep_count,
                _inc.c.opened_at,
                _inc.c.closed_at,
                _a.c.id.label("alert_id"),
                _a.c.lat,
                _a.c.lon,
                _a.c.event_ts,
                _a.c.data,
                _a.c.state,
                _a.c.exercise,
                _v.c.hull_name,
                _v.c.mmsi,
                _v.c.beidou_card,
                _v.c.group_id,
                _v.c.persons,
            )
            .select_from(
                # An AIS beacon or ship that is not in the registry (vessel id `AIS-<MMSI>`) has
                # no vessel row: the incident is there all the same.
                _inc.join(_a, _a.c.id == _inc.c.alert_id).outerjoin(_v, _v.c.id == _inc.c.vessel_id)
            )
            .where(_inc.c.id == incident_id)
        )
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(q)).mappings().first()
        if row is None:
            raise Refused("not_found", f"no incident {incident_id}")
        out = dict(row)
        out["data"] = json.loads(row["data"] or "{}")
        if out["hull_name"] is None:  # not registered: named after what the AIS message said
            mmsi = str(row["vessel_id"]).removeprefix("AIS-")
            said = str(out["data"].get("text") or "")
            out["hull_name"] = said.split("：")[0] if said.startswith("AIS ") else f"AIS {mmsi}"
            out["mmsi"] = mmsi if mmsi.isdigit() else None
            out["group_id"] = ""
        self.incident_grids[incident_id] = str(row["grid_id"])
        return out

    async def nearest(
        self, incident_id: int, limit: int = 10, who: Principal | None = None
    ) -> list[Ranked]:
        """The ready boats by ETA, then the boats listed apart (`domain.rescue.rank`), at most
        `limit` of each. `who`: the reader; a closed incident lists only his grids' boats."""
        c = await self.case(incident_id)
        if c["lat"] is None:
            raise Refused("no_position", "the distress gave no position")
        q = (
            select(
                _v.c.id,
                _v.c.hull_name,
                _v.c.group_id,
                _v.c.grid_id,
                _vs.c.lat,
                _vs.c.lon,
                _vs.c.sog,
                _vs.c.cog,
                _vs.c.fix_ts,
            )
            .select_from(_v.join(_vs, _vs.c.vessel_id == _v.c.id))
            .where(_vs.c.lat.is_not(None), _vs.c.lon.is_not(None), _vs.c.fix_ts.is_not(None))
        )
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).all()
        now = self._clock.now()
        candidates = []
        for vid, name, group, grid, lat, lon, sog, cog, fix_ts in rows:
            link = self._outbox.link_now(vid, now)
            candidates.append(Candidate(
                vid, name, group, lat, lon, sog, cog, fix_ts, "sealink", link is not None, grid,
                link or "",
            ))  # fmt: skip
        candidates.extend(self.traffic.values())
        if who is not None and c["closed_at"] is not None:
            # Nothing to rescue any more: no reason to show other grids' boats.
            candidates = [
                x for x in candidates if x.source != "sealink" or who.can_read_grid(x.grid_id)
            ]
        # Not the boat in distress itself, nor its own AIS (an AIS-only ship's MAYDAY).
        exclude = {str(c["vessel_id"])} | ({str(c["mmsi"])} if c["mmsi"] else set())
        return rank(
            c["lat"],
            c["lon"],
            candidates,
            now,
            own_group=c["group_id"] or None,
            exclude=exclude,
            rules=self.rules,
            limit=limit,
        )

    @staticmethod
    def shows_position(who: Principal, r: Ranked) -> bool:
        """Whether `who` sees where boat `r` is: AIS traffic is public; a SeaLink boat's position
        follows its grid's scope."""
        return r.source != "sealink" or who.can_read_grid(r.grid_id)

    async def task(
        self, incident_id: int, vessel_ids: list[str], actor: str, who: Principal | None = None
    ) -> list[str]:
        """Send a rescue_task to each vessel over the best link; returns the message ids.

        `who` (None: no scope, the hub itself) may task his own grids' boats, and another grid's
        boat when the incident's nearest list shows it (50 of each part)."""
        c = await self.case(incident_id)
        if c["closed_at"] is not None:
            raise Refused("closed", f"incident {incident_id} is closed")
        if c["lat"] is None:  # the rescue_task names the scene: without one, nowhere to send boats
            raise Refused("no_position", "the distress gave no position")
        now = self._clock.now()
        persons = c["persons_at_risk"]
        task_args = {"vessel": c["hull_name"], "nature": c["data"].get("nature") or "undesignated",
                     "persons": persons, "where": [c["lat"], c["lon"]]}  # fmt: skip
        async with self._db.engine.connect() as conn:
            found = (
                await conn.execute(
                    select(_v.c.id, _v.c.hull_name, _v.c.grid_id).where(_v.c.id.in_(vessel_ids))
                )
            ).all()
        names: dict[str, str] = {r[0]: r[1] for r in found}
        grids: dict[str, str] = {r[0]: r[2] for r in found}
        unknown = [v for v in vessel_ids if v not in names]
        if unknown:
            raise Refused("unknown_vessel", f"no such vessel: {', '.join(unknown)}")
        outside = [v for v in vessel_ids if who is not None and not who.can_write_grid(grids[v])]
        if outside:
            listed = {r.id for r in await self.nearest(incident_id, 50) if r.source == "sealink"}
            refused = [v for v in outside if v not in listed]
            if refused:
                raise Refused(
                    "forbidden",
                    f"{', '.join(refused)}: another grid's boat, and not among this incident's"
                    " nearest boats",
                )
        rows, msg_ids = [], []
        for vid in vessel_ids:
            msg_id = f"rt{incident_id}-{vid}"[:64]
            msg = DownMessage(
                msg_id=msg_id,
                kind=DownKind.RESCUE_TASK,
                priority=DISTRESS_PRIORITY,
                title=render(Phrase("down.rescue_task.title"), BOAT_LANG),
                body=render(Phrase("down.rescue_task.body", task_args), BOAT_LANG),
                issued=now,
                expires=now + timedelta(hours=12),
                ack="confirm",
                incident_id=incident_id,
                scene={"lat": c["lat"], "lon": c["lon"]},
                distress_vessel=c["hull_name"],
            )
            rows.append({
                "msg_id": msg_id, "vessel_id": vid, "grid_id": grids[vid], "kind": DownKind.RESCUE_TASK.value,
                "priority": DISTRESS_PRIORITY, "payload": msg.model_dump_json(exclude_none=True), "state": "queued",
                "rank": 0, "attempts": 0, "next_attempt_at": now, "queued_at": now,
                "expires_at": now + timedelta(hours=12), "last_error": "",
            })  # fmt: skip
            msg_ids.append(msg_id)
        async with self._db.engine.begin() as conn:
            await conn.execute(self._db.insert_ignore(_d), rows)
            tasked = Phrase(
                "log.tasked",
                {
                    "vessels": "、".join(
                        names[v] + (f"（{grids[v]}）" if grids[v] != c["grid_id"] else "")
                        for v in vessel_ids
                    )
                },
            )
            await conn.execute(_log.insert().values(
                incident_id=incident_id, ts=now, actor=actor, kind="tasked", **log_columns(tasked)))  # fmt: skip
        self._outbox.kick()
        if who is not None:
            await audit(self._db, ts=now, username=who.username, action="incident.task",
                        target=f"incident/{incident_id}", detail=",".join(vessel_ids))  # fmt: skip
        return msg_ids

    async def tasks(self, incident_id: int) -> list[dict[str, Any]]:
        """The boats tasked for the incident, in the order they were tasked: how far the order got
        (the delivery's state: queued, sent, delivered, read) and the crew's answer (accepted,
        with its ETA, or declined)."""
        q = (
            select(_d.c.vessel_id, _v.c.hull_name, _d.c.state, _d.c.queued_at, _d.c.acked_at,
                   _ack.c.state.label("answer"), _ack.c.eta_min, _ack.c.ts.label("answered_at"))
            .select_from(
                _d.outerjoin(_v, _v.c.id == _d.c.vessel_id).outerjoin(
                    _ack, (_ack.c.msg_id == _d.c.msg_id) & _ack.c.state.in_(_ANSWERS)
                )
            )
            .where(_d.c.msg_id.like(f"rt{incident_id}-%"))
            .order_by(_d.c.id, _ack.c.ts)
        )  # fmt: skip
        async with self._db.engine.connect() as conn:
            rows = (await conn.execute(q)).mappings().all()
        tasks: dict[str, dict[str, Any]] = {}
        for r in rows:  # a boat that changed its mind: its latest answer holds
            tasks[r["vessel_id"]] = {
                "vessel_id": r["vessel_id"], "hull_name": r["hull_name"] or r["vessel_id"],
                "delivery": r["state"], "tasked_at": r["queued_at"], "answer": r["answer"],
                "eta_min": r["eta_min"] if r["answer"] == "accepted" else None,
                "answered_at": r["answered_at"],
            }  # fmt: skip
        return list(tasks.values())

    async def next_sitrep(self, incident_id: int, actor: str, final: bool = False) -> str:
        c = await self.case(incident_id)
        async with self._db.engine.connect() as conn:
            tasks = (await conn.execute(
                select(_d.c.vessel_id, _d.c.state, _v.c.hull_name)
                .select_from(_d.join(_v, _v.c.id == _d.c.vessel_id))
                .where(_d.c.msg_id.like(f"rt{incident_id}-%"))
            )).all()  # fmt: skip
        if tasks:
            sep = render(Phrase("list.sep"), SITREP_LANG)
            tasked = sep.join(render(Phrase("sitrep.assistance.vessel", {"vessel": t[2], "state": t[1]}),
                                     SITREP_LANG) for t in tasks)  # fmt: skip
            assistance = render(
                Phrase("sitrep.assistance.tasked", {"vessels": tasked}), SITREP_LANG
            )
        else:
            assistance = render(Phrase("sitrep.assistance.none"), SITREP_LANG)
        centre = Phrase("sitrep.coordinating_centre",
                        {"desk": self._settings.county_desk_name, "actor": actor})  # fmt: skip
        now = self._clock.now()
        number = int(c["sitrep_count"]) + 1
        text = sitrep(SitrepFacts(
            number=number, hull_name=c["hull_name"], mmsi=c["mmsi"], beidou_card=c["beidou_card"],
            persons_aboard=c["persons"], lat=c["lat"], lon=c["lon"], position_ts=c["event_ts"] or now,
            situation=f"{word('nature', c['data'].get('nature') or 'undesignated', SITREP_LANG)}；{c['data'].get('text') or ''}".rstrip("；"),
            persons_at_risk=c["persons_at_risk"], assistance=assistance,
            coordinating_centre=render(centre, SITREP_LANG), issued=now, final=final,
            exercise=bool(c["exercise"]),
        ))  # fmt: skip
        async with self._db.engine.begin() as conn:
            await conn.execute(
                update(_inc).where(_inc.c.id == incident_id).values(sitrep_count=number)
            )
            await conn.execute(
                _log.insert().values(
                    incident_id=incident_id, ts=now, actor=actor, kind="sitrep", text=text
                )
            )
        detail = ("final " if final else "") + text.splitlines()[0][:200] if text else ""
        await audit(self._db, ts=now, username=actor, action="incident.sitrep",
                    target=f"incident/{incident_id}", detail=detail)  # fmt: skip
        return text

    async def cap(self, incident_id: int) -> str:
        c = await self.case(incident_id)
        persons = c["persons_at_risk"]
        args = {"vessel": c["hull_name"], "nature": c["data"].get("nature") or "undesignated",
                "persons": persons, "where": [c["lat"], c["lon"]], "km": 10,
                "mmsi": c["mmsi"] or Phrase("none").as_dict()}  # fmt: skip
        headline = Phrase("cap.headline" if persons is not None else "cap.headline.unknown", args)
        # Persons aboard: a count of 0 reads as unknown, as it always has in this text.
        aboard = Phrase("cap.description", {**args, "persons": c["persons"] or None})
        # The event keeps its English name beside the Chinese: receiving systems key on it.
        event = " ".join(render(Phrase("cap.event"), lang) for lang in (CAP_LANG, "en"))
        return cap_alert(CapFacts(
            identifier=f"sealink-nanao-incident-{incident_id}",
            sender="sealink@nanao.shantou.gd.cn",
            sent=self._clock.now(),
            status="Exercise" if c["exercise"] else "Actual",
            msg_type="Alert" if c["closed_at"] is None else "Update",
            language=CAP_LANG, sender_name=render(Phrase("cap.sender_name"), CAP_LANG),
            event=event, headline=render(headline, CAP_LANG), description=render(aboard, CAP_LANG),
            instruction=render(Phrase("cap.instruction"), CAP_LANG),
            area_desc=render(Phrase("cap.area", args), CAP_LANG),
            lat=c["lat"], lon=c["lon"], radius_km=float(args["km"]),
            contact=self._settings.county_desk_phone or "12395",
        ))  # fmt: skip
