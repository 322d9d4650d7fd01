"""The broker's accounts: who may log in, with which client id, and which topics each may use."""
