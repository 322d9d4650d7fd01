"""Re-export of the private-broker helper shared with the benchmarks."""

from seaLink.testing.mosquitto import Mosquitto, free_port

__all__ = ["Mosquitto", "free_port"]
