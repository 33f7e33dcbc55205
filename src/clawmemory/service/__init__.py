"""The daemon as a login service (layer 6): a systemd user unit (Linux) or a launchd agent
(macOS)."""
