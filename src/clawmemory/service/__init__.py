"""The daemon as a login service: a systemd user unit (Linux) or a launchd agent (macOS)."""
