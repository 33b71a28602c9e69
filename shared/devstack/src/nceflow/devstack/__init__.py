"""nceflow dev stack: embedded broker and Redis, the nceflow CLI, pytest fixtures."""
