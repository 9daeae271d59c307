"""Natural-language understanding: one interface, interchangeable backends (DESIGN §5 intents/entities)."""
