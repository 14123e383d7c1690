"""The region: landing-page figures, dashboards, the coordinators' map and its GeoJSON."""
