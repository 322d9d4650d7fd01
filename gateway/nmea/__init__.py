"""A plain NMEA 0183 GNSS box (RMC/GGA/GLL/VTG of GP, BD, GB, GN) bridged to MQTT as its vessel.

The box is the vessel's terminal on the air: the gateway connects with the vessel's id as client id
and user name, keeps the vessel's retained `online`/`offline` status, says `hello` on every
connect and publishes the box's fixes on `{prefix}/vessels/{vid}/up/position`, exactly as a
terminal would (docs/protocol.md §1-2). Sentences are parsed by `seaLink.wire.nmea`, the parser the
hub uses for `up/nmea`.
"""
