"""The canned Cypher query library: `.cypher` files and the registry that loads them."""

from csenet.cypher.registry import CannedQuery, Param, QueryParamError, get_query, load_registry

__all__ = ["CannedQuery", "Param", "QueryParamError", "get_query", "load_registry"]
