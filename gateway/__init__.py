"""Serial gateways: an AIS receiver and a Beidou short-message terminal, bridged to MQTT.

Each gateway is a chain of small stages (read lines -> checksum -> tag block -> reassemble ->
decode -> classify -> publish for AIS). Gateways import from SeaLink only `seaLink.wire`, the
public protocol: a vendor's own gateway can do everything these do.
"""
