"""Who may do what: roles and grid scopes, decided here and enforced by the server."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"  # everything, every grid
    COORDINATOR = "coordinator"  # reads and acts on their own grids only
    VIEWER = "viewer"  # reads their grids (all grids if none given), never writes


@dataclass(frozen=True, slots=True)
class Principal:
    username: str
    role: Role
    grid_ids: frozenset[str]  # empty for admin: no restriction

    @property
    def all_grids(self) -> bool:
        return self.role is Role.ADMIN or (self.role is Role.VIEWER and not self.grid_ids)

    def can_read_grid(self, grid_id: str) -> bool:
        return self.all_grids or grid_id in self.grid_ids

    def can_write_grid(self, grid_id: str) -> bool:
        if self.role is Role.ADMIN:
            return True
        return self.role is Role.COORDINATOR and grid_id in self.grid_ids

    @property
    def can_write(self) -> bool:
        return self.role in (Role.ADMIN, Role.COORDINATOR)

    def grid_filter(self) -> list[str] | None:
        """Grid ids to restrict a query to, or None for no restriction."""
        return None if self.all_grids else sorted(self.grid_ids)
