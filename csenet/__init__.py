"""csenet: graph investigative intelligence for child sexual exploitation networks."""

__version__ = "0.1.0"
