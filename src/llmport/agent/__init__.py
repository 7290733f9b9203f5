"""The agent loop, its tools and its errors; it sees only the domain and the ports."""
