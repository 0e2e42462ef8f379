"""board_hooks: what this part of governance registers with roles and recruitment when Django starts."""
