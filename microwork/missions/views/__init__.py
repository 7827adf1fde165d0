"""Micro-mission pages (SPEC HM, MW01, MW04), one module per audience. Thin:
each view checks the form, finds the object through `selectors.mission_for` /
`claim_for` (404 for a foreign one), calls a service and shows its
`ApplicationError` on the form."""
