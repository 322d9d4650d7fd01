"""Message length by card level (bits per message). Public figures are scarce: these are estimates
(est.) and a gateway setting (`--max-bytes`) overrides them.

BDS-1/BDS-2 civil cards: levels 1-4 (level 3, 628 bits / 78 bytes, is the commonly quoted one).
BDS-3 regional short messages: up to 14,000 bits (~1,000 Chinese characters) at level 5.
"""

from __future__ import annotations

LEVEL_BITS_BDS2: dict[int, int] = {1: 110, 2: 408, 3: 628, 4: 848}
LEVEL_BITS_BDS3: dict[int, int] = {1: 1000, 2: 2000, 3: 4000, 4: 8000, 5: 14000}
# Encrypted ("E") BDS-2 cards, as reported by terminal vendors (est.).
LEVEL_BITS_BDS2_ENCRYPTED: dict[int, int] = {1: 140, 2: 360, 3: 580, 4: 1680}
# What terminals answer when no card is inserted: address 0, or all ones (0xFFFFFF).
NO_CARD_ADDRESSES = frozenset({0, 0xFFFFFF})
NO_CARD_INTERVAL_S = 9999
