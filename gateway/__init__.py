"""Serial gateways bridged to MQTT: an AIS receiver, a Beidou short-message terminal, and a plain
NMEA 0183 GNSS box that reports as its vessel's terminal.

Each gateway is a chain of small stages (read lines -> checksum -> tag block -> reassemble ->
decode -> classify -> publish for AIS). Gateways import from SeaLink only `seaLink.wire`, the
public protocol: a vendor's own gateway can do everything these do.
"""
