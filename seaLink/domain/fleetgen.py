"""A realistic demo fleet for Nan'ao: deterministic for a seed, no I/O.

Boats are named 粤南澳渔NNNNN, carry MMSIs with China's MIDs (412/413/414), belong to grids of
about 18 boats from one home port, and sail in fishing groups of 5-8.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from seaLink.domain.ports import Port
from seaLink.wire.fleet_csv import VesselSpec

SURNAMES = "陈林黄李吴蔡郑许张杨王刘谢周曾洪翁庄詹"
GIVEN = [
    "海生",
    "建国",
    "国强",
    "志明",
    "伟东",
    "少雄",
    "德华",
    "水生",
    "金龙",
    "文彬",
    "锦平",
    "振兴",
    "秋明",
    "亚坤",
    "家乐",
    "楚雄",
    "木顺",
    "俊杰",
    "永发",
    "福来",
]
# gear code -> share of the fleet; hook-and-line boats are exempt from the summer moratorium
GEARS = [
    ("trawl", 0.35),
    ("pair_trawl", 0.15),
    ("gillnet", 0.2),
    ("hook_and_line", 0.12),
    ("purse_seine", 0.08),
    ("trap", 0.1),
]


@dataclass(frozen=True, slots=True)
class GridSpec:
    id: str
    name: str
    leader_id: str


@dataclass(frozen=True, slots=True)
class CoordinatorSpec:
    id: str
    name: str
    phone: str
    email: str
    grid_ids: tuple[str, ...]


@dataclass(slots=True)
class Fleet:
    grids: list[GridSpec] = field(default_factory=list)
    coordinators: list[CoordinatorSpec] = field(default_factory=list)
    vessels: list[VesselSpec] = field(default_factory=list)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def generate_fleet(n_vessels: int, ports: list[Port], seed: int = 7, per_grid: int = 18) -> Fleet:
    if not ports:
        raise ValueError("at least one home port is needed")
    rng = random.Random(seed)
    fleet = Fleet()
    numbers = rng.sample(range(10000, 99999), n_vessels)
    mmsis = rng.sample(range(100000, 999999), n_vessels)
    cards = rng.sample(range(1000000, 9999999), n_vessels)  # unique, as the registry requires
    gears, weights = zip(*GEARS, strict=True)
    # Boats per home port in rough proportion; each port's boats form whole grids.
    port_of = [ports[i % len(ports)] for i in range(n_vessels)]
    port_of.sort(key=lambda p: ports.index(p))
    grid_no = 0
    i = 0
    while i < n_vessels:
        port = port_of[i]
        same_port_left = sum(1 for p in port_of[i:] if p is port)
        size = min(per_grid, same_port_left)
        if 0 < same_port_left - size < per_grid // 2:
            size = same_port_left  # fold a small remainder into this grid
        grid_no += 1
        gid = f"G{grid_no:02d}"
        short = port.name.removesuffix("渔港").removesuffix("港").removesuffix("湾")
        leader = CoordinatorSpec(
            f"C{grid_no:02d}L",
            _person(rng),
            f"13{rng.randrange(10**8, 10**9)}",
            f"grid{grid_no:02d}.leader@example.cn",
            (gid,),
        )
        worker = CoordinatorSpec(
            f"C{grid_no:02d}W",
            _person(rng),
            f"15{rng.randrange(10**8, 10**9)}",
            f"grid{grid_no:02d}.worker@example.cn",
            (gid,),
        )
        fleet.grids.append(GridSpec(gid, f"{short}第{grid_no}网格", leader.id))
        fleet.coordinators.extend([leader, worker])
        members = list(range(i, i + size))
        group_no = 0
        while members:
            take = rng.randint(5, 8)
            if 0 < len(members) - take < 5:
                take = len(members) if len(members) <= 8 else len(members) - 5
            group_no += 1
            for j in members[:take]:
                num = numbers[j]
                links = ["mqtt"]
                if rng.random() < 0.8:
                    links.append("beidou")
                if rng.random() < 0.6:
                    links.append("ais")
                fleet.vessels.append(
                    VesselSpec(
                        id=f"NA{num:05d}",
                        hull_name=f"粤南澳渔{num:05d}",
                        mmsi=f"{rng.choice((412, 413, 414))}{mmsis[j]:06d}"
                        if "ais" in links
                        else None,
                        beidou_card=str(cards[j]) if "beidou" in links else None,
                        grid_id=gid,
                        group_id=f"{gid}-F{group_no}",
                        home_port=port.name,
                        gear=rng.choices(gears, weights)[0],
                        persons=rng.randint(3, 12),
                        links=tuple(links),
                    )
                )
            members = members[take:]
        i += size
    return fleet
