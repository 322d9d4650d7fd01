"""The reference vessel terminal: a tablet page that speaks only the public vessel protocol
(MQTT over WebSocket, straight to the broker), served by a small static server."""
