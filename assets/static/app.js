// app.js: page behaviour beside htmx (owned by the views author). Served fingerprinted from /assets/.
