"""The inspector at /__mockapi/ui: a static page (index.html, app.js, style.css in this package) reading the
control API, and the journal's live feed it streams from."""
