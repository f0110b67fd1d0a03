"""Maps of the figures by area: the classes areas and hubs are shaded in, and the SVG map the
board and the exercise debrief draw (Grafana's Geomap panels use the same classes)."""
