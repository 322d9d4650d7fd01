"""Simulators of the things around the hub; the fleet simulator runs MQTT terminals.

The fleet simulator imports nothing of SeaLink but `seaLink.wire` (the public protocol): a
vendor's terminal must be able to do everything it does.
"""
