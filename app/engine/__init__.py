"""Qt-free generation engine: typed events, providers, the retry policy and the runner."""
