"""Run the whole Spotify pipeline on one machine, no AWS account: each cloud
stage has a local stand-in that uses the same code and SQL as the cloud."""
