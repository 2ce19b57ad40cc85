"""`python -m cloud_pipeline <command>`: status, run, query, dashboard, upload, smoke,
spotify-login."""
import sys

from cloud_pipeline.cli import main

sys.exit(main(sys.argv[1:]))
