class StageError(Exception):
    """An expected failure: the runner prints the stage and the message, no traceback."""

    def __init__(self, stage: str, message: str) -> None:
        super().__init__(message)
        self.stage = stage
