"""Stories told in a real browser (Chromium through Playwright) against the real server."""
