"""Links to vessels: the MQTT link now, gateway-backed links (Beidou, AIS) later."""
