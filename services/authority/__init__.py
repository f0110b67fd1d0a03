"""Who may say what: each request, hub, volunteer and deployment belongs to a partner, and an
event about it from a partner with no part in it is refused at the door (`rules`: the decision,
plain data in and out; `store`: the roles in PostgreSQL, for every writer of the event store)."""
