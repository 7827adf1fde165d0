"""The packaged-services pages (SPEC AM): `trade` (catalogue, offers, an
expert's profile, ordering), `orders` (my orders and the order page),
`expert` (the expert's own offers), `custom` (custom requests) and `staff` (queues)."""
