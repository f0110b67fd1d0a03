"""Publishing from the files partners already have: spreadsheets and exports of their case
systems (CSV, Excel), and JSON / NDJSON from their scripts.

`rows` reads a file into numbered rows; `mapping` is the YAML file that says how a partner's
columns and codes become contract events; `translate` applies it to a row; `check` turns a
whole file into events and every problem, row by row, before anything is sent; `folder`
watches a drop folder. Nothing here speaks HTTP: sending is `services.client.publisher`'s.
"""
