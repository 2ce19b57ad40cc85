"""tests/local_pipeline shares the root conftest's demo run (one Spark run for the local and cloud tests)."""
