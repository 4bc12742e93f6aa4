"""Presenters turn models into what a page shows (labels, tag colours, plain-words text),
so templates stay dumb and the formatting is tested. One module per page family:
`common` (shared by all), `search`, `service`, `shortlist` (the handout) and `parents`.
"""
