"""The Spotify ETL job's entry script: AWS Glue runs this file; the code is the `etl` package.

On Glue the package comes from the job's --extra-py-files (a zip of etl/). Locally:
  python glue_scripts/spotify_etl.py --JOB_NAME local --SOURCE_PATH data \
      --TARGET_PATH /tmp/warehouse --QUARANTINE_PATH /tmp/warehouse/quarantine
"""

import os
import sys

try:
    import etl.entry
except ModuleNotFoundError as error:
    if error.name != "etl":
        raise
    # Run from a checkout (python or spark-submit glue_scripts/spotify_etl.py): sys.path[0] is
    # glue_scripts/, so the package is found in the checkout's root, the parent of this folder.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import etl.entry

if __name__ == "__main__":
    sys.exit(etl.entry.main(sys.argv))
