"""Engine runs: start, execute, the background runner, `flask flows run`, run pages."""
