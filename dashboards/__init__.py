"""Grafana dashboards as code: six dashboards over the figures tables, built with the Grafana
Foundation SDK into `dashboards/json/<uid>.json` (`tandem dashboards build`), provisioned from
`infra/grafana/` or pushed to a running Grafana (`tandem dashboards push`)."""
