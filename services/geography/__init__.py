"""Geography: the areas of a deployment (wards, say) as reference data, with their history.

`boundaries` reads and checks an areas file (GeoJSON or CSV), pure: every problem, or the
areas; `store` keeps each load as a new version in PostgreSQL and reports the area codes that
events use but no loaded area answers to.
"""
