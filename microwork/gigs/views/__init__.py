"""The packaged-services pages (SPEC AM): `trade` (catalogue, offers, orders,
the expert's offers), `custom` (custom requests) and `staff` (queues)."""
