"""Cross-cutting building blocks every domain package uses; nothing here imports a domain."""
