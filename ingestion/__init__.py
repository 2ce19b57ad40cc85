"""Optional live ingestion from the Spotify Web API (enabled with -c ingestionEnabled=true)."""

import os

# The named queries over the api_ tables, deployed by the ingestion stack (one .sql each, as sql/athena/).
QUERIES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sql")
