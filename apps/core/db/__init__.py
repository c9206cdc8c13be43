"""Database backends: the built-in ones with every wait on the server bounded."""
