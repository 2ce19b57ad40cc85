import sys

from local_pipeline.cli import main

sys.exit(main(sys.argv[1:]))
