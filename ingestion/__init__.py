"""Optional live ingestion from the Spotify Web API (enabled with -c ingestionEnabled=true)."""
