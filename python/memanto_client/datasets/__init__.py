"""Public conversation data sets turned into memories (no third-party dependencies)."""
