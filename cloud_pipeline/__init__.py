"""Operate a deployed pipeline from one command line: the cloud counterpart of `make demo`."""
