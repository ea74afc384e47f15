"""`ragkit serve`: the HTTP service over the knowledge bases (FastAPI; OpenAI-compatible chat included).

`ragkit.server.app.create_app(settings)` builds the app; this package imports nothing heavy, so the `ragkit` CLI
starts without FastAPI installed (`pip install 'ragkit[serve]'` brings it).
"""
