"""The Beidou gateway: a short-message terminal (2.1, 4.0 text or BD-1 binary) bridged to MQTT."""
