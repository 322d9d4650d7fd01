"""SeaLink's exception tree.

    SeaLinkError
    ├── Refused            a service will not do what was asked: a stable code and a message for
    │                      people (the API alone chooses the HTTP status, from the code)
    ├── ConfigError        settings that cannot work (bad URL, missing file)
    ├── StoreError         the database refused or failed; wraps SQLAlchemy errors
    ├── LinkError          a link to vessels (MQTT, serial gateway) failed; wraps paho/pyserial errors
    ├── RegistryError      fleet data that does not fit (unknown grid, duplicate MMSI in an import)
    └── BrokerAdminError   the broker refused or failed an account change (`sealink credentials`)

Protocol rejections are not exceptions: they are values (`seaLink.wire.Rejection`) that flow through
the pipeline, get counted and are dead-lettered.
"""


class SeaLinkError(Exception):
    """Base of every error SeaLink raises on purpose."""


class Refused(SeaLinkError):
    """What was asked cannot be done: `code` is stable (clients and the API's status table read
    it), `message` says why in words."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ConfigError(SeaLinkError):
    """A setting cannot work."""


class StoreError(SeaLinkError):
    """The store failed."""


class LinkError(SeaLinkError):
    """A link to vessels failed."""


class RegistryError(SeaLinkError):
    """Fleet data does not fit the registry."""


class BrokerAdminError(SeaLinkError):
    """The broker refused or failed an account change, or could not be reached to make it."""
