"""Pure domain logic: no I/O, no asyncio. Tested without a broker or a database."""
