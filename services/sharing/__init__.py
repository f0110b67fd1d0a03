"""Data sharing between partners: agreements, referrals, minimised events, inboxes and audit.

`agreements`, `minimise`, `referrals` and `decide` are plain functions over plain data (no
broker, no database); `store` keeps agreements, inboxes and the audit in PostgreSQL, and
`store.share_batch` is the one call a consumer of accepted events makes.
"""
