"""Where the data lives: one folder per mode behind one `Backend` protocol."""
