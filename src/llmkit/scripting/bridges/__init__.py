"""The bridges scripts see: each a `Bridge` subclass declared once in the registry."""
