"""The web app's views, one module per kind of page."""
