"""deploy/check-guide's parts: it follows docs/deploy.md on this machine, as an engineer would."""
