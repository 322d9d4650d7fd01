"""Services: the hub's behaviour, between the links/API and the store."""
