"""The AIS gateway: NMEA lines from a receiver -> decoded, classified events on MQTT."""
