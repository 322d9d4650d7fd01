"""REST and WebSocket API (aiohttp)."""
