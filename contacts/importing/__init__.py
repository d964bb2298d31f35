"""CSV import of contacts, touch events and contracts.

decoding (which encoding) → reading (header + chunks of rows) → columns
(header → field) → validation (typed rows or error lines) → loaders
(set-based writes) → pipeline (one pass tying them together) → services
(import jobs and whole-file runs).
"""
